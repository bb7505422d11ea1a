import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Amplify } from 'aws-amplify';
import { confirmSignUp, fetchAuthSession, signIn, signOut, signUp } from 'aws-amplify/auth';
import { generateClient } from 'aws-amplify/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Schema } from '../../amplify/data/resource';
import { configureLocal } from '../client/local';
import { TEST_TLS_DIR } from '../test/e2e.global-setup';
import { createLocalBackend, type LocalBackend } from './backend';

/**
 * Gen 2's documented client, `client.models`, on the versioned API: it cannot
 * send `_version`, and still every write lands (the conflict handler treats a
 * versionless write as last-writer-wins), and no read returns a deleted record
 * (postDataLoad steps), while the sync queries still do (for DataStore).
 */

const PASSWORD = 'Correct-Horse-9-Battery';
const DATA_DIR = resolve('.amplify/test-local/client-models');
const OUTPUTS = join(DATA_DIR, 'amplify_outputs.json');

interface User {
  email: string;
  sub: string;
  owner: string;
}

let backend: LocalBackend;
const users = new Map<'ada' | 'bob', User>();
const user = (name: 'ada' | 'bob'): User => {
  const found = users.get(name);
  if (!found) throw new Error(`${name} is not registered`);
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

const as = async (name: 'ada' | 'bob') => {
  await signOut();
  await signIn({ username: user(name).email, password: PASSWORD });
  return generateClient<Schema>();
};

/** A raw query, for what client.models cannot ask (the sync queries, `_deleted`). */
const raw = async (
  client: ReturnType<typeof generateClient<Schema>>,
  query: string,
  variables: Record<string, unknown> = {},
) => {
  const result = await client.graphql({ query, variables });
  if (!('data' in result)) throw new Error('expected a query result');
  if (result.errors?.length) throw new Error(JSON.stringify(result.errors));
  return result.data;
};

const errorTypes = (result: { errors?: Array<{ errorType?: string }> }): string[] =>
  (result.errors ?? []).map((e) => String(e.errorType));

let startedAt = 0;

beforeAll(async () => {
  startedAt = Date.now();
  backend = await createLocalBackend({ dataDir: DATA_DIR, reset: true, tlsDir: TEST_TLS_DIR, outputsFile: OUTPUTS });
  configureLocal(Amplify, JSON.parse(readFileSync(OUTPUTS, 'utf8')));
  users.set('ada', await register('ada@example.com'));
  users.set('bob', await register('bob@example.com'));
});

afterAll(async () => {
  await signOut();
  await backend?.dispose();
});

describe('client.models on the versioned API', () => {
  it('Note: create, get, update, list, delete; nothing discarded, the deleted note gone from reads', async () => {
    const client = await as('ada');
    const created = await client.models.Note.create({ headline: 'First', text: 'one' });
    expect(created.errors).toBeUndefined();
    const id = created.data?.id ?? '';
    expect((await client.models.Note.get({ id })).data).toMatchObject({ headline: 'First', text: 'one' });

    // Two edits in a row, neither with a _version: both land.
    const edited = await client.models.Note.update({ id, headline: 'Second' });
    expect(edited.errors).toBeUndefined();
    expect(edited.data).toMatchObject({ headline: 'Second', text: 'one' });
    const again = await client.models.Note.update({ id, text: null });
    expect(again.data).toMatchObject({ headline: 'Second', text: null });
    expect((await client.models.Note.get({ id })).data).toMatchObject({ headline: 'Second', text: null });
    const listed = await client.models.Note.listNotesByOwner({ owner: user('ada').owner });
    expect(listed.data.map((n) => [n.id, n.headline])).toEqual([[id, 'Second']]);

    const removed = await client.models.Note.delete({ id });
    expect(removed.errors).toBeUndefined();
    expect(removed.data?.id).toBe(id);
    expect((await client.models.Note.get({ id })).data).toBeNull();
    expect((await client.models.Note.listNotesByOwner({ owner: user('ada').owner })).data).toEqual([]);
    // A write to a deleted note is refused, not dropped in silence.
    const late = await client.models.Note.update({ id, headline: 'Too late' });
    expect(errorTypes(late)).toEqual(['ConflictUnhandled']);
    // DataStore still learns of the delete.
    const synced = await raw(client, '{ syncNotes(limit: 100) { items { id _deleted _version } } }');
    expect(synced.syncNotes.items).toEqual([{ id, _deleted: true, _version: 4 }]);
  });

  it('Device: create, get, update, list, delete', async () => {
    const client = await as('ada');
    const created = await client.models.Device.create({ token: 'apns-token-1', platform: 'APNS' });
    expect(created.errors).toBeUndefined();
    const id = created.data?.id ?? '';
    const edited = await client.models.Device.update({ id, token: 'apns-token-2' });
    expect(edited.data).toMatchObject({ token: 'apns-token-2', platform: 'APNS' });
    expect((await client.models.Device.get({ id })).data?.token).toBe('apns-token-2');
    const listed = await client.models.Device.listDevicesByOwner({ owner: user('ada').owner });
    expect(listed.data.map((d) => d.token)).toEqual(['apns-token-2']);
    expect((await client.models.Device.delete({ id })).errors).toBeUndefined();
    expect((await client.models.Device.get({ id })).data).toBeNull();
    expect((await client.models.Device.listDevicesByOwner({ owner: user('ada').owner })).data).toEqual([]);
  });

  it('UserProfile: the one the sign-up made is read, updated and listed; it cannot be created or deleted', async () => {
    const client = await as('ada');
    const id = user('ada').sub;
    expect((await client.models.UserProfile.get({ id })).data).toMatchObject({ id, displayName: 'ada' });
    const edited = await client.models.UserProfile.update({ id, displayName: 'Ada L.' });
    expect(edited.errors).toBeUndefined();
    const again = await client.models.UserProfile.update({ id, preferences: JSON.stringify({ theme: 'dark' }) });
    expect(again.data).toMatchObject({ displayName: 'Ada L.' });
    const listed = await client.models.UserProfile.listUserProfilesByOwner({ owner: user('ada').owner });
    expect(listed.data.map((p) => p.displayName)).toEqual(['Ada L.']);
    expect(errorTypes(await client.models.UserProfile.create({ displayName: 'Second me' }))).toEqual(['Unauthorized']);
    expect(errorTypes(await client.models.UserProfile.delete({ id }))).toEqual(['Unauthorized']);
  });

  it("UserProfile: the trigger's write reaches a delta sync (sync fields and DeltaSync entry)", async () => {
    const client = await as('bob');
    const delta = await raw(
      client,
      'query S($lastSync: AWSTimestamp) { syncUserProfiles(lastSync: $lastSync) { items { id _version _lastChangedAt } } }',
      { lastSync: startedAt },
    );
    expect(delta.syncUserProfiles.items).toEqual([
      { id: user('bob').sub, _version: 1, _lastChangedAt: expect.any(Number) },
    ]);
  });

  it('Message: sent through sendMessage, read by both sides, deleted by its sender, never created directly', async () => {
    const ada = await as('ada');
    const sent = await ada.mutations.sendMessage({ recipientId: user('bob').sub, body: 'Hello Bob' });
    expect(sent.errors).toBeUndefined();
    const id = sent.data?.id ?? '';
    expect(errorTypes(await ada.models.Message.create({ sender: 'x', recipient: 'y', body: 'z' }))).toEqual([
      'Unauthorized',
    ]);
    const bob = await as('bob');
    expect((await bob.models.Message.get({ id })).data?.body).toBe('Hello Bob');
    const inbox = await bob.models.Message.listMessagesByRecipient({ recipient: user('bob').owner });
    expect(inbox.data.map((m) => m.id)).toEqual([id]);
    const sender = await as('ada');
    expect(
      (await sender.models.Message.listMessagesByOwner({ owner: user('ada').owner })).data.map((m) => m.id),
    ).toEqual([id]);
    expect((await sender.models.Message.delete({ id })).errors).toBeUndefined();
    const after = await as('bob');
    expect((await after.models.Message.get({ id })).data).toBeNull();
    expect((await after.models.Message.listMessagesByRecipient({ recipient: user('bob').owner })).data).toEqual([]);
  });

  it('never creates a record for another owner nor reassigns one, with or without _version', async () => {
    const ada = await as('ada');
    const bobIdentity = user('bob').owner;
    for (const model of ['Note', 'Device'] as const) {
      const created =
        model === 'Note'
          ? await ada.models.Note.create({ headline: 'For Bob?', owner: bobIdentity })
          : await ada.models.Device.create({ token: 'for-bob', platform: 'FCM', owner: bobIdentity });
      expect(errorTypes(created), model).toEqual(['Unauthorized']);
    }
    const note = await ada.models.Note.create({ headline: 'Mine' });
    const id = note.data?.id ?? '';
    // The owner field's read rule shows the owner's username, not the stored `<sub>::<username>`.
    expect(note.data?.owner).toBe(user('ada').sub);
    for (const input of [
      { id, owner: bobIdentity },
      { id, owner: bobIdentity, _version: 1 },
      { id, owner: user('ada').owner, _version: 1 },
    ]) {
      let moved: unknown;
      try {
        moved = await ada.graphql({
          query: 'mutation U($input: UpdateNoteInput!) { updateNote(input: $input) { id } }',
          variables: { input },
        });
      } catch (error) {
        // The client throws a response that has errors.
        moved = error;
      }
      expect(JSON.stringify(moved), JSON.stringify(input)).toContain('Unauthorized on [owner]');
    }
    const bob = await as('bob');
    expect(
      (await bob.models.Note.listNotesByOwner({ owner: user('bob').owner })).data.map((n) => n.headline),
    ).not.toContain('For Bob?');
  });

  it("lets no versionless write through to another owner's record", async () => {
    const ada = await as('ada');
    const note = await ada.models.Note.create({ headline: 'Ada only' });
    const id = note.data?.id ?? '';
    const bob = await as('bob');
    expect(errorTypes(await bob.models.Note.update({ id, headline: 'Bob was here' }))).toEqual(['Unauthorized']);
    expect(errorTypes(await bob.models.Note.delete({ id }))).toEqual(['Unauthorized']);
    const check = await as('ada');
    expect((await check.models.Note.get({ id })).data?.headline).toBe('Ada only');
  });

  it('soft-deletes a device the push service reports invalid, and a delta sync tells DataStore', async () => {
    const client = await as('bob');
    const device = await client.models.Device.create({ token: 'f'.repeat(64), platform: 'APNS' });
    const id = device.data?.id ?? '';
    const before = await raw(client, '{ syncDevices(limit: 100) { startedAt } }');
    backend.push.markInvalid('f'.repeat(64));
    const ada = await as('ada');
    await ada.mutations.sendMessage({ recipientId: user('bob').sub, body: 'Ping' });
    await backend.drainStreams();
    const bobAgain = await as('bob');
    expect((await bobAgain.models.Device.get({ id })).data).toBeNull();
    const delta = await raw(
      bobAgain,
      'query S($lastSync: AWSTimestamp) { syncDevices(lastSync: $lastSync) { items { id _deleted _version } } }',
      { lastSync: Number(before.syncDevices.startedAt) },
    );
    expect(delta.syncDevices.items).toEqual([{ id, _deleted: true, _version: 2 }]);
  });
});
