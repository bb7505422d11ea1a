import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSeed, readSeed, SeedError } from './seed';

const dir = mkdtempSync(join(tmpdir(), 'seed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ada = { email: 'ada@example.com', password: 'Correct-Horse-9-Battery' };

describe('a seed file', () => {
  it('reads users, records by model and files (text or a file beside the seed)', () => {
    writeFileSync(join(dir, 'logo.bin'), Buffer.from([1, 2, 3]));
    const seed = parseSeed(
      {
        users: [{ ...ada, groups: ['Admins'], attributes: { name: 'Ada' } }],
        records: { Note: [{ owner: ada.email, headline: 'Hello' }, { headline: 'No owner: the first user' }] },
        files: [
          { path: 'media/{identityId}/a.txt', owner: ada.email, text: 'hi' },
          { path: 'published/logo.bin', file: './logo.bin', contentType: 'application/octet-stream' },
        ],
      },
      dir,
    );
    expect(seed.users).toEqual([{ ...ada, groups: ['Admins'], attributes: { name: 'Ada' } }]);
    expect(seed.records).toEqual([
      {
        model: 'Note',
        entries: [
          { owner: ada.email, fields: { headline: 'Hello' } },
          { owner: undefined, fields: { headline: 'No owner: the first user' } },
        ],
      },
    ]);
    expect(seed.files.map((f) => [f.path, f.body.toString('hex')])).toEqual([
      ['media/{identityId}/a.txt', Buffer.from('hi').toString('hex')],
      ['published/logo.bin', '010203'],
    ]);
  });

  it.each([
    [{ users: [{ email: 'ada@example.com' }] }, /^users\[0\]\.password: must be a non-empty string$/],
    [{ users: [ada, { ...ada, groups: 'Admins' }] }, /^users\[1\]\.groups: must be a list/],
    [
      { users: [ada], records: { Note: [{ owner: 'eve@example.com' }] } },
      /^records\.Note\[0\]\.owner: eve@example.com is not one of the seed's users$/,
    ],
    [
      { records: { Note: [{ headline: 'x' }] } },
      /^records\.Note\[0\]: records are created by a seed user, and the seed has none$/,
    ],
    [{ records: { Note: {} } }, /^records\.Note: must be a list/],
    [
      { users: [ada], files: [{ path: 'media/{identityId}/x', text: 'x' }] },
      /^files\[0\]\.path: \{identityId\} needs an owner/,
    ],
    [{ files: [{ path: 'a', text: 'x', file: 'b' }] }, /^files\[0\]: give exactly one of text/],
    [{ files: [{ path: 'a', file: './missing.bin' }] }, /^files\[0\]\.file: cannot read .*missing\.bin$/],
    [{ user: [] }, /^user: unknown key/],
    [[], /must be a JSON object/],
  ])('names the entry that is wrong: %j', (value, message) => {
    expect(() => parseSeed(value, dir)).toThrow(SeedError);
    expect(() => parseSeed(value, dir)).toThrow(message);
  });

  it('names the file when it is not JSON', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "users": [ ');
    expect(() => readSeed(file)).toThrow(new RegExp(`^${file}: `));
  });
});
