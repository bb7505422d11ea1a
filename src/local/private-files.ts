import { randomUUID } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';

/**
 * State files hold codes, tokens, documents and users' objects: they are
 * created readable by their owner only, and replaced whole (temp + rename) or
 * appended to, so that a kill leaves either the old or the new content, or a
 * torn last line that the reader drops.
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Creates a directory (and its parents) and makes it owner-only, also when it already existed. */
export const privateDir = (dir: string): void => {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE);
};

/** Makes an existing file owner-only (files written by older versions were 0644). */
export const makePrivate = (file: string): void => {
  if (existsSync(file)) chmodSync(file, PRIVATE_FILE_MODE);
};

/**
 * Replaces a file's content atomically: a unique temporary file beside it,
 * created 0600, renamed over it. No fsync: the threat is a killed process,
 * whose writes the page cache keeps; a power cut may still lose the newest.
 */
export const writePrivateFile = (file: string, data: string | Uint8Array): void => {
  privateDir(dirname(file));
  const temporary = `${file}.${randomUUID().slice(0, 8)}.tmp`;
  const fd = openSync(temporary, 'wx', PRIVATE_FILE_MODE);
  try {
    writeFileSync(fd, data);
  } catch (error) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temporary, file);
};

/** Appends one line to an owner-only file (created 0600). */
export const appendPrivateLine = (file: string, line: string): void => {
  privateDir(dirname(file));
  appendFileSync(file, `${line}\n`, { mode: PRIVATE_FILE_MODE });
};

/**
 * The records of a JSON-lines file, oldest first; the file is made owner-only.
 * A last line without its newline was cut short by a kill: it is cut off the
 * file (so the next append starts a clean line) and dropped, unless it parses,
 * in which case only the newline is added. A damaged line before the last is
 * reported to `warn` and skipped.
 */
export const readJsonLines = (file: string, warn: (message: string) => void = console.warn): unknown[] => {
  if (!existsSync(file)) return [];
  makePrivate(file);
  const text = readFileSync(file, 'utf8');
  const records: unknown[] = [];
  const end = text.lastIndexOf('\n') + 1;
  const lines = text.slice(0, end).split('\n');
  for (const [at, line] of lines.entries()) {
    if (!line.trim()) continue;
    try {
      records.push(JSON.parse(line));
    } catch {
      warn(`${file}: line ${at + 1} is damaged and was skipped`);
    }
  }
  const tail = text.slice(end);
  if (tail.trim()) {
    let parsed: unknown;
    let whole = true;
    try {
      parsed = JSON.parse(tail);
    } catch {
      whole = false;
    }
    if (whole) {
      records.push(parsed);
      appendFileSync(file, '\n');
    } else {
      warn(`${file}: its last line was cut short (the process was killed while writing it); it was dropped`);
      truncateSync(file, Buffer.byteLength(text.slice(0, end), 'utf8'));
    }
  } else if (tail) {
    truncateSync(file, Buffer.byteLength(text.slice(0, end), 'utf8'));
  }
  return records;
};
