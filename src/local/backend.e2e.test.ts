import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Amplify } from 'aws-amplify';
import { confirmSignUp, fetchAuthSession, signIn, signOut, signUp } from 'aws-amplify/auth';
import { generateClient } from 'aws-amplify/data';
import { downloadData, getUrl, list, remove, uploadData } from 'aws-amplify/storage';
import { generateKeyPair, importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Schema } from '../../amplify/data/resource';
import { configureLocal, localStorageOptions } from '../client/local';
import { rawSubscribe } from '../test/appsync-realtime';
import { TEST_TLS_DIR } from '../test/e2e.global-setup';
import { createLocalBackend, type LocalBackend } from './backend';

const PASSWORD = 'Correct-Horse-9-Battery';
const DATA_DIR = resolve('.amplify/test-local/e2e');
const OUTPUTS = join(DATA_DIR, 'amplify_outputs.json');

interface User {
  email: string;
  sub: string;
  owner: string;
  idToken: string;
}

let backend: LocalBackend;
const users: Record<'ada' | 'bob' | 'eve', User> = {} as never;

/** What every Amplify Storage call spreads into its options; the endpoint changes with each start. */
let storageOptions: ReturnType<typeof localStorageOptions>;

const start = async (reset: boolean): Promise<void> => {
  backend = await createLocalBackend({ dataDir: DATA_DIR, reset, tlsDir: TEST_TLS_DIR, outputsFile: OUTPUTS });
  const outputs = JSON.parse(readFileSync(OUTPUTS, 'utf8'));
  configureLocal(Amplify, outputs);
  storageOptions = localStorageOptions(outputs);
};

const register = async (email: string): Promise<User> => {
  await signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } });
  await confirmSignUp({ username: email, confirmationCode: backend.outbox.latestCode(email, 'verification') ?? '' });
  await signIn({ username: email, password: PASSWORD });
  const tokens = (await fetchAuthSession()).tokens;
  await signOut();
  const sub = String(tokens?.idToken?.payload.sub);
  return { email, sub, owner: `${sub}::${sub}`, idToken: tokens?.idToken?.toString() ?? '' };
};

const as = async (user: User) => {
  await signOut();
  await signIn({ username: user.email, password: PASSWORD });
  return generateClient<Schema>();
};

/**
 * Cognito's AdminAddUserToGroup, in-process: over HTTP it needs a SigV4
 * signature and an IAM allow (the auth integration tests cover that path).
 */
const makeAdmin = async (user: User): Promise<void> => {
  await backend.auth.pool.handle('AdminAddUserToGroup', {
    UserPoolId: 'us-east-1_LocalPool',
    Username: user.email,
    GroupName: 'Admins',
  });
};

/** A raw AppSync request with a given token: another user's client, or a forged one. */
const gql = async (token: string | undefined, query: string, variables: Record<string, unknown> = {}) => {
  const response = await fetch(backend.urls.graphql, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: token }) },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    body: (await response.json()) as { data?: Record<string, unknown> | null; errors?: Array<Record<string, unknown>> },
  };
};

type GqlResult = Awaited<ReturnType<typeof gql>>;

/** The id of the object a raw request returned under one field, or '' without one. */
const idOf = (result: GqlResult, field: string): string => {
  const value = result.body.data?.[field];
  return typeof value === 'object' && value !== null && 'id' in value ? String(value.id) : '';
};

/** The items of a connection a raw request returned under one field, or [] without one. */
const itemsOf = (result: GqlResult, field: string): unknown[] => {
  const value = result.body.data?.[field];
  return typeof value === 'object' && value !== null && 'items' in value && Array.isArray(value.items)
    ? value.items
    : [];
};

/** A raw query through the Amplify client, for fields the model API does not expose (`_version`, sync). */
const run = async (
  client: ReturnType<typeof generateClient<Schema>>,
  query: string,
  variables: Record<string, unknown> = {},
) => {
  const result = await client.graphql({ query, variables });
  if (!('data' in result)) throw new Error('expected a query result, not a subscription');
  if (result.errors?.length) throw new Error(JSON.stringify(result.errors));
  return result.data;
};

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  await start(true);
  users.ada = await register('ada@example.com');
  users.bob = await register('bob@example.com');
  users.eve = await register('eve@example.com');
});

afterAll(async () => {
  await signOut();
  await backend?.dispose();
});

describe('the local backend with the real aws-amplify client', () => {
  let adaNoteId = '';

  it('creates, reads, lists by owner, updates and deletes notes', async () => {
    const client = await as(users.ada);
    const created = await client.models.Note.create({ headline: 'First note', text: 'hello' });
    expect(created.errors).toBeUndefined();
    adaNoteId = created.data?.id ?? '';
    expect(created.data).toMatchObject({ headline: 'First note', text: 'hello' });
    expect((await client.models.Note.get({ id: adaNoteId })).data?.headline).toBe('First note');
    const mine = await client.models.Note.listNotesByOwner({ owner: users.ada.owner });
    expect(mine.data.map((n) => n.id)).toEqual([adaNoteId]);

    // With conflict detection on, writes carry the version the client last saw.
    const scratch = await client.models.Note.create({ headline: 'Scratch' });
    const update = await run(
      client,
      'mutation U($input: UpdateNoteInput!) { updateNote(input: $input) { id headline _version } }',
      { input: { id: scratch.data?.id, headline: 'Scratch, edited', _version: 1 } },
    );
    expect(update).toMatchObject({ updateNote: { headline: 'Scratch, edited', _version: 2 } });
    const removed = await run(
      client,
      'mutation D($input: DeleteNoteInput!) { deleteNote(input: $input) { id _deleted _version } }',
      { input: { id: scratch.data?.id, _version: 2 } },
    );
    expect(removed).toMatchObject({ deleteNote: { _deleted: true, _version: 3 } });
  });

  it('merges a stale update with AUTOMERGE: the server keeps its scalar, the version moves on', async () => {
    const client = await as(users.ada);
    const note = await client.models.Note.create({ headline: 'Merge me', text: 'v1' });
    const stale = await run(
      client,
      'mutation U($input: UpdateNoteInput!) { updateNote(input: $input) { headline text photoKey _version } }',
      { input: { id: note.data?.id, text: 'stale text', photoKey: 'media/x.jpg', _version: 0 } },
    );
    // text conflicts (server value kept); photoKey was null on the server (merged in).
    expect(stale).toMatchObject({ updateNote: { text: 'v1', photoKey: 'media/x.jpg', _version: 2 } });
  });

  it('syncs changes since lastSync for DataStore', async () => {
    const client = await as(users.ada);
    const first = await run(client, '{ syncNotes(limit: 100) { items { id _version _deleted } startedAt } }');
    const startedAt = Number(first.syncNotes.startedAt);
    expect(first.syncNotes.items.length).toBeGreaterThanOrEqual(3);
    await wait(5);
    const fresh = await client.models.Note.create({ headline: 'After the sync' });
    const delta = await run(
      client,
      'query S($lastSync: AWSTimestamp) { syncNotes(lastSync: $lastSync) { items { id headline } } }',
      { lastSync: startedAt },
    );
    expect(delta.syncNotes.items.map((i: { id: string }) => i.id)).toEqual([fresh.data?.id]);
  });

  it("delivers the user's own events to a subscription and none of another user's", async () => {
    const client = await as(users.ada);
    const received: string[] = [];
    const subscription = client.models.Note.onCreate().subscribe({ next: (note) => received.push(note.headline) });
    await wait(500);
    await client.models.Note.create({ headline: 'Mine, live' });
    await gql(users.bob.idToken, 'mutation { createNote(input: { headline: "Bob, live" }) { id } }');
    for (let i = 0; i < 30 && received.length === 0; i += 1) await wait(100);
    await wait(500);
    subscription.unsubscribe();
    expect(received).toEqual(['Mine, live']);
  });

  it('finds notes with searchNotes once the stream has indexed them, only the caller’s, following edits and deletes', async () => {
    const client = await as(users.ada);
    const lamp = await client.models.Note.create({ headline: 'Harbour lighthouse', text: 'keepers log' });
    await gql(users.bob.idToken, 'mutation { createNote(input: { headline: "Lighthouse secrets" }) { id } }');
    await backend.drainStreams();
    const found = await client.queries.searchNotes({ query: 'lighthouse' });
    expect(found.errors).toBeUndefined();
    expect(found.data?.items.map((i) => i?.id)).toEqual([lamp.data?.id]);
    const bobFound = await gql(
      users.bob.idToken,
      '{ searchNotes(query: "lighthouse") { items { id headline } total } }',
    );
    expect(bobFound.body.data?.searchNotes).toMatchObject({ total: 1, items: [{ headline: 'Lighthouse secrets' }] });

    await run(client, 'mutation U($input: UpdateNoteInput!) { updateNote(input: $input) { id } }', {
      input: { id: lamp.data?.id, headline: 'Harbour beacon', _version: 1 },
    });
    await backend.drainStreams();
    expect((await client.queries.searchNotes({ query: 'lighthouse' })).data?.items).toEqual([]);
    expect((await client.queries.searchNotes({ query: 'beacon' })).data?.items.map((i) => i?.id)).toEqual([
      lamp.data?.id,
    ]);
    await run(client, 'mutation D($input: DeleteNoteInput!) { deleteNote(input: $input) { id } }', {
      input: { id: lamp.data?.id, _version: 2 },
    });
    await backend.drainStreams();
    expect((await client.queries.searchNotes({ query: 'beacon' })).data?.items).toEqual([]);
  });

  it('sends a message: the recipient receives it live, a stranger does not, and each of its devices gets a push', async () => {
    for (const [token, platform] of [
      ['b'.repeat(64), 'APNS'],
      ['bob-fcm-token', 'FCM'],
    ]) {
      const device = await gql(
        users.bob.idToken,
        `mutation { createDevice(input: { token: "${token}", platform: ${platform} }) { id } }`,
      );
      expect(device.body.errors).toBeUndefined();
    }
    const bob = await as(users.bob);
    const inbox: string[] = [];
    const live = bob.subscriptions.onMessageReceived().subscribe({ next: (m) => inbox.push(m?.body ?? '') });
    const eve = await rawSubscribe(
      backend.urls,
      users.eve.idToken,
      'subscription { onMessageReceived { id body recipient } }',
    );
    await wait(500);
    const sent = await gql(
      users.ada.idToken,
      `mutation { sendMessage(recipientId: "${users.bob.sub}", body: "Hello Bob") { id sender recipient body } }`,
    );
    expect(sent.body.data?.sendMessage).toMatchObject({ sender: users.ada.sub, body: 'Hello Bob' });
    for (let i = 0; i < 30 && inbox.length === 0; i += 1) await wait(100);
    await backend.drainStreams();
    live.unsubscribe();
    eve.close();
    expect(inbox).toEqual(['Hello Bob']);
    expect(eve.messages.filter((m) => m.type === 'data')).toEqual([]);
    const pushes = backend.outbox.list().filter((m) => m.channel === 'push');
    expect(pushes.map((p) => p.to).sort()).toEqual(['b'.repeat(64), 'bob-fcm-token'].sort());

    // A token the service reports as unregistered is forgotten by the push function.
    backend.push.markInvalid('bob-fcm-token');
    await gql(
      users.ada.idToken,
      `mutation { sendMessage(recipientId: "${users.bob.sub}", body: "Again") { id recipient } }`,
    );
    await backend.drainStreams();
    const devices = await gql(
      users.bob.idToken,
      `{ listDevicesByOwner(owner: "${users.bob.owner}") { items { token } } }`,
    );
    expect(itemsOf(devices, 'listDevicesByOwner')).toEqual([{ token: 'b'.repeat(64) }]);
    expect(backend.outbox.list('bob-fcm-token')).toHaveLength(1);
    expect(backend.outbox.list('b'.repeat(64))).toHaveLength(2);

    const toNobody = await gql(
      users.ada.idToken,
      'mutation { sendMessage(recipientId: "no-such-user", body: "hi") { id } }',
    );
    expect(toNobody.body.errors?.[0]).toMatchObject({ errorType: 'NotFound', message: 'recipient not found' });
  });
});

describe('authorization', () => {
  it('gives other users and strangers no access to a note: get, update, delete, list, search', async () => {
    const note = await gql(users.ada.idToken, 'mutation { createNote(input: { headline: "Private plans" }) { id } }');
    const id = idOf(note, 'createNote');
    for (const other of [users.bob, users.eve]) {
      const get = await gql(other.idToken, `{ getNote(id: "${id}") { id headline } }`);
      expect(get.body.data?.getNote ?? null).toBeNull();
      expect(get.body.errors?.[0]?.errorType).toBe('Unauthorized');
      const update = await gql(
        other.idToken,
        `mutation { updateNote(input: { id: "${id}", headline: "pwned", _version: 1 }) { id } }`,
      );
      expect(update.body.errors?.[0]?.errorType).toMatch(/Unauthorized|ConditionalCheckFailed/);
      const del = await gql(other.idToken, `mutation { deleteNote(input: { id: "${id}", _version: 1 }) { id } }`);
      expect(del.body.errors?.[0]?.errorType).toMatch(/Unauthorized|ConditionalCheckFailed/);
      const list = await gql(other.idToken, `{ listNotesByOwner(owner: "${users.ada.owner}") { items { id } } }`);
      expect(itemsOf(list, 'listNotesByOwner')).toEqual([]);
      const search = await gql(other.idToken, '{ searchNotes(query: "plans") { items { id } } }');
      expect(itemsOf(search, 'searchNotes')).toEqual([]);
    }
    const intact = await gql(users.ada.idToken, `{ getNote(id: "${id}") { headline _version _deleted } }`);
    expect(intact.body.data?.getNote).toMatchObject({ headline: 'Private plans', _version: 1, _deleted: null });
  });

  it('lets Admins read any note, and only read it', async () => {
    await makeAdmin(users.eve);
    await signOut();
    await signIn({ username: 'eve@example.com', password: PASSWORD });
    const adminToken = (await fetchAuthSession()).tokens?.idToken?.toString() ?? '';
    await signOut();
    const note = await gql(users.ada.idToken, 'mutation { createNote(input: { headline: "Reported note" }) { id } }');
    const id = idOf(note, 'createNote');
    const read = await gql(adminToken, `{ getNote(id: "${id}") { headline } }`);
    expect(read.body.data?.getNote).toMatchObject({ headline: 'Reported note' });
    const write = await gql(
      adminToken,
      `mutation { updateNote(input: { id: "${id}", headline: "edited", _version: 1 }) { id } }`,
    );
    expect(write.body.errors?.[0]?.errorType).toMatch(/Unauthorized|ConditionalCheckFailed/);
  });

  it('lets only the recipient and the sender read a message', async () => {
    const sent = await gql(
      users.ada.idToken,
      `mutation { sendMessage(recipientId: "${users.bob.sub}", body: "For Bob") { id } }`,
    );
    const id = idOf(sent, 'sendMessage');
    const query = `{ getMessage(id: "${id}") { body } }`;
    expect((await gql(users.bob.idToken, query)).body.data?.getMessage).toMatchObject({ body: 'For Bob' });
    expect((await gql(users.ada.idToken, query)).body.data?.getMessage).toMatchObject({ body: 'For Bob' });
    const stranger = await gql(users.eve.idToken, query);
    expect(stranger.body.data?.getMessage ?? null).toBeNull();
    const mine = await gql(
      users.eve.idToken,
      `{ listMessagesByRecipient(recipient: "${users.bob.owner}") { items { id } } }`,
    );
    expect(itemsOf(mine, 'listMessagesByRecipient')).toEqual([]);
  });

  it('rejects forged, unsigned, expired and wrong-audience tokens, and requests without one', async () => {
    const key = JSON.parse(readFileSync(join(DATA_DIR, 'auth', 'signing-key.json'), 'utf8'));
    const realKey = await importJWK(key, 'RS256');
    const claims = {
      sub: users.ada.sub,
      'cognito:username': users.ada.sub,
      token_use: 'id',
      aud: 'localclient0000000000000000',
    };
    const now = Math.floor(Date.now() / 1000);
    const sign = (signingKey: Parameters<SignJWT['sign']>[0], extra: Record<string, unknown>, kid = String(key.kid)) =>
      new SignJWT({ ...claims, ...extra })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer(backend.auth.issuer)
        .setIssuedAt(now - 7200)
        .setExpirationTime(Number(extra.exp ?? now + 600))
        .sign(signingKey);
    const { privateKey: foreign } = await generateKeyPair('RS256');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(
      JSON.stringify({ ...claims, iss: backend.auth.issuer, exp: now + 600 }),
    ).toString('base64url')}.`;
    const cases: Record<string, string | undefined> = {
      forged: await sign(foreign, {}),
      unsigned,
      expired: await sign(realKey, { exp: now - 60 }),
      wrongAudience: await sign(realKey, { aud: 'some-other-client' }),
      missing: undefined,
    };
    for (const [name, token] of Object.entries(cases)) {
      const result = await gql(token, '{ listNotesByOwner(owner: "x") { items { id } } }');
      expect(result.status, name).toBe(401);
      expect(result.body.errors?.[0]?.errorType, name).toBe('UnauthorizedException');
    }
    expect((await gql(await sign(realKey, { exp: now - 60 }), '{ __typename }')).body.errors?.[0]?.message).toBe(
      'Token has expired.',
    );
    expect((await gql(users.ada.idToken, '{ __typename }')).status).toBe(200);
  });
});

describe('user pool', () => {
  const userPool = (operation: string, body: Record<string, unknown>) =>
    fetch(backend.urls.userPool, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`,
      },
      body: JSON.stringify(body),
    });

  it("answers unknown users as the template's PreventUserExistenceErrors asks, and refuses unsigned admin calls", async () => {
    const resend = await userPool('ResendConfirmationCode', {
      ClientId: 'localclient0000000000000000',
      Username: 'nobody@example.com',
    });
    expect(resend.status).toBe(200);
    expect((await resend.json()).CodeDeliveryDetails).toMatchObject({ DeliveryMedium: 'EMAIL' });
    const admin = await userPool('AdminAddUserToGroup', {
      UserPoolId: 'us-east-1_LocalPool',
      Username: 'nobody@example.com',
      GroupName: 'Admins',
    });
    expect(admin.status).toBe(400);
    expect(admin.headers.get('access-control-allow-origin')).toBeNull();
    expect((await admin.json()).__type).toBe('MissingAuthenticationTokenException');
  });
});

describe('identity pool', () => {
  it("issues each signed-in user credentials under the template's authenticated role, and none to guests", async () => {
    // Prepare
    await as(users.ada);
    // Act
    const ada = await fetchAuthSession();
    await as(users.bob);
    const bob = await fetchAuthSession();
    await signOut();
    // Assess
    expect(backend.outputs.auth).toMatchObject({ unauthenticated_identities_enabled: false });
    expect(ada.identityId).toMatch(/^us-east-1:/);
    expect(bob.identityId).not.toBe(ada.identityId);
    const issued = backend.auth.identityPool?.credentialsFor(ada.credentials?.accessKeyId ?? '');
    expect(issued).toMatchObject({ identityId: ada.identityId, sub: users.ada.sub, authenticated: true });
    expect(issued?.roleArn).toMatch(/^arn:aws:iam::000000000000:role\/amplifyAuthauthenticatedUserRole/);
    const media = Object.entries(backend.buckets).find(([id]) => id.startsWith('userMediaBucket'))?.[1];
    expect(media).toBeDefined();
    const objects = `arn:aws:s3:::${media}`;
    const adaKey = ada.credentials?.accessKeyId ?? '';
    const decide = (action: string, resource: string, context?: Record<string, string>) =>
      backend.authorize(adaKey, { action, resource, context });
    expect(decide('s3:PutObject', `${objects}/media/${ada.identityId}/photo.jpg`)).toBe('Allow');
    expect(decide('s3:GetObject', `${objects}/media/${ada.identityId}/photo.jpg`)).toBe('Allow');
    expect(decide('s3:GetObject', `${objects}/media/${bob.identityId}/photo.jpg`)).toBe('ImplicitDeny');
    expect(decide('s3:DeleteObject', `${objects}/media/${bob.identityId}/photo.jpg`)).toBe('ImplicitDeny');
    expect(decide('s3:GetObject', `${objects}/published/${bob.identityId}/photo.jpg`)).toBe('Allow');
    expect(decide('s3:ListBucket', objects, { 's3:prefix': `media/${bob.identityId}/` })).toBe('ImplicitDeny');
    expect(backend.authorize('ASIAUNKNOWN', { action: 's3:GetObject', resource: objects })).toBeUndefined();
    await expect(
      backend.auth.identityPool?.handle('GetId', {
        IdentityPoolId: (backend.outputs.auth as { identity_pool_id: string }).identity_pool_id,
      }),
    ).rejects.toMatchObject({ type: 'NotAuthorizedException' });
  });
});

describe('storage', () => {
  it("uploads, lists, downloads, presigns and removes the user's own media, fetched back through a note; another user and a tampered URL are refused", async () => {
    // Prepare
    const options = storageOptions;
    expect(options).toHaveProperty('customEndpoint');
    await as(users.ada);
    const { identityId } = await fetchAuthSession();
    const path = `media/${identityId}/photo.txt`;
    // Act
    await uploadData({ path, data: 'a photo of the harbour', options: { ...options, contentType: 'text/plain' } })
      .result;
    const listed = await list({ path: `media/${identityId}/`, options });
    const downloaded = await (await downloadData({ path, options }).result).body.text();
    const { url } = await getUrl({ path, options });
    const fetched = await fetch(url);
    const tampered = await fetch(url.toString().replace('photo.txt', 'other.txt'));
    // Assess
    expect(listed.items.map((item) => item.path)).toEqual([path]);
    expect(downloaded).toBe('a photo of the harbour');
    expect(await fetched.text()).toBe('a photo of the harbour');
    expect(tampered.status).toBe(403);
    await as(users.bob);
    await expect(downloadData({ path, options }).result).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(remove({ path, options })).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(list({ path: `media/${identityId}/`, options })).rejects.toMatchObject({ name: 'AccessDenied' });
    // A note references the photo; its owner follows the reference back to the bytes.
    const client = await as(users.ada);
    const note = await client.models.Note.create({ headline: 'Harbour photo', photoKey: path });
    const got = await client.models.Note.get({ id: note.data?.id ?? '' });
    const viaNote = await downloadData({ path: got.data?.photoKey ?? '', options }).result;
    expect(await viaNote.body.text()).toBe('a photo of the harbour');
    await remove({ path, options });
    expect((await list({ path: `media/${identityId}/`, options })).items).toEqual([]);
    await signOut();
  });
});

describe('storage CORS', () => {
  it("answers a browser's preflight from the bucket's synthesized CORS rules, exposing ETag", async () => {
    // Prepare
    const outputs = JSON.parse(readFileSync(OUTPUTS, 'utf8'));
    const base = `https://${outputs.custom.local.storage_endpoint}/${outputs.storage.bucket_name}/media/x/photo.jpg`;
    const preflight = (origin: string, method: string) =>
      fetch(base, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': method,
          'access-control-request-headers': 'authorization,x-amz-date,x-amz-content-sha256',
        },
      });
    // Act
    const allowed = await preflight('http://localhost:5173', 'PUT');
    const invalid = await preflight('http://localhost:5173', 'PATCH');
    // Assess
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('*');
    expect(allowed.headers.get('access-control-allow-methods')).toBe('GET, HEAD, PUT, POST, DELETE');
    expect(allowed.headers.get('access-control-expose-headers')).toContain('ETag');
    expect(invalid.status).toBe(400);
  });
});

describe('storage multipart', () => {
  it('uploads a 6 MB file in parts and downloads the same bytes', async () => {
    const options = storageOptions;
    await as(users.ada);
    const { identityId } = await fetchAuthSession();
    const path = `media/${identityId}/big.bin`;
    const data = randomBytes(6 * 1024 * 1024);
    const uploaded = await uploadData({ path, data, options }).result;
    const blob = await (await downloadData({ path, options }).result).body.blob();
    const body = Buffer.from(await blob.arrayBuffer());
    expect(uploaded.eTag).toMatch(/-2"?$/);
    expect(createHash('sha256').update(body).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    await remove({ path, options });
    await signOut();
  });
});

describe('storage groups', () => {
  it('lets signed-in users read published media and only its owner or an Admin delete it', async () => {
    // Prepare
    const options = storageOptions;
    await as(users.ada);
    const { identityId } = await fetchAuthSession();
    const path = `published/${identityId}/poster.txt`;
    await uploadData({ path, data: 'for everyone', options }).result;
    // Act and assess: bob reads it but cannot delete it or write beside it.
    await as(users.bob);
    expect(await (await downloadData({ path, options }).result).body.text()).toBe('for everyone');
    await expect(remove({ path, options })).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(
      uploadData({ path: `published/${identityId}/forged.txt`, data: 'x', options }).result,
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    // eve, an Admin, signs with the Admins group's role and may delete.
    await makeAdmin(users.eve);
    await as(users.eve);
    const eve = await fetchAuthSession();
    expect(backend.auth.identityPool?.credentialsFor(eve.credentials?.accessKeyId ?? '')?.roleArn).toMatch(
      /role\/amplifyAuthAdminsGroupRole/,
    );
    await remove({ path, options });
    await expect(downloadData({ path, options }).result).rejects.toMatchObject({ name: 'NoSuchKey' });
    // As an Admin she keeps her own private folder, and still cannot read ada's.
    const own = `media/${eve.identityId}/own.txt`;
    await uploadData({ path: own, data: 'mine', options }).result;
    expect(await (await downloadData({ path: own, options }).result).body.text()).toBe('mine');
    await expect(downloadData({ path: `media/${identityId}/private.txt`, options }).result).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    await signOut();
  });
});

describe('bad input', () => {
  it('answers oversize fields, malformed GraphQL and unknown fields with clear errors, keeps serving and loses nothing', async () => {
    const count = async () =>
      itemsOf(
        await gql(users.ada.idToken, `{ listNotesByOwner(owner: "${users.ada.owner}", limit: 1000) { items { id } } }`),
        'listNotesByOwner',
      ).length;
    const before = await count();
    const long = await gql(
      users.ada.idToken,
      `mutation { createNote(input: { headline: "${'x'.repeat(201)}" }) { id } }`,
    );
    expect(long.body.errors?.[0]?.message).toContain('headline must be at most 200 characters');
    const malformed = await gql(users.ada.idToken, 'query {');
    expect(malformed.body.errors?.[0]?.message).toMatch(/Syntax Error/);
    const unknown = await gql(users.ada.idToken, '{ listNotesByOwner(owner: "x") { items { id secret } } }');
    expect(unknown.body.errors?.[0]?.message).toMatch(/Cannot query field "secret"/);
    const bodyless = await fetch(backend.urls.graphql, {
      method: 'POST',
      headers: { authorization: users.ada.idToken, 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(bodyless.status).toBe(400);
    expect(await count()).toBe(before);
  });
});

describe('restart', () => {
  it('keeps users and data across a stop and a start', async () => {
    const client = await as(users.ada);
    const identityBefore = (await fetchAuthSession()).identityId;
    const note = await client.models.Note.create({ headline: 'Survives restarts' });
    const photo = `media/${identityBefore}/kept.txt`;
    await uploadData({ path: photo, data: 'kept', options: storageOptions }).result;
    await signOut();
    await backend.dispose();
    await start(false);
    const again = await as(users.ada);
    const got = await again.models.Note.get({ id: note.data?.id ?? '' });
    expect(got.data?.headline).toBe('Survives restarts');
    expect((await fetchAuthSession()).identityId).toBe(identityBefore);
    expect(await (await downloadData({ path: photo, options: storageOptions }).result).body.text()).toBe('kept');
  });
});
