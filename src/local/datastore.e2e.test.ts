import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Amplify } from 'aws-amplify';
import { confirmSignUp, fetchAuthSession, signIn, signOut, signUp } from 'aws-amplify/auth';
import { generateClient } from 'aws-amplify/data';
import { parseAmplifyConfig } from 'aws-amplify/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Schema } from '../../amplify/data/resource';
import { findModelSchema, generateAllModels } from '../../scripts/codegen';
import { configureLocal, withLocalEndpoints } from '../client/local';
import { Device } from '../test/datastore-device';
import { TEST_TLS_DIR } from '../test/e2e.global-setup';
import { createLocalBackend, type LocalBackend } from './backend';
import { PROJECT_ROOT } from './cloud/synth';

/**
 * The real Amplify DataStore (@aws-amplify/datastore 5.1.13, the one
 * aws-amplify 6.22.1 ships with) against the local backend: two users, two
 * devices each. A device is a child process (its own Amplify, user and
 * in-memory DataStore), so that four can run at once; going offline is the
 * browser's `offline` event.
 */

const PASSWORD = 'Correct-Horse-9-Battery';
const DATA_DIR = resolve('.amplify/test-local/datastore');
const OUTPUTS = join(DATA_DIR, 'amplify_outputs.json');

interface User {
  email: string;
  sub: string;
  owner: string;
}

type Json = Record<string, unknown>;

let backend: LocalBackend;
let outputs: Json;
const users = new Map<string, User>();
const devices = new Map<string, Device>();
const user = (name: string): User => {
  const found = users.get(name);
  if (!found) throw new Error(`${name} is not registered`);
  return found;
};
const device = (name: string): Device => {
  const found = devices.get(name);
  if (!found) throw new Error(`no device ${name}`);
  return found;
};

const register = async (email: string): Promise<User> => {
  await signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } });
  await confirmSignUp({ username: email, confirmationCode: backend.outbox.latestCode(email, 'verification') ?? '' });
  await signIn({ username: email, password: PASSWORD });
  const sub = String((await fetchAuthSession()).tokens?.idToken?.payload.sub);
  await signOut();
  return { email, sub, owner: `${sub}::${sub}` };
};

/** The parent's own client.models, to check what reached the server. */
const server = async (name: string) => {
  await signOut();
  await signIn({ username: user(name).email, password: PASSWORD });
  return generateClient<Schema>();
};

const until = async <T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 10_000): Promise<T> => {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
};

const ids = (items: Json[]): string[] => items.map((i) => String(i.id)).sort();

beforeAll(async () => {
  backend = await createLocalBackend({ dataDir: DATA_DIR, reset: true, tlsDir: TEST_TLS_DIR, outputsFile: OUTPUTS });
  outputs = JSON.parse(readFileSync(OUTPUTS, 'utf8'));
  configureLocal(Amplify, outputs);
  users.set('ada', await register('ada@example.com'));
  users.set('bob', await register('bob@example.com'));
  const config = withLocalEndpoints(parseAmplifyConfig(outputs), outputs);
  // The models `npm run codegen` writes, as the README has DataStore apps use them (cloud outputs lack a codegen version).
  const introspection: unknown = JSON.parse(
    generateAllModels(findModelSchema(join(PROJECT_ROOT, '.amplify', 'synth', 'local'))).get(
      'model-introspection.json',
    ) ?? 'null',
  );
  for (const [name, owner] of [
    ['a1', 'ada'],
    ['a2', 'ada'],
    ['b1', 'bob'],
    ['b2', 'bob'],
  ] as const) {
    const d = new Device(name);
    devices.set(name, d);
    await d.send('configure', { config, introspection, email: user(owner).email, password: PASSWORD });
  }
});

afterAll(async () => {
  await Promise.all([...devices.values()].map((d) => d.quit()));
  await signOut();
  await backend?.dispose();
});

describe('Amplify DataStore against the local backend', () => {
  let noteId = '';

  it('base-syncs each device when it starts: what is on the server arrives', async () => {
    const ada = await server('ada');
    const first = await ada.models.Note.create({ headline: 'Written before any device started' });
    noteId = first.data?.id ?? '';
    for (const name of ['a1', 'a2', 'b1', 'b2']) {
      const started = await device(name).send<{ ready: boolean; synced: Json[] }>('start');
      expect(started.ready, name).toBe(true);
      expect(
        started.synced.find((e) => e.model === 'Note'),
        name,
      ).toMatchObject({ isFullSync: true });
    }
    expect(ids(await device('a1').send<Json[]>('query', { model: 'Note' }))).toEqual([noteId]);
    const profiles = await device('a2').send<Json[]>('query', { model: 'UserProfile' });
    expect(profiles.map((p) => p.id)).toEqual([user('ada').sub]);
  });

  it('sends creates, updates and deletes of every model it may write to the server', async () => {
    const a1 = device('a1');
    const events = (await a1.send<Json[]>('events')).length;
    const note = await a1.send<Json>('save', { model: 'Note', fields: { headline: 'From DataStore', text: 'v1' } });
    const phone = await a1.send<Json>('save', { model: 'Device', fields: { token: 'ds-token-1', platform: 'FCM' } });
    const tablet = await a1.send<Json>('save', { model: 'Device', fields: { token: 'ds-token-2', platform: 'APNS' } });
    await a1.send('update', { model: 'Note', id: note.id, fields: { headline: 'From DataStore, edited' } });
    await a1.send('update', { model: 'UserProfile', id: user('ada').sub, fields: { displayName: 'Ada on a1' } });
    await a1.send('remove', { model: 'Device', id: tablet.id });
    expect(await a1.send('drained', { from: events })).toBe(true);

    const ada = await server('ada');
    const stored = await until(
      async () => (await ada.models.Note.get({ id: String(note.id) })).data,
      (n) => n?.headline === 'From DataStore, edited',
    );
    // The owner field's read rule shows the owner's username (here the sub), not the stored `<sub>::<username>`.
    expect(stored).toMatchObject({ headline: 'From DataStore, edited', text: 'v1', owner: user('ada').sub });
    expect((await ada.models.Device.get({ id: String(phone.id) })).data).toMatchObject({ token: 'ds-token-1' });
    expect((await ada.models.Device.get({ id: String(tablet.id) })).data).toBeNull();
    expect((await ada.models.UserProfile.get({ id: user('ada').sub })).data?.displayName).toBe('Ada on a1');
  });

  it("deletes a message its sender's device holds", async () => {
    const ada = await server('ada');
    const sent = await ada.mutations.sendMessage({ recipientId: user('bob').sub, body: 'For Bob' });
    const messageId = sent.data?.id ?? '';
    const a1 = device('a1');
    // The message was written by sendMessage, not createMessage: a1 learns of it at its next sync.
    await a1.send('stop');
    await a1.send('start');
    expect(ids(await a1.send<Json[]>('query', { model: 'Message' }))).toEqual([messageId]);
    const events = (await a1.send<Json[]>('events')).length;
    await a1.send('remove', { model: 'Message', id: messageId });
    expect(await a1.send('drained', { from: events })).toBe(true);
    const check = await server('ada');
    expect((await check.models.Message.get({ id: messageId })).data).toBeNull();
  });

  it("delivers another device's change to observe within a second", async () => {
    const a2 = device('a2');
    await a2.send('observe', { model: 'Note' });
    await new Promise((r) => setTimeout(r, 300));
    const before = Date.now();
    const saved = await device('a1').send<Json>('save', { model: 'Note', fields: { headline: 'Live' } });
    const seen = await until(
      () => a2.send<Array<{ at: number; id: string; opType: string }>>('observed'),
      (list) => list.some((e) => e.id === saved.id),
      5000,
    );
    const event = seen.find((e) => e.id === saved.id);
    expect(event?.opType).toBe('INSERT');
    expect((event?.at ?? Number.POSITIVE_INFINITY) - before).toBeLessThan(1000);
  });

  it('propagates a delete to the other device', async () => {
    await device('a1').send('remove', { model: 'Note', id: noteId });
    const left = await until(
      () => device('a2').send<Json[]>('query', { model: 'Note' }),
      (notes) => !notes.some((n) => n.id === noteId),
    );
    expect(ids(left)).not.toContain(noteId);
    const ada = await server('ada');
    expect((await ada.models.Note.get({ id: noteId })).data).toBeNull();
  });

  it('converges offline edits on two devices: per field, the first to reach the server wins; untouched fields merge', async () => {
    const [a1, a2] = [device('a1'), device('a2')];
    const base = await a1.send<Json>('save', { model: 'Note', fields: { headline: 'Shared' } });
    await until(
      () => a2.send<Json | null>('get', { model: 'Note', id: base.id }),
      (n) => n !== null,
    );
    await a1.send('offline');
    await a2.send('offline');
    await a1.send('update', { model: 'Note', id: base.id, fields: { headline: 'Headline from a1' } });
    await a2.send('update', {
      model: 'Note',
      id: base.id,
      fields: { headline: 'Headline from a2', text: 'Text from a2' },
    });
    const first = await a1.send<{ from: number }>('online');
    expect(await a1.send('drained', { from: first.from })).toBe(true);
    const second = await a2.send<{ from: number }>('online');
    expect(await a2.send('drained', { from: second.from })).toBe(true);

    const expected = { headline: 'Headline from a1', text: 'Text from a2' };
    const ada = await server('ada');
    const onServer = await until(
      async () => (await ada.models.Note.get({ id: String(base.id) })).data,
      (n) => n?.text === expected.text,
    );
    expect(onServer).toMatchObject(expected);
    for (const d of [a1, a2]) {
      const local = await until(
        () => d.send<Json | null>('get', { model: 'Note', id: base.id }),
        (n) => n?.headline === expected.headline && n?.text === expected.text,
      );
      expect(local, d.name).toMatchObject(expected);
    }
  });

  it('delta-syncs a restarted device: only what changed while it was stopped', async () => {
    const b1 = device('b1');
    await b1.send('stop');
    const bob = await server('bob');
    const created = await bob.models.Note.create({ headline: 'While b1 was stopped' });
    const started = await b1.send<{ ready: boolean; synced: Json[] }>('start');
    expect(started.synced.find((e) => e.model === 'Note')).toMatchObject({ isDeltaSync: true });
    expect(ids(await b1.send<Json[]>('query', { model: 'Note' }))).toContain(created.data?.id);
  });

  it("never lets one user's DataStore hold another user's records", async () => {
    for (const name of ['b1', 'b2']) {
      for (const model of ['Note', 'Device', 'UserProfile']) {
        const items = await device(name).send<Json[]>('query', { model });
        const foreign = items.filter((i) => !String(i.owner ?? '').startsWith(user('bob').sub));
        expect(foreign, `${name} ${model}`).toEqual([]);
      }
      const messages = await device(name).send<Json[]>('query', { model: 'Message' });
      expect(
        messages.filter((m) => m.recipient !== user('bob').owner && !String(m.owner).startsWith(user('bob').sub)),
      ).toEqual([]);
    }
  });
});
