import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Amplify } from 'aws-amplify';
import { fetchAuthSession, signIn, signOut } from 'aws-amplify/auth';
import { generateClient } from 'aws-amplify/data';
import { downloadData } from 'aws-amplify/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Schema } from '../../amplify/data/resource';
import { configureLocal, localStorageOptions } from '../client/local';
import { TEST_TLS_DIR } from '../test/e2e.global-setup';
import { createLocalBackend, type LocalBackend } from './backend';
import { applySeed, readSeed, SeedError } from './seed';
import { exportState, importState } from './state';

/**
 * Seed data, then the whole state exported and imported into a fresh data
 * folder: the seeded users sign in with their passwords, in their groups,
 * and read their records (created through the API, so with sync fields) and
 * files, on the first backend and on the one started from the import.
 */
const ROOT = resolve('.amplify/test-local/state');
const FIRST = join(ROOT, 'first');
const SECOND = join(ROOT, 'second');
const ARCHIVE = join(ROOT, 'export.tgz');
const PASSWORD = 'Correct-Horse-9-Battery';

let backend: LocalBackend | undefined;

const start = async (dataDir: string, reset: boolean): Promise<LocalBackend> => {
  const outputsFile = join(dataDir, '..', `${dataDir.split('/').at(-1)}-outputs.json`);
  backend = await createLocalBackend({ dataDir, reset, tlsDir: TEST_TLS_DIR, outputsFile });
  configureLocal(Amplify, JSON.parse(readFileSync(outputsFile, 'utf8')));
  return backend;
};

const stop = async (): Promise<void> => {
  await signOut().catch(() => undefined);
  await backend?.dispose();
  backend = undefined;
};

// The first start may synthesize amplify/ (a hook has the longer timeout).
beforeAll(async () => {
  rmSync(ROOT, { recursive: true, force: true });
  mkdirSync(ROOT, { recursive: true });
  await start(FIRST, true);
});

afterAll(stop);

/** What the seeded users see, signed in with their passwords. */
const seen = async (running: LocalBackend) => {
  await signOut();
  await signIn({ username: 'ada@example.com', password: PASSWORD });
  const session = await fetchAuthSession();
  const groups = session.tokens?.accessToken.payload['cognito:groups'];
  const client = generateClient<Schema>();
  const sub = String(session.tokens?.idToken?.payload.sub);
  const notes = await client.models.Note.listNotesByOwner({ owner: `${sub}::${sub}` });
  const synced = await client.graphql({ query: '{ syncNotes(limit: 100) { items { headline _version } } }' });
  const options = localStorageOptions(running.outputs);
  const published = await (await downloadData({ path: 'published/seeded.txt', options }).result).body.text();
  await signOut();
  // Bob's own media folder (Ada is in Admins, whose role reads published/ only).
  await signIn({ username: 'bob@example.com', password: PASSWORD });
  const photo = await (
    await downloadData({ path: ({ identityId }) => `media/${identityId}/hello.txt`, options }).result
  ).body.text();
  const bobNotes = (await generateClient<Schema>().models.Note.listNotesByOwner({ owner: `${sub}::${sub}` })).data;
  return {
    groups,
    headlines: (notes.data ?? []).map((n) => n.headline).sort(),
    synced: 'data' in synced ? synced.data : undefined,
    photo,
    published,
    bobSeesOfAda: bobNotes?.length ?? 0,
  };
};

describe('seed data and the exported state', () => {
  it('seeds users (confirmed, in groups), records through the API and files; an import into a fresh data folder has them all', async () => {
    const seedFile = join(ROOT, 'seed.json');
    writeFileSync(join(ROOT, 'published.txt'), 'published by the seed');
    writeFileSync(
      seedFile,
      JSON.stringify({
        users: [
          { email: 'ada@example.com', password: PASSWORD, groups: ['Admins'] },
          { email: 'bob@example.com', password: PASSWORD },
        ],
        records: {
          Note: [
            { owner: 'ada@example.com', headline: 'Seeded one', text: 'first' },
            { headline: 'Seeded two (the first user owns it)' },
          ],
        },
        files: [
          { path: 'media/{identityId}/hello.txt', owner: 'bob@example.com', text: 'hello from the seed' },
          { path: 'published/seeded.txt', file: './published.txt', contentType: 'text/plain' },
        ],
      }),
    );
    const first = backend ?? (await start(FIRST, false));
    expect(await applySeed(first, readSeed(seedFile))).toEqual({ users: 2, records: 2, files: 2 });
    const expected = {
      groups: ['Admins'],
      headlines: ['Seeded one', 'Seeded two (the first user owns it)'],
      synced: {
        syncNotes: {
          items: expect.arrayContaining([
            { headline: 'Seeded one', _version: 1 },
            { headline: 'Seeded two (the first user owns it)', _version: 1 },
          ]),
        },
      },
      photo: 'hello from the seed',
      published: 'published by the seed',
      bobSeesOfAda: 0,
    };
    expect(await seen(first)).toEqual(expected);
    await stop();

    const exported = exportState(FIRST, ARCHIVE);
    expect(exported.files).toBeGreaterThan(3);
    importState(ARCHIVE, SECOND);
    const second = await start(SECOND, false);
    expect(await seen(second)).toEqual(expected);
  });

  it('refuses a record the API refuses, naming the entry', async () => {
    const running = backend ?? (await start(FIRST, false));
    const seed = {
      users: [],
      records: [{ model: 'Note', entries: [{ fields: { headline: 'x' } }] }],
      files: [],
    };
    await expect(applySeed(running, seed)).rejects.toThrow(/^records\.Note\[0\]: no seed user/);
    const unknown = { users: [], records: [{ model: 'Nope', entries: [] }], files: [] };
    await expect(applySeed(running, unknown)).rejects.toThrow(/^records\.Nope: the API has no model Nope/);
    const once = {
      users: [{ email: 'cy@example.com', password: PASSWORD, groups: [], attributes: {} }],
      records: [],
      files: [],
    };
    expect(await applySeed(running, once)).toEqual({ users: 1, records: 0, files: 0 });
    const again = applySeed(running, once);
    await expect(again).rejects.toThrow(SeedError);
    await expect(again).rejects.toThrow(/^users\[0\] \(cy@example.com\): .*exists/);
    const noGroup = {
      ...once,
      users: [{ email: 'dee@example.com', password: PASSWORD, groups: ['NoSuchGroup'], attributes: {} }],
    };
    await expect(applySeed(running, noGroup)).rejects.toThrow(/^users\[0\] \(dee@example.com\): /);
  });
});
