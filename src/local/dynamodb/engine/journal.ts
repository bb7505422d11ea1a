import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { StreamRecord, TableDefinition } from './types';
import type { Item } from './values';

/**
 * The embedded store's persistence: an append-only file of the changes it
 * made, one JSON line each, written before the change is acknowledged. A
 * crash of the process loses nothing acknowledged (the line is in the
 * operating system's hands, as with SQLite's write-ahead log at
 * synchronous=NORMAL); a crash of the machine may lose the last writes.
 * Replayed on start, then compacted into a snapshot of what is live; compacted
 * again while running once it has grown by 64 MB and by more than that
 * snapshot (the store pauses for the rewrite, about a second per 100 MB).
 */

export type JournalEntry =
  | { kind: 'table'; definition: TableDefinition }
  | { kind: 'drop'; table: string }
  | { kind: 'write'; table: string; item?: Item; key?: Item; sequence: string; at: number; expired?: true }
  /** A transaction's writes, as one line: a crash keeps all of them or none. */
  | { kind: 'transaction'; writes: Array<{ table: string; item?: Item; key?: Item; sequence: string }>; at: number }
  | { kind: 'seed'; table: string; items: Item[] }
  | { kind: 'records'; table: string; records: StreamRecord[] }
  | { kind: 'sequence'; sequence: string };

export class JournalCorruptError extends Error {
  override readonly name = 'JournalCorruptError';
}

/** The journal holds every user's data: only its owner may read it, as with the other state files. */
const FILE_MODE = 0o600;
const DIRECTORY_MODE = 0o700;

/** The journal is compacted again once it has grown by this much and by more than the last snapshot's size. */
const COMPACT_AFTER_BYTES = 64 * 1024 * 1024;

export class Journal {
  private readonly file: string;
  private fd: number | undefined;
  /** Bytes appended since the last compaction, and the size of that compaction's snapshot. */
  private appended = 0;
  private snapshotBytes = 0;

  constructor(
    directory: string,
    private readonly compactAfterBytes = COMPACT_AFTER_BYTES,
  ) {
    mkdirSync(directory, { recursive: true, mode: DIRECTORY_MODE });
    // Files and folders made by earlier versions were readable by everyone; `mode` above covers only new ones.
    chmodSync(directory, DIRECTORY_MODE);
    this.file = join(directory, 'journal.jsonl');
    if (existsSync(this.file)) chmodSync(this.file, FILE_MODE);
  }

  /**
   * Feeds every entry to `apply`, in order. A last line cut short by a crash
   * was never acknowledged and is dropped; a damaged line before it is an
   * error, since skipping it would lose data silently.
   */
  replay(apply: (entry: JournalEntry) => void): void {
    if (!existsSync(this.file)) return;
    const lines = readFileSync(this.file, 'utf8').split('\n');
    const last = lines.length - 1;
    for (const [at, line] of lines.entries()) {
      if (line === '') continue;
      let entry: JournalEntry;
      try {
        entry = JSON.parse(line) as JournalEntry;
      } catch {
        if (at === last) return;
        throw new JournalCorruptError(
          `${this.file}: line ${at + 1} is damaged; the data folder needs repair or a reset (--reset)`,
        );
      }
      apply(entry);
    }
  }

  /** Rewrites the journal as the given entries (a snapshot), atomically, and opens it for appending. */
  compact(entries: Iterable<JournalEntry>): void {
    this.close();
    const temporary = `${this.file}.compacting`;
    const fd = openSync(temporary, 'w', FILE_MODE);
    // A temporary file left by an earlier crash keeps its old mode through openSync.
    chmodSync(temporary, FILE_MODE);
    try {
      let buffer = '';
      let written = 0;
      for (const entry of entries) {
        buffer += `${JSON.stringify(entry)}\n`;
        if (buffer.length > 1 << 20) {
          written += writeSync(fd, buffer);
          buffer = '';
        }
      }
      if (buffer) written += writeSync(fd, buffer);
      this.snapshotBytes = written;
      this.appended = 0;
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.file);
    this.fd = openSync(this.file, 'a', FILE_MODE);
  }

  append(entry: JournalEntry): void {
    if (this.fd === undefined) this.fd = openSync(this.file, 'a', FILE_MODE);
    this.appended += writeSync(this.fd, `${JSON.stringify(entry)}\n`);
  }

  /** Whether the journal has grown enough since the last snapshot to be worth compacting. */
  get due(): boolean {
    return this.appended > this.compactAfterBytes && this.appended > this.snapshotBytes;
  }

  /** The journal file's size in bytes. */
  get size(): number {
    return existsSync(this.file) ? statSync(this.file).size : 0;
  }

  close(): void {
    if (this.fd === undefined) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
  }
}
