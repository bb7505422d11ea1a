import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportState, importState, MANIFEST, markRunning, StateError } from './state';

/** Export and import of a data folder, as a folder and as a .tgz (the system's tar). */
let root = '';
let dataDir = '';

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'local-state-'));
  dataDir = join(root, 'data');
  mkdirSync(join(dataDir, 'auth'), { recursive: true });
  mkdirSync(join(dataDir, 'storage', 'bucket.local', 'media'), { recursive: true });
  writeFileSync(join(dataDir, 'auth', 'state.json'), '{"users":["ada"]}');
  writeFileSync(join(dataDir, 'storage', 'bucket.local', 'media', 'photo.bin'), Buffer.from([0, 1, 2, 255]));
  writeFileSync(join(dataDir, 'outbox.jsonl'), '{"to":"ada@example.com","code":"123456"}\n');
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

const read = (dir: string, path: string) => readFileSync(join(dir, path));

describe('the local state', () => {
  for (const target of ['snapshot', 'snapshot.tgz']) {
    it(`round-trips through an export as ${target.endsWith('.tgz') ? 'a .tgz' : 'a folder'} into a fresh data folder`, () => {
      const exported = exportState(dataDir, join(root, target));
      expect(exported.files).toBe(3);
      const fresh = join(root, 'fresh');
      const imported = importState(join(root, target), fresh);
      expect(imported.files).toBe(3);
      for (const path of ['auth/state.json', 'storage/bucket.local/media/photo.bin', 'outbox.jsonl'])
        expect(read(fresh, path).equals(read(dataDir, path)), path).toBe(true);
      expect(existsSync(join(fresh, MANIFEST))).toBe(false);
    });
  }

  it('refuses to import over a data folder that holds state, unless told to replace it', () => {
    exportState(dataDir, join(root, 'snap.tgz'));
    const other = join(root, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'outbox.jsonl'), 'other\n');
    expect(() => importState(join(root, 'snap.tgz'), other)).toThrow(/already holds local state/);
    expect(read(other, 'outbox.jsonl').toString()).toBe('other\n');
    importState(join(root, 'snap.tgz'), other, { replace: true });
    expect(read(other, 'outbox.jsonl').equals(read(dataDir, 'outbox.jsonl'))).toBe(true);
  });

  it('refuses what is not an export, and a missing source, with a message naming it', () => {
    const plain = join(root, 'plain');
    mkdirSync(plain);
    writeFileSync(join(plain, 'x.json'), '{}');
    expect(() => importState(plain, join(root, 'fresh'))).toThrow(new RegExp(`${plain} is not a local-state export`));
    writeFileSync(join(root, 'broken.tgz'), 'not gzip');
    expect(() => importState(join(root, 'broken.tgz'), join(root, 'fresh'))).toThrow(StateError);
    expect(() => importState(join(root, 'none.tgz'), join(root, 'fresh'))).toThrow(/does not exist/);
    expect(existsSync(join(root, 'fresh'))).toBe(false);
  });

  it('refuses to export or import while a backend runs on the data folder', async () => {
    // Another live process holds the mark, as `npm start` does while it runs.
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dataDir, 'running.json'), JSON.stringify({ pid: holder.pid }));
      expect(() => exportState(dataDir, join(root, 'snap.tgz'))).toThrow(/is running on .*stop it before exporting/);
      expect(() => markRunning(dataDir)).toThrow(/in use by another local backend/);
    } finally {
      holder.kill();
    }
    await new Promise((r) => holder.once('exit', r));
    // A mark left by a process that is gone does not block.
    const release = markRunning(dataDir);
    const exported = exportState(dataDir, join(root, 'snap'));
    expect(existsSync(join(exported.target, 'running.json'))).toBe(false);
    release();
    expect(existsSync(join(dataDir, 'running.json'))).toBe(false);
  });

  it('refuses to export an empty data folder or into a folder that holds files', () => {
    expect(() => exportState(join(root, 'nothing'), join(root, 'out'))).toThrow(/holds no local state/);
    mkdirSync(join(root, 'full'));
    writeFileSync(join(root, 'full', 'keep.txt'), 'keep');
    expect(() => exportState(dataDir, join(root, 'full'))).toThrow(/is not empty/);
    expect(read(join(root, 'full'), 'keep.txt').toString()).toBe('keep');
  });
});
