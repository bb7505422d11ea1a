import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CloudSearchDomainClient, UploadDocumentsCommand } from '@aws-sdk/client-cloudsearch-domain';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAuth, startLocalAuth } from '../auth/server';
import { startEmbeddedDynamoDb } from '../dynamodb/embedded';
import type { LocalDynamoDb } from '../dynamodb/local';
import { createTables, type TableSpec } from '../dynamodb/tables';
import { LocalFunction } from '../functions/runner';
import { DynamoDataSource } from '../graphql/dynamodb-source';
import { requestLog } from '../http/request-log';
import { LocalCredentials } from '../iam/credentials';
import { Outbox } from '../outbox';
import { type LocalSearch, startLocalSearch } from '../search/server';
import { type LocalStorage, startLocalStorage } from '../storage/server';
import { DeadLetterQueue } from '../streams';
import { loadOrCreateTls } from '../tls';
import { SESSION_COOKIE } from './access';
import { type LocalConsole, startLocalConsole } from './server';
import { consoleSources } from './sources';

/**
 * The console's API over real local parts: the local Cognito (its admin
 * operations, SigV4 with the local admin), the embedded DynamoDB, S3,
 * CloudSearch, a function in its worker, the outbox and the dead letters.
 * First what it refuses, then each panel's state.
 */

const REGION = 'us-east-1';
const POOL = 'us-east-1_ConsoleTest';
const BUCKET = 'media.console.local';
const dir = mkdtempSync(join(tmpdir(), 'console-'));
const TABLE: TableSpec = {
  name: 'Post-console-NONE',
  label: 'Post',
  attributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
  keySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  globalSecondaryIndexes: [],
  stream: false,
};
/** A model whose API source is versioned (DataStore sync): console edits must be versions with DeltaSync entries. */
const DRAFTS: TableSpec = { ...TABLE, name: 'Draft-console-NONE', label: 'Draft' };
const DELTAS: TableSpec = {
  name: 'AmplifyDataStore-console-NONE',
  label: 'AmplifyDataStore',
  attributeDefinitions: [
    { AttributeName: 'ds_pk', AttributeType: 'S' },
    { AttributeName: 'ds_sk', AttributeType: 'S' },
  ],
  keySchema: [
    { AttributeName: 'ds_pk', KeyType: 'HASH' },
    { AttributeName: 'ds_sk', KeyType: 'RANGE' },
  ],
  globalSecondaryIndexes: [],
  stream: false,
};
const VERSIONING = { deltaSyncTableName: DELTAS.name, baseTableTtlMinutes: 43_200, deltaSyncTableTtlMinutes: 30 };
const OUTPUTS = {
  data: {
    model_introspection: {
      models: {
        Post: {
          name: 'Post',
          fields: {
            id: { name: 'id', type: 'ID', isRequired: true },
            title: { name: 'title', type: 'String' },
            owner: { name: 'owner', type: 'String' },
          },
          attributes: [{ type: 'auth', properties: { rules: [{ allow: 'owner', ownerField: 'owner' }] } }],
        },
        Draft: {
          name: 'Draft',
          fields: {
            id: { name: 'id', type: 'ID', isRequired: true },
            title: { name: 'title', type: 'String' },
            updatedAt: { name: 'updatedAt', type: 'AWSDateTime' },
          },
          attributes: [],
        },
      },
    },
  },
};

let credentials: LocalCredentials;
let auth: LocalAuth;
let dynamodb: LocalDynamoDb;
let storage: LocalStorage;
let search: LocalSearch;
let fn: LocalFunction;
let deadLetters: DeadLetterQueue;
let localConsole: LocalConsole;
let port = 0;
let secret = '';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => Record<string, unknown>;
}

/** A raw request, so that Host and Origin can be anything. */
const call = (
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer; auth?: boolean } = {},
): Promise<Answer> =>
  new Promise((done, fail) => {
    const headers: Record<string, string> = {
      host: `127.0.0.1:${port}`,
      ...(options.auth === false ? {} : { authorization: `Bearer ${secret}` }),
      ...(options.body !== undefined && typeof options.body === 'string' ? { 'content-type': 'application/json' } : {}),
      ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}),
      ...options.headers,
    };
    const outgoing = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        done({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
    });
    outgoing.on('error', fail);
    outgoing.end(options.body);
  });

beforeAll(async () => {
  credentials = new LocalCredentials({
    file: join(dir, 'admin-credentials.json'),
    accountId: '000000000000',
    region: REGION,
    policies: () => new Map(),
  });
  secret = credentials.admin.secretAccessKey;
  requestLog.principalOf = (id) => credentials.lookup(id)?.principal.name;
  const outbox = new Outbox(join(dir, 'outbox.jsonl'));
  auth = await startLocalAuth({
    userPoolId: POOL,
    clientId: 'consoleclient000000000000',
    passwordPolicy: {
      minimumLength: 8,
      requireLowercase: false,
      requireUppercase: false,
      requireNumbers: false,
      requireSymbols: false,
    },
    groups: ['Admins'],
    outbox,
    verifySigned: credentials.verify,
    authorizePrincipal: credentials.authorize,
  });
  dynamodb = await startEmbeddedDynamoDb({ credentials: credentials.admin });
  await createTables(dynamodb.client, [TABLE, DRAFTS, DELTAS]);
  const tls = await loadOrCreateTls(join(dir, 'tls'));
  storage = await startLocalStorage({
    buckets: [BUCKET],
    region: REGION,
    dir: join(dir, 'storage'),
    tls,
    lookup: (id) => credentials.lookup(id)?.secret,
    authorize: (id, req) => {
      const known = credentials.lookup(id);
      return known ? credentials.authorize(known.principal, req) : undefined;
    },
  });
  search = await startLocalSearch({
    textFields: ['title'],
    access: {
      domainArn: `arn:aws:cloudsearch:${REGION}:000000000000:domain/local`,
      verify: credentials.verify,
      authorize: credentials.authorize,
      arnOf: (p) => credentials.arnOf(p),
    },
  });
  const entry = join(dir, 'echo.mjs');
  writeFileSync(
    entry,
    "export const handler = async (event) => { console.log('echo got', JSON.stringify(event)); if (event.fail) throw new TypeError('asked to fail'); return { doubled: (event.n ?? 0) * 2 }; };\n",
  );
  fn = new LocalFunction({ name: 'echo-fn', entry, handler: 'index.handler', timeoutSeconds: 5, env: {} });
  deadLetters = new DeadLetterQueue(join(dir, 'dead-letters.jsonl'));
  deadLetters.add({
    mapping: `s3:${BUCKET} -> echo-fn`,
    at: new Date().toISOString(),
    reason: 'Error: once',
    sequenceNumbers: [],
    keys: [{ n: 21 }],
  });
  localConsole = await startLocalConsole({
    cacheDir: join(dir, 'console-cache'),
    sources: consoleSources({
      region: REGION,
      admin: () => credentials.admin,
      userPool: { url: auth.url, id: POOL, pool: auth.pool },
      dynamodb: { url: dynamodb.endpoint, client: dynamodb.client },
      outputs: () => OUTPUTS,
      tables: () => [TABLE, DRAFTS, DELTAS],
      tableWriter: (tableName) =>
        new DynamoDataSource(dynamodb.wire, {
          tableName,
          ...(tableName === DRAFTS.name ? { versioned: VERSIONING } : {}),
        }),
      functions: () => new Map([['EchoFunction', fn]]),
      mappings: () => new Map(),
      storage: { url: storage.url, caFile: tls.caFile, buckets: () => [BUCKET] },
      outbox,
      deadLetters,
      search,
      requestLog,
    }),
  });
  port = Number(new URL(localConsole.url).port);
}, 60_000);

afterAll(async () => {
  await localConsole?.close();
  await fn?.stop();
  await search?.close();
  await storage?.close();
  await dynamodb?.stop();
  await auth?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('what the console refuses', () => {
  it('refuses a request without a token, with a wrong token, or with a forged cookie', async () => {
    expect((await call('GET', '/api/overview', { auth: false })).status).toBe(401);
    expect((await call('GET', '/api/overview', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect(
      (await call('GET', '/api/overview', { auth: false, headers: { cookie: `${SESSION_COOKIE}=forged` } })).status,
    ).toBe(401);
    const page = await call('GET', '/', { auth: false });
    expect(page.status).toBe(401);
    expect(page.text).toContain('Sign in');
  });

  it('refuses a foreign Host (DNS rebinding), even with the right token', async () => {
    const answer = await call('GET', '/api/overview', { headers: { host: `attacker.example:${port}` } });
    expect(answer.status).toBe(421);
    expect((await call('GET', '/api/overview', { headers: { host: '127.0.0.1:1' } })).status).toBe(421);
    expect(
      requestLog.recent().some((e) => e.service === 'console' && e.status === 421 && e.notable === 'refused'),
    ).toBe(true);
  });

  it('refuses a state-changing request from a foreign Origin', async () => {
    const answer = await call('POST', '/api/users', {
      body: JSON.stringify({ username: 'mallory' }),
      headers: { origin: 'http://attacker.example' },
    });
    expect(answer.status).toBe(403);
    const users = (await call('GET', '/api/users')).json();
    expect(JSON.stringify(users)).not.toContain('mallory');
  });

  it('sends no CORS headers', async () => {
    for (const answer of [
      await call('GET', '/api/overview'),
      await call('OPTIONS', '/api/users', { headers: { origin: 'http://attacker.example' } }),
    ])
      expect(Object.keys(answer.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('spends the one-time login link; the cookie is HttpOnly and SameSite=Strict, and its writes need the Origin', async () => {
    const link = new URL(localConsole.loginUrl());
    const login = await call('GET', `${link.pathname}${link.search}`, { auth: false });
    expect(login.status).toBe(303);
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect((await call('GET', `${link.pathname}${link.search}`, { auth: false })).status).toBe(401);
    const session = cookie.split(';')[0] ?? '';
    expect((await call('GET', '/api/overview', { auth: false, headers: { cookie: session } })).status).toBe(200);
    const body = JSON.stringify({ username: 'cookie@example.com' });
    expect((await call('POST', '/api/users', { auth: false, body, headers: { cookie: session } })).status).toBe(403);
    const own = { cookie: session, origin: `http://127.0.0.1:${port}` };
    const created = await call('POST', '/api/users', { auth: false, body, headers: own });
    expect(created.status).toBe(201);
  });

  it('answers bad input with a 4xx JSON error and keeps serving', async () => {
    const bad = await call('POST', '/api/users', { body: '{not json' });
    expect(bad.status).toBe(400);
    expect(bad.json().message).toMatch(/JSON/);
    expect((await call('POST', '/api/users', { body: JSON.stringify({ username: 42 }) })).status).toBe(400);
    expect((await call('GET', '/api/models/Nope/records')).status).toBe(404);
    expect((await call('GET', '/api/models/Post/records?next=%%%')).status).toBe(400);
    expect(
      (await call('PUT', '/api/models/Post/records', { body: JSON.stringify({ item: { title: 'no id' } }) })).status,
    ).toBe(400);
    expect((await call('POST', '/api/users/nobody/confirm')).status).toBe(400);
    expect((await call('POST', '/api/dead-letters/99/replay')).status).toBe(404);
    expect((await call('POST', '/api/functions/missing/invoke', { body: '{}' })).status).toBe(404);
    expect((await call('GET', '/api/files/object?bucket=other&key=a')).status).toBe(404);
    expect((await call('POST', '/api/graphql', { body: '{}' })).status).toBe(404);
    expect((await call('GET', '/api/overview')).status).toBe(200);
  });
});

describe("each panel's state", () => {
  it('users: create, confirm, groups, disable, delete, through the local Cognito admin operations', async () => {
    expect(
      (
        await call('POST', '/api/users', {
          body: JSON.stringify({
            username: 'ada@example.com',
            password: 'correct horse',
          }),
        })
      ).status,
    ).toBe(201);
    expect(
      (await call('POST', '/api/users/ada%40example.com/groups', { body: JSON.stringify({ group: 'Admins' }) })).status,
    ).toBe(200);
    let listed = (await call('GET', '/api/users')).json();
    expect(listed.groups).toEqual(['Admins']);
    const ada = () =>
      (Array.isArray(listed.users) ? listed.users : []).find((u) => u.attributes?.email === 'ada@example.com');
    expect(ada()).toMatchObject({
      status: 'CONFIRMED',
      enabled: true,
      groups: ['Admins'],
      attributes: { email: 'ada@example.com' },
    });
    const tokens = (await call('POST', '/api/users/ada%40example.com/tokens')).json();
    const claims = JSON.parse(
      Buffer.from(String(tokens.AccessToken).split('.')[1] ?? '', 'base64url').toString('utf8'),
    );
    expect(claims).toMatchObject({ 'cognito:groups': ['Admins'], token_use: 'access' });
    expect((await call('DELETE', '/api/users/ada%40example.com/groups/Admins')).status).toBe(200);
    expect((await call('POST', '/api/users/ada%40example.com/disable')).status).toBe(200);
    listed = (await call('GET', '/api/users')).json();
    expect(ada()).toMatchObject({ enabled: false, groups: [] });
    expect((await call('POST', '/api/users/ada%40example.com/tokens')).status).toBe(400);
    // A user created without a password has a temporary one; a sign-up stays unconfirmed until confirmed.
    await auth.pool.handle('SignUp', {
      ClientId: 'consoleclient000000000000',
      Username: 'bob@example.com',
      Password: 'battery staple',
      UserAttributes: [{ Name: 'email', Value: 'bob@example.com' }],
    });
    expect((await call('POST', '/api/users/bob%40example.com/confirm')).status).toBe(200);
    listed = (await call('GET', '/api/users')).json();
    expect(
      (Array.isArray(listed.users) ? listed.users : []).find((u) => u.attributes?.email === 'bob@example.com'),
    ).toMatchObject({
      status: 'CONFIRMED',
    });
    expect((await call('DELETE', '/api/users/ada%40example.com')).status).toBe(200);
    listed = (await call('GET', '/api/users')).json();
    expect(ada()).toBeUndefined();
    // The admin operations went over the wire, signed: the request log names them and the caller.
    expect(
      requestLog
        .recent()
        .some((e) => e.service === 'cognito' && e.operation === 'AdminCreateUser' && e.caller === 'admin'),
    ).toBe(true);
  });

  it('data: each model with its table and owner field; records written, listed and deleted', async () => {
    const models = (await call('GET', '/api/models')).json();
    expect(models.models).toEqual([
      expect.objectContaining({ name: 'Post', table: TABLE.name, keys: ['id'], ownerFields: ['owner'] }),
      expect.objectContaining({ name: 'Draft', table: DRAFTS.name, keys: ['id'], ownerFields: [] }),
    ]);
    const item = { id: 'p1', title: 'hello', owner: 'sub-1::ada' };
    const put = await call('PUT', '/api/models/Post/records', { body: JSON.stringify({ item }) });
    expect(put.text).toContain('p1');
    expect(put.status).toBe(200);
    const page = (await call('GET', '/api/models/Post/records')).json();
    expect(page).toMatchObject({ owners: ['owner'], records: [item] });
    const removed = await call('DELETE', '/api/models/Post/records', { body: JSON.stringify({ key: { id: 'p1' } }) });
    expect(`${removed.status} ${removed.text}`).toBe('200 {}');
    expect((await call('GET', '/api/models/Post/records')).json().records).toEqual([]);
  });

  it('data: on a versioned model an edit is the next version and a delete a soft delete, each with a DeltaSync entry', async () => {
    const deltas = async () =>
      (await dynamodb.client.send(new ScanCommand({ TableName: DELTAS.name }))).Items?.map((i) => unmarshall(i)) ?? [];
    const record = async () => (await call('GET', '/api/models/Draft/records')).json().records;
    // A stale _version in the edit is the data source's to replace, not the editor's to set.
    const first = await call('PUT', '/api/models/Draft/records', {
      body: JSON.stringify({ item: { id: 'd1', title: 'one', _version: 7 } }),
    });
    expect(first.status).toBe(200);
    expect(await record()).toEqual([
      expect.objectContaining({
        id: 'd1',
        title: 'one',
        _version: 1,
        __typename: 'Draft',
        updatedAt: expect.any(String),
      }),
    ]);
    await call('PUT', '/api/models/Draft/records', { body: JSON.stringify({ item: { id: 'd1', title: 'two' } }) });
    expect(await record()).toEqual([expect.objectContaining({ title: 'two', _version: 2 })]);
    const removed = await call('DELETE', '/api/models/Draft/records', { body: JSON.stringify({ key: { id: 'd1' } }) });
    expect(removed.status).toBe(200);
    // Soft-deleted as delete<Model> does: kept, marked, with a TTL, for devices to sync the deletion.
    expect(await record()).toEqual([
      expect.objectContaining({ _deleted: true, _version: 3, _ttl: expect.any(Number) }),
    ]);
    const entries = await deltas();
    expect(entries.map((e) => [e.id, e._version, e._deleted ?? false]).sort()).toEqual([
      ['d1', 1, false],
      ['d1', 2, false],
      ['d1', 3, true],
    ]);
    expect(entries.every((e) => String(e.ds_pk).startsWith(`${DRAFTS.name}:`))).toBe(true);
  });

  it('files: uploaded, listed, downloaded (as an attachment) and deleted', async () => {
    const path = `/api/files/object?bucket=${BUCKET}&key=${encodeURIComponent('media/a b.txt')}`;
    expect(
      (await call('PUT', path, { body: Buffer.from('file body'), headers: { 'content-type': 'text/plain' } })).status,
    ).toBe(200);
    const listed = (await call('GET', '/api/files')).json();
    expect(listed.buckets).toEqual([
      expect.objectContaining({
        bucket: BUCKET,
        objects: [expect.objectContaining({ key: 'media/a b.txt', size: 9 })],
      }),
    ]);
    const download = await call('GET', path);
    expect(download.text).toBe('file body');
    expect(download.headers['content-disposition']).toMatch(/^attachment/);
    expect(download.headers['content-type']).toBe('application/octet-stream');
    expect((await call('DELETE', path)).status).toBe(200);
    expect(JSON.stringify((await call('GET', '/api/files')).json())).not.toContain('a b.txt');
  });

  it('outbox: the codes the pool sent', async () => {
    const messages = (await call('GET', '/api/outbox')).json().messages;
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ to: 'bob@example.com', code: expect.stringMatching(/^\d{6}$/) }),
      ]),
    );
  });

  it('dead letters: listed and replayed into the function', async () => {
    const letters = (await call('GET', '/api/dead-letters')).json().letters;
    expect(letters).toEqual([expect.objectContaining({ index: 0, mapping: `s3:${BUCKET} -> echo-fn` })]);
    const replay = (await call('POST', '/api/dead-letters/0/replay')).json();
    expect(replay).toMatchObject({ ok: true, result: { doubled: 42 } });
    expect(replay.logs).toContain('echo got {"n":21}');
    expect((await call('GET', '/api/dead-letters')).json().letters).toEqual([
      expect.objectContaining({ replayed: expect.objectContaining({ ok: true }) }),
    ]);
  });

  it('search: the documents in the index', async () => {
    const client = new CloudSearchDomainClient({
      endpoint: search.url,
      region: REGION,
      credentials: credentials.admin,
    });
    await client.send(
      new UploadDocumentsCommand({
        contentType: 'application/json',
        documents: JSON.stringify([{ type: 'add', id: 'd1', fields: { title: 'indexed' } }]),
      }),
    );
    client.destroy();
    expect((await call('GET', '/api/search')).json().documents).toEqual([
      { engine: 'cloudsearch', index: 'domain', id: 'd1', fields: { title: 'indexed' } },
    ]);
  });

  it('functions: invoked with an event, with the result, the error and the logs', async () => {
    expect((await call('GET', '/api/functions')).json().functions).toEqual([{ id: 'EchoFunction', name: 'echo-fn' }]);
    const ok = (
      await call('POST', '/api/functions/echo-fn/invoke', { body: JSON.stringify({ event: { n: 4 } }) })
    ).json();
    expect(ok).toMatchObject({ ok: true, result: { doubled: 8 } });
    expect(ok.logs).toContain('echo got {"n":4}');
    const failed = (
      await call('POST', '/api/functions/EchoFunction/invoke', { body: JSON.stringify({ event: { fail: true } }) })
    ).json();
    expect(failed).toMatchObject({ ok: false, error: { type: 'TypeError', message: 'asked to fail' } });
  });

  it('requests: the recent log and its live stream (server-sent events)', async () => {
    expect((await call('GET', '/api/requests')).json().requests).toEqual(
      expect.arrayContaining([expect.objectContaining({ service: 's3', operation: 'PutObject', caller: 'admin' })]),
    );
    const heard = await new Promise<string>((done, fail) => {
      const outgoing = request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/requests/stream',
          headers: {
            host: `127.0.0.1:${port}`,
            authorization: `Bearer ${secret}`,
            'last-event-id': String(requestLog.recent().at(-1)?.id ?? 0),
          },
        },
        (res) => {
          expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString('utf8');
            if (text.includes('"operation":"ListGroups"')) {
              outgoing.destroy();
              done(text);
            }
          });
        },
      );
      outgoing.on('error', fail);
      outgoing.end();
      setTimeout(() => void call('GET', '/api/users'), 100);
    });
    expect(heard).toMatch(/^id: \d+\ndata: \{/m);
  });

  it('local:invoke calls the running console with an event from stdin, a file, or none', async () => {
    const run = (args: string[], stdin?: string) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
        const child = spawn(
          resolve('node_modules/.bin/tsx'),
          ['scripts/local-invoke.ts', ...args, '--data-dir', dir, '--console-port', String(port)],
          {
            stdio: ['pipe', 'pipe', 'pipe'],
          },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('close', (code) => done({ code, stdout, stderr }));
        child.stdin.end(stdin);
      });
    const piped = await run(['echo-fn', '--event', '-'], '{"n": 5}');
    expect(piped.code).toBe(0);
    expect(JSON.parse(piped.stdout)).toEqual({ doubled: 10 });
    expect(piped.stderr).toContain('echo got {"n":5}');
    const file = join(dir, 'event.json');
    writeFileSync(file, '{"fail": true}');
    const failed = await run(['EchoFunction', '--event', file]);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toEqual({ errorType: 'TypeError', errorMessage: 'asked to fail' });
    const missing = await run(['nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Function not found: nope');
    expect((await run([])).code).toBe(2);
  }, 60_000);
});
