import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from './journal';

const dirs: string[] = [];
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'journal-'));
  dirs.push(dir);
  return join(dir, 'embedded');
};
const mode = (path: string) => statSync(path).mode & 0o777;

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the journal', () => {
  it('is private to its owner: the folder 0700, the file 0600, after appends and compactions', () => {
    // Prepare
    const directory = folder();
    const journal = new Journal(directory);
    // Act
    journal.append({ kind: 'sequence', sequence: '1' });
    // Assess
    expect(mode(directory)).toBe(0o700);
    expect(mode(join(directory, 'journal.jsonl'))).toBe(0o600);
    journal.compact([{ kind: 'sequence', sequence: '2' }]);
    expect(mode(join(directory, 'journal.jsonl'))).toBe(0o600);
    expect(readdirSync(directory)).toEqual(['journal.jsonl']);
    journal.close();
  });

  it('makes an existing world-readable journal and folder private when it opens them', () => {
    // Prepare
    const directory = folder();
    mkdirSync(directory, { recursive: true, mode: 0o755 });
    writeFileSync(join(directory, 'journal.jsonl'), '{"kind":"sequence","sequence":"7"}\n', { mode: 0o644 });
    writeFileSync(join(directory, 'journal.jsonl.compacting'), 'left by a crash', { mode: 0o644 });
    // Act
    const journal = new Journal(directory);
    const entries: unknown[] = [];
    journal.replay((entry) => entries.push(entry));
    journal.compact([{ kind: 'sequence', sequence: '7' }]);
    // Assess
    expect(entries).toEqual([{ kind: 'sequence', sequence: '7' }]);
    expect(mode(directory)).toBe(0o700);
    expect(mode(join(directory, 'journal.jsonl'))).toBe(0o600);
    expect(readdirSync(directory)).toEqual(['journal.jsonl']);
    journal.close();
  });
});
