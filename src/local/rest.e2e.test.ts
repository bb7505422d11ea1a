import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Amplify } from 'aws-amplify';
import { del, get, post, put } from 'aws-amplify/api';
import { confirmSignUp, fetchAuthSession, signIn, signOut, signUp } from 'aws-amplify/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureLocal } from '../client/local';
import { rawSubscribe } from '../test/appsync-realtime';
import { TEST_TLS_DIR } from '../test/e2e.global-setup';
import { createLocalBackend, type LocalBackend } from './backend';

const PASSWORD = 'Correct-Horse-9-Battery';
const DATA_DIR = resolve('.amplify/test-local/rest-e2e');
const OUTPUTS = join(DATA_DIR, 'amplify_outputs.json');
const API = 'NotesRestApi';

interface User {
  email: string;
  sub: string;
  owner: string;
  idToken: string;
  accessToken: string;
}

let backend: LocalBackend;
let outputs: Record<string, unknown>;
let endpoint = '';
const users: Record<'ada' | 'bob', User> = {} as never;

const register = async (email: string): Promise<User> => {
  await signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } });
  await confirmSignUp({ username: email, confirmationCode: backend.outbox.latestCode(email, 'verification') ?? '' });
  await signIn({ username: email, password: PASSWORD });
  const tokens = (await fetchAuthSession()).tokens;
  await signOut();
  const sub = String(tokens?.idToken?.payload.sub);
  return {
    email,
    sub,
    owner: `${sub}::${sub}`,
    idToken: tokens?.idToken?.toString() ?? '',
    accessToken: tokens?.accessToken?.toString() ?? '',
  };
};

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
/** A JSON body as aws-amplify/api takes it (its DocumentType). */
type Body = Record<string, string | number>;
interface Answer {
  status: number;
  body: Record<string, unknown>;
}

const parse = (text: string): Record<string, unknown> => {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value))
      : {};
  } catch {
    return { text };
  }
};

/**
 * A call through aws-amplify/api's REST client, with the ID token in
 * Authorization as the Gen 2 docs show for a Cognito authorizer. A non-2xx
 * answer rejects with the response attached; both come back as { status, body }.
 */
const call = async (
  user: User,
  method: Method,
  path: string,
  body?: Body,
  queryParams?: Record<string, string>,
): Promise<Answer> => {
  const options = {
    headers: { Authorization: user.idToken },
    ...(queryParams === undefined ? {} : { queryParams }),
  };
  const input = { apiName: API, path, options };
  const withBody = { apiName: API, path, options: { ...options, ...(body === undefined ? {} : { body }) } };
  const operation =
    method === 'GET' ? get(input) : method === 'POST' ? post(withBody) : method === 'PUT' ? put(withBody) : del(input);
  try {
    const response = await operation.response;
    const text = 'body' in response ? await response.body.text() : '';
    return { status: response.statusCode, body: parse(text) };
  } catch (error) {
    const response: unknown = typeof error === 'object' && error !== null ? Reflect.get(error, 'response') : undefined;
    if (typeof response !== 'object' || response === null) throw error;
    return {
      status: Number(Reflect.get(response, 'statusCode')),
      body: parse(String(Reflect.get(response, 'body') ?? '')),
    };
  }
};

/** Plain HTTP, as curl or a server-side caller would send it. */
const raw = async (
  method: Method | 'OPTIONS',
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer & { headers: Headers }> => {
  const response = await fetch(`${endpoint}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  return { status: response.status, body: parse(await response.text()), headers: response.headers };
};

const gql = async (token: string, query: string, variables: Record<string, unknown> = {}) => {
  const response = await fetch(backend.urls.graphql, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: token },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
};

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const itemsOf = (answer: Answer): Array<Record<string, unknown>> =>
  Array.isArray(answer.body.items)
    ? answer.body.items.filter((i): i is Record<string, unknown> => typeof i === 'object' && i !== null)
    : [];

beforeAll(async () => {
  backend = await createLocalBackend({ dataDir: DATA_DIR, reset: true, tlsDir: TEST_TLS_DIR, outputsFile: OUTPUTS });
  outputs = JSON.parse(readFileSync(OUTPUTS, 'utf8'));
  configureLocal(Amplify, outputs);
  // As the Gen 2 docs configure a REST API published under custom.API.
  const config = Amplify.getConfig();
  const custom = outputs.custom;
  const rest = typeof custom === 'object' && custom !== null ? Reflect.get(custom, 'API') : undefined;
  Amplify.configure({ ...config, API: { ...config.API, REST: rest } });
  endpoint = String(Amplify.getConfig().API?.REST?.[API]?.endpoint ?? '');
  users.ada = await register('ada@example.com');
  users.bob = await register('bob@example.com');
});

afterAll(async () => {
  await signOut();
  await backend?.dispose();
});

describe('the REST API, locally, through aws-amplify/api', () => {
  it('is published in the outputs as custom.API.<name>, pointed at the local server', () => {
    expect(endpoint.startsWith(`${backend.urls.rest}/restapis/`)).toBe(true);
    expect(endpoint.endsWith('/v1/')).toBe(true);
    const published = Reflect.get(Reflect.get(Object(outputs.custom), 'API'), API);
    expect(published).toMatchObject({ apiName: API, region: 'us-east-1' });
  });

  let noteId = '';

  it('creates, reads, lists with pagination, updates and deletes notes', async () => {
    const created = await call(users.ada, 'POST', 'notes', { headline: 'REST note', text: 'hello' });
    expect(created.status).toBe(201);
    // The owner field resolves to the username part of the stored `<sub>::<username>`, as on GraphQL.
    expect(created.body).toMatchObject({ headline: 'REST note', text: 'hello', owner: users.ada.sub, _version: 1 });
    noteId = String(created.body.id);
    expect((await call(users.ada, 'GET', `notes/${noteId}`)).body).toMatchObject({ id: noteId, headline: 'REST note' });

    for (const n of [1, 2])
      expect((await call(users.ada, 'POST', 'notes', { headline: `page ${n}` })).status).toBe(201);
    const first = await call(users.ada, 'GET', 'notes', undefined, { limit: '2' });
    expect(first.status).toBe(200);
    expect(itemsOf(first)).toHaveLength(2);
    expect(typeof first.body.nextToken).toBe('string');
    const second = await call(users.ada, 'GET', 'notes', undefined, {
      limit: '2',
      nextToken: String(first.body.nextToken),
    });
    const ids = [...itemsOf(first), ...itemsOf(second)].map((n) => n.id);
    expect(new Set(ids).size).toBe(3);
    expect(ids).toContain(noteId);

    const updated = await call(users.ada, 'PUT', `notes/${noteId}`, { headline: 'REST note, edited' });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ headline: 'REST note, edited', _version: 2 });
    const scratch = await call(users.ada, 'POST', 'notes', { headline: 'to delete' });
    const deleted = await call(users.ada, 'DELETE', `notes/${String(scratch.body.id)}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ _deleted: true });
    expect((await call(users.ada, 'GET', `notes/${String(scratch.body.id)}`)).status).toBe(404);
  });

  it("searches the caller's own notes only", async () => {
    await call(users.ada, 'POST', 'notes', { headline: 'zebracorn sighting', text: 'stripes' });
    await call(users.bob, 'POST', 'notes', { headline: 'zebracorn too', text: 'bob' });
    await backend.drainStreams();
    const found = await call(users.ada, 'GET', 'notes/search', undefined, { q: 'zebracorn' });
    expect(found.status).toBe(200);
    expect(itemsOf(found).map((n) => n.headline)).toEqual(['zebracorn sighting']);
  });

  it("hands out an upload URL under the caller's own media path that takes a PUT", async () => {
    const answer = await call(users.ada, 'POST', 'photos/upload-url', { fileName: 'cat.jpg' });
    expect(answer.status).toBe(200);
    const key = String(answer.body.key);
    expect(key).toMatch(/^media\/us-east-1:[0-9a-f-]+\/cat\.jpg$/);
    const bytes = Buffer.from('not really a jpeg');
    const uploaded = await fetch(String(answer.body.url), { method: 'PUT', body: bytes });
    expect({ status: uploaded.status, body: await uploaded.text() }).toEqual({ status: 200, body: '' });
    // The object is there: read back with the local admin credential.
    const { S3Client, GetObjectCommand } = await import('@aws-sdk/client-s3');
    const s3 = new S3Client({
      region: 'us-east-1',
      // custom.local.storage_endpoint is host:port, as Amplify Storage's customEndpoint takes it.
      endpoint: `https://${String(Reflect.get(Object(Reflect.get(Object(outputs.custom), 'local')), 'storage_endpoint'))}`,
      forcePathStyle: true,
      credentials: backend.adminCredentials,
    });
    const bucket = String(Reflect.get(Object(outputs.storage), 'bucket_name'));
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(Buffer.from((await object.Body?.transformToByteArray()) ?? []).toString()).toBe(bytes.toString());
  });

  it('a REST write reaches GraphQL subscribers and DataStore delta sync', async () => {
    const since = Date.now() - 1000;
    const subscriber = await rawSubscribe(
      backend.urls,
      users.ada.idToken,
      'subscription { onCreateNote { id headline owner } }',
    );
    const created = await call(users.ada, 'POST', 'notes', { headline: 'seen by subscribers' });
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !subscriber.messages.some((m) => m.type === 'data')) await wait(50);
    subscriber.close();
    const event = subscriber.messages.find((m) => m.type === 'data');
    expect(JSON.stringify(event)).toContain(String(created.body.id));

    const delta = await gql(
      users.ada.idToken,
      'query ($lastSync: AWSTimestamp) { syncNotes(lastSync: $lastSync) { items { id _version _lastChangedAt } startedAt } }',
      { lastSync: since },
    );
    const items = Reflect.get(Object(delta.data?.syncNotes), 'items');
    expect(JSON.stringify(items)).toContain(String(created.body.id));
  });

  it('sends messages and lists the ones received', async () => {
    const sent = await call(users.ada, 'POST', 'messages', { recipientId: users.bob.sub, body: 'hi bob' });
    expect(sent.status).toBe(201);
    const received = await call(users.bob, 'GET', 'messages');
    expect(received.status).toBe(200);
    expect(itemsOf(received).map((m) => m.body)).toContain('hi bob');
    expect(itemsOf(await call(users.ada, 'GET', 'messages'))).toEqual([]);
  });

  it('the authorization matrix: two users and strangers on every route, no leaks', async () => {
    const secret = `ada-secret-${Date.now()}`;
    const mine = await call(users.ada, 'POST', 'notes', { headline: secret, text: secret });
    const id = String(mine.body.id);
    await call(users.ada, 'POST', 'messages', { recipientId: users.ada.sub, body: secret });
    await backend.drainStreams();
    const routes: Array<[Method, string, Body | undefined, Record<string, string> | undefined]> = [
      ['GET', 'notes', undefined, undefined],
      ['POST', 'notes', { headline: 'x' }, undefined],
      ['GET', `notes/${id}`, undefined, undefined],
      ['PUT', `notes/${id}`, { headline: 'taken over' }, undefined],
      ['DELETE', `notes/${id}`, undefined, undefined],
      ['GET', 'notes/search', undefined, { q: secret }],
      ['POST', 'photos/upload-url', { fileName: 'x.jpg' }, undefined],
      ['POST', 'messages', { recipientId: users.ada.sub, body: 'x' }, undefined],
      ['GET', 'messages', undefined, undefined],
    ];
    let leaks = 0;
    let checked = 0;
    for (const [method, path, body, query] of routes) {
      // Bob, signed in: never sees or changes Ada's data.
      const bob = await call(users.bob, method, path, body, query);
      checked++;
      if (JSON.stringify(bob.body).includes(secret)) leaks++;
      if (path === `notes/${id}`) expect(bob.status).toBe(404);
      // Strangers: no token, a forged one, an access token (the authorizer takes ID tokens) → 401.
      const url = `${path}${query ? `?${new URLSearchParams(query)}` : ''}`;
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const strangers: Array<Record<string, string>> = [
        {},
        { authorization: `${users.ada.idToken.slice(0, -4)}AAAA` },
        { authorization: users.ada.accessToken },
      ];
      for (const headers of strangers) {
        const stranger = await raw(method, url, { 'content-type': 'application/json', ...headers }, payload);
        checked++;
        expect(stranger.status).toBe(401);
        // API Gateway's UNAUTHORIZED gateway response: the stable code, its message and request id.
        expect(stranger.body).toEqual({
          code: 'Unauthorized',
          message: 'Unauthorized',
          requestId: stranger.headers.get('x-amzn-requestid'),
        });
        expect(stranger.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
        if (JSON.stringify(stranger.body).includes(secret)) leaks++;
      }
    }
    expect(checked).toBe(routes.length * 4);
    expect(leaks).toBe(0);
    // Ada's note is untouched.
    expect((await call(users.ada, 'GET', `notes/${id}`)).body).toMatchObject({ headline: secret, _version: 1 });
  });

  it('answers bad input with a clear 4xx', async () => {
    const cases: Array<[Method, string, Body | undefined, Record<string, string> | undefined, number]> = [
      ['POST', 'notes', {}, undefined, 400],
      ['POST', 'notes', { headline: '' }, undefined, 400],
      ['POST', 'notes', { headline: 'x'.repeat(201) }, undefined, 400],
      ['POST', 'notes', { headline: 'ok', text: 'x'.repeat(10_001) }, undefined, 400],
      ['POST', 'notes', { headline: 'ok', owner: 'someone-else' }, undefined, 400],
      ['POST', 'notes', { headline: '   ' }, undefined, 400],
      ['PUT', 'notes/nope', { headline: 'x' }, undefined, 404],
      ['GET', 'notes/does-not-exist', undefined, undefined, 404],
      ['GET', 'notes', undefined, { limit: '0' }, 400],
      ['GET', 'notes', undefined, { limit: 'many' }, 400],
      ['GET', 'notes/search', undefined, undefined, 400],
      ['GET', 'notes/search', undefined, { q: 'x'.repeat(257) }, 400],
      ['POST', 'photos/upload-url', { fileName: '../escape.jpg' }, undefined, 400],
      ['POST', 'messages', { recipientId: users.bob.sub, body: 'x'.repeat(2001) }, undefined, 400],
      ['POST', 'messages', { recipientId: 'no-such-user', body: 'hello' }, undefined, 404],
    ];
    // The handler's and API Gateway's own answers carry the same codes.
    const codes: Record<number, string> = { 400: 'BadRequest', 404: 'NotFound' };
    for (const [method, path, body, query, status] of cases) {
      const answer = await call(users.ada, method, path, body, query);
      expect({ method, path, status: answer.status, code: answer.body.code }).toEqual({
        method,
        path,
        status,
        code: codes[status],
      });
      expect(typeof answer.body.message).toBe('string');
    }
    // API Gateway's validator answers these itself (BAD_REQUEST_BODY, BAD_REQUEST_PARAMETERS), with the details.
    const auth = { authorization: users.ada.idToken, 'content-type': 'application/json' };
    const badBody = await raw('POST', 'notes', auth, JSON.stringify({ owner: 'someone-else' }));
    expect(badBody.status).toBe(400);
    expect(badBody.body).toMatchObject({ code: 'BadRequest', message: 'Invalid request body' });
    expect(String(badBody.body.details)).toContain('headline');
    expect(String(badBody.body.details)).toContain('owner');
    const noQuery = await raw('GET', 'notes/search', auth);
    expect(noQuery.status).toBe(400);
    expect(noQuery.body).toMatchObject({
      code: 'BadRequest',
      message: 'Missing required request parameters: [q]',
      details: 'Missing required request parameters: [q]',
    });
    const duplicate = await call(users.ada, 'POST', 'notes', { headline: 'first' });
    const again = await call(users.ada, 'POST', 'notes', { id: String(duplicate.body.id), headline: 'second' });
    expect(again).toMatchObject({ status: 409, body: { code: 'Conflict' } });
    const tooLarge = await raw(
      'POST',
      'notes',
      { authorization: users.ada.idToken, 'content-type': 'application/json' },
      JSON.stringify({ headline: 'x', text: 'y'.repeat(70_000) }),
    );
    expect([400, 413]).toContain(tooLarge.status);
    expect(tooLarge.body.code).toBe(tooLarge.status === 413 ? 'PayloadTooLarge' : 'BadRequest');
    // An unknown path: API Gateway's 403 MISSING_AUTHENTICATION_TOKEN, as JSON with a code and the CORS origin.
    const nowhere = await raw('GET', 'nowhere', { authorization: users.ada.idToken });
    expect(nowhere.status).toBe(403);
    expect(nowhere.body).toMatchObject({ code: 'Forbidden', message: 'Missing Authentication Token' });
    expect(nowhere.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(nowhere.headers.get('content-type')).toBe('application/json');
  });

  it("answers CORS preflights as the template's OPTIONS methods define", async () => {
    const preflight = await raw('OPTIONS', 'notes', {
      origin: 'capacitor://localhost',
      'access-control-request-method': 'POST',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('capacitor://localhost');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('DELETE');
    const other = await raw('OPTIONS', 'notes', { origin: 'https://evil.example' });
    expect(other.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
    const answer = await raw('GET', `notes/${noteId}`, {
      authorization: users.ada.idToken,
      origin: 'capacitor://localhost',
    });
    expect(answer.headers.get('access-control-allow-origin')).toBe('capacitor://localhost');
  });
});
