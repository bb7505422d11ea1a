import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * The whole local state (users and their passwords' verifiers, the signing
 * key, every table, files, the search index, stream positions, the outbox
 * with codes and pushes, dead letters) is the data folder. An export is a
 * copy of it, as a folder or a .tgz, with a manifest; an import puts one
 * into an empty data folder. Both need the backend on that folder stopped:
 * `npm start` marks the folder while it runs, and a copy taken under a
 * running backend could miss writes in flight.
 */

export const MANIFEST = 'amplify-local-export.json';
const RUNNING = 'running.json';
const FORMAT = 1;

export class StateError extends Error {
  override readonly name = 'StateError';
}

const isArchive = (path: string): boolean => /\.(tgz|tar\.gz)$/.test(path);

/** The pid of a live `npm start` on this data folder, if any. */
export const runningBackend = (dataDir: string): number | undefined => {
  const file = join(dataDir, RUNNING);
  if (!existsSync(file)) return undefined;
  let pid: unknown;
  try {
    pid = JSON.parse(readFileSync(file, 'utf8')).pid;
  } catch {
    return undefined;
  }
  if (typeof pid !== 'number' || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
};

/** Marks the data folder as in use by this process; the returned function clears the mark. */
export const markRunning = (dataDir: string): (() => void) => {
  const other = runningBackend(dataDir);
  if (other !== undefined) throw new StateError(`${dataDir} is in use by another local backend (pid ${other})`);
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, RUNNING);
  writeFileSync(file, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
  return () => rmSync(file, { force: true });
};

const refuseRunning = (dataDir: string, what: string): void => {
  const pid = runningBackend(dataDir);
  if (pid !== undefined)
    throw new StateError(`the local backend (pid ${pid}) is running on ${dataDir}: stop it before ${what}`);
};

const isEmptyDir = (dir: string): boolean => !existsSync(dir) || readdirSync(dir).length === 0;

export interface ExportReport {
  target: string;
  files: number;
  bytes: number;
}

const tally = (dir: string): { files: number; bytes: number } => {
  let files = 0;
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    files += 1;
    bytes += statSync(join(entry.parentPath, entry.name)).size;
  }
  return { files, bytes };
};

/** Copies the data folder to `target`: a folder (which must not exist or be empty), or a `.tgz`/`.tar.gz` file. */
export const exportState = (dataDir: string, target: string): ExportReport => {
  const from = resolve(dataDir);
  const to = resolve(target);
  if (!existsSync(from) || isEmptyDir(from)) throw new StateError(`${from} holds no local state to export`);
  refuseRunning(from, 'exporting');
  mkdirSync(dirname(to), { recursive: true });
  const staging = mkdtempSync(join(dirname(to), `.${basename(to)}-`));
  try {
    cpSync(from, staging, { recursive: true, filter: (src) => basename(src) !== RUNNING });
    const counted = tally(staging);
    writeFileSync(
      join(staging, MANIFEST),
      `${JSON.stringify({ format: FORMAT, exportedAt: new Date().toISOString(), from, ...counted }, null, 2)}\n`,
    );
    if (isArchive(to)) {
      execFileSync('tar', ['-czf', to, '-C', staging, '.'], { stdio: ['ignore', 'ignore', 'pipe'] });
      rmSync(staging, { recursive: true, force: true });
    } else {
      if (!isEmptyDir(to)) throw new StateError(`${to} exists and is not empty: export into a new folder`);
      rmSync(to, { recursive: true, force: true });
      renameSync(staging, to);
    }
    return { target: to, ...counted };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
};

/**
 * Puts an export (a folder or a .tgz) into `dataDir`, which must be empty
 * unless `replace` is set (then what it held is removed first).
 */
export const importState = (source: string, dataDir: string, options: { replace?: boolean } = {}): ExportReport => {
  const from = resolve(source);
  const to = resolve(dataDir);
  if (!existsSync(from)) throw new StateError(`${from} does not exist`);
  refuseRunning(to, 'importing into it');
  if (!options.replace && !isEmptyDir(to))
    throw new StateError(`${to} already holds local state: import into an empty data folder, or replace it`);
  mkdirSync(dirname(to), { recursive: true });
  const staging = mkdtempSync(join(dirname(to), `.${basename(to)}-import-`));
  try {
    if (statSync(from).isDirectory()) cpSync(from, staging, { recursive: true });
    else execFileSync('tar', ['-xzf', from, '-C', staging], { stdio: ['ignore', 'ignore', 'pipe'] });
    const manifest = join(staging, MANIFEST);
    if (!existsSync(manifest)) throw new StateError(`${from} is not a local-state export (it has no ${MANIFEST})`);
    const format: unknown = JSON.parse(readFileSync(manifest, 'utf8')).format;
    if (format !== FORMAT)
      throw new StateError(`${from} is an export of format ${String(format)}; this reads ${FORMAT}`);
    rmSync(manifest);
    const counted = tally(staging);
    rmSync(to, { recursive: true, force: true });
    renameSync(staging, to);
    return { target: to, ...counted };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (error instanceof StateError) throw error;
    throw new StateError(`could not import ${from}: ${error instanceof Error ? error.message : String(error)}`);
  }
};
