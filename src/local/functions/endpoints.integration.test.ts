import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDbGuard } from '../dynamodb/access';
import { startEmbeddedDynamoDb } from '../dynamodb/embedded';
import { LOCAL_AWS, type LocalDynamoDb, startDynamoDbLocal } from '../dynamodb/local';
import { type SignedFront, startSignedFront } from '../dynamodb/signed-front';
import { LocalCredentials } from '../iam/credentials';
import type { PolicyDocument } from '../iam/policy';
import { type LocalStorage, startLocalStorage } from '../storage/server';
import { loadOrCreateTls } from '../tls';
import { LocalFunction } from './runner';

/**
 * A function's SDK clients, configured from its environment only, reach the
 * local S3 (HTTPS, the local CA) and DynamoDB with its role's credentials,
 * and may do what the role's policies allow and nothing else; behind the
 * signing front, DynamoDB Local sees one account for every caller.
 */

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const BUCKET = 'media.local';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/uploaderRole`;
const POLICIES = new Map<string, PolicyDocument[]>([
  [
    ROLE,
    [
      {
        Statement: [
          { Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject'], Resource: `arn:aws:s3:::${BUCKET}/uploads/*` },
          {
            Effect: 'Allow',
            Action: 'dynamodb:PutItem',
            Resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Files`,
          },
        ],
      },
    ],
  ],
]);

let dir: string;
let credentials: LocalCredentials;
let storage: LocalStorage;
let db: LocalDynamoDb;
const functions: LocalFunction[] = [];

const startFunction = (endpoints: Record<string, string>, caFile: string) => {
  const own = credentials.forFunction('uploader', ROLE);
  const fn = new LocalFunction({
    name: 'uploader',
    entry: resolve('src/local/test-fixtures/aws-caller.mjs'),
    handler: 'aws-caller.handler',
    timeoutSeconds: 20,
    caFile,
    env: {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: own.accessKeyId,
      AWS_SECRET_ACCESS_KEY: own.secretAccessKey,
      AWS_SESSION_TOKEN: own.sessionToken,
      ...Object.fromEntries(Object.entries(endpoints).map(([service, url]) => [`AWS_ENDPOINT_URL_${service}`, url])),
      PATH: process.env.PATH ?? '',
    },
  });
  functions.push(fn);
  return fn;
};

const createFiles = (dynamodb: LocalDynamoDb) =>
  dynamodb.client.send(
    new CreateTableCommand({
      TableName: 'Files',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'function-endpoints-'));
  credentials = new LocalCredentials({
    file: join(dir, 'admin-credentials.json'),
    region: REGION,
    accountId: ACCOUNT,
    policies: () => POLICIES,
  });
  const tls = await loadOrCreateTls(join(dir, 'tls'));
  storage = await startLocalStorage({
    buckets: [BUCKET],
    region: REGION,
    dir: join(dir, 'storage'),
    tls,
    lookup: (accessKeyId) => credentials.lookup(accessKeyId)?.secret,
    authorize: (accessKeyId, request) => {
      const known = credentials.lookup(accessKeyId);
      return known ? credentials.authorize(known.principal, request) : undefined;
    },
  });
  db = await startEmbeddedDynamoDb({
    guard: dynamoDbGuard(credentials, { region: REGION, accountId: ACCOUNT }),
    credentials: credentials.admin,
  });
  await createFiles(db);
  startFunction({ S3: storage.url, DYNAMODB: db.endpoint }, tls.caFile);
});

afterAll(async () => {
  for (const fn of functions) await fn.stop();
  await db?.stop();
  await storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a function's calls to the local services", () => {
  it('reaches the local S3 over TLS with its role, and only where the role allows', async () => {
    // Prepare
    const fn = functions[0];
    if (!fn) throw new Error('no function');
    // Act
    const put = await fn.invoke({ service: 's3', op: 'put', bucket: BUCKET, key: 'uploads/a.txt', body: 'hello' });
    const get = await fn.invoke({ service: 's3', op: 'get', bucket: BUCKET, key: 'uploads/a.txt' });
    const outside = await fn.invoke({ service: 's3', op: 'put', bucket: BUCKET, key: 'private/b.txt', body: 'x' });
    // Assess
    expect(put).toEqual({ ok: true, value: 'stored' });
    expect(get).toEqual({ ok: true, value: 'hello' });
    expect(outside).toMatchObject({ ok: false, name: 'AccessDenied' });
  });

  it('reaches the embedded DynamoDB with its role, and only for what the role allows', async () => {
    // Prepare
    const fn = functions[0];
    if (!fn) throw new Error('no function');
    // Act
    const put = await fn.invoke({ service: 'dynamodb', op: 'put', table: 'Files', item: { id: { S: 'f1' } } });
    const get = await fn.invoke({ service: 'dynamodb', op: 'get', table: 'Files', key: { id: { S: 'f1' } } });
    // Assess
    expect(put).toEqual({ ok: true, value: 'stored' });
    expect(get).toMatchObject({ ok: false, name: 'AccessDeniedException' });
    expect((await db.client.send(new GetItemCommand({ TableName: 'Files', Key: { id: { S: 'f1' } } }))).Item).toEqual({
      id: { S: 'f1' },
    });
  });
});

describe('the signing front before DynamoDB Local', () => {
  let local: LocalDynamoDb;
  let front: SignedFront;

  beforeAll(async () => {
    local = await startDynamoDbLocal();
    front = await startSignedFront({
      target: local.endpoint,
      guard: dynamoDbGuard(credentials, { region: REGION, accountId: ACCOUNT }),
      account: { accessKeyId: LOCAL_AWS.credentials.accessKeyId, region: REGION },
    });
    await createFiles(local);
  }, 60_000);

  afterAll(async () => {
    await front?.stop();
    await local?.stop();
  });

  it("passes what the function's role allows on to the local account's tables, and refuses the rest", async () => {
    // Prepare
    const fn = startFunction({ DYNAMODB: front.endpoint }, join(dir, 'tls', 'ca.pem'));
    // Act
    const put = await fn.invoke({ service: 'dynamodb', op: 'put', table: 'Files', item: { id: { S: 'f2' } } });
    const get = await fn.invoke({ service: 'dynamodb', op: 'get', table: 'Files', key: { id: { S: 'f2' } } });
    const unsigned = await fetch(front.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'DynamoDB_20120810.ListTables', 'content-type': 'application/x-amz-json-1.0' },
      body: '{}',
    });
    // Assess
    expect(put).toEqual({ ok: true, value: 'stored' });
    expect(get).toMatchObject({ ok: false, name: 'AccessDeniedException' });
    expect(unsigned.status).toBe(400);
    expect(await unsigned.json()).toMatchObject({
      __type: 'com.amazon.coral.service#MissingAuthenticationTokenException',
    });
    // Written under the local account's key: the backend's own client sees it.
    expect(
      (await local.client.send(new GetItemCommand({ TableName: 'Files', Key: { id: { S: 'f2' } } }))).Item,
    ).toEqual({ id: { S: 'f2' } });
  });
});
