import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { CloudSearchDomainClient, SearchCommand, UploadDocumentsCommand } from '@aws-sdk/client-cloudsearch-domain';
import { CreateTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDbGuard } from '../dynamodb/access';
import { startEmbeddedDynamoDb } from '../dynamodb/embedded';
import type { LocalDynamoDb } from '../dynamodb/local';
import { type LocalSearch, startLocalSearch } from '../search/server';
import { LocalCredentials } from './credentials';
import type { PolicyDocument } from './policy';

/**
 * A fuzz pass over the two SigV4 JSON wires of the local backend, the
 * embedded DynamoDB's HTTP front and the CloudSearch domain endpoint: bad
 * signatures, bad JSON, wrong types, unknown targets and paths, huge bodies.
 * Every answer is a 4xx in the service's own format, the server keeps
 * answering, and a canary record stays intact.
 */

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const DOMAIN = `arn:aws:cloudsearch:${REGION}:${ACCOUNT}:domain/notes`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/readerRole`;
const POLICIES = new Map<string, PolicyDocument[]>([
  [
    ROLE,
    [
      {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'dynamodb:Query',
            Resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Canary`,
          },
          { Effect: 'Allow', Action: 'cloudsearch:search', Resource: DOMAIN },
        ],
      },
    ],
  ],
]);

let dir: string;
let credentials: LocalCredentials;
let db: LocalDynamoDb;
let search: LocalSearch;
let searchClient: CloudSearchDomainClient;

/** Sends bytes as they are, and reads the answer: status, headers and body. */
const send = (
  url: string,
  options: { method: string; path: string; headers: Record<string, string>; body?: Buffer | string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const headers = { ...options.headers };
    if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
    const req = httpRequest(
      { host: target.hostname, port: target.port, method: options.method, path: options.path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    // A server that answers a huge body early may close before it is all written.
    req.on('error', (error) => reject(error));
    req.end(options.body);
  });

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/** A request signed with the SDK's own signer, then optionally tampered with. */
const signed = async (
  url: string,
  service: string,
  creds: Creds,
  input: { method?: string; path?: string; headers?: Record<string, string>; body?: string; region?: string },
) => {
  const target = new URL(url);
  const signer = new SignatureV4({ credentials: creds, region: input.region ?? REGION, service, sha256: Sha256 });
  const [path = '/', query = ''] = (input.path ?? '/').split('?');
  const result = await signer.sign({
    method: input.method ?? 'POST',
    protocol: 'http:',
    hostname: target.hostname,
    port: Number(target.port),
    path,
    query: Object.fromEntries(new URLSearchParams(query)),
    headers: { host: target.host, ...input.headers },
    body: input.body,
  });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(result.headers)) headers[k] = String(v);
  return { headers, path: input.path ?? '/', body: input.body };
};

const DDB_HEADERS = (operation: string) => ({
  'content-type': 'application/x-amz-json-1.0',
  'x-amz-target': `DynamoDB_20120810.${operation}`,
});

/** Cases of requests to the DynamoDB front, each a way to send bytes. */
const dynamoDbCases = (): Array<{ name: string; make: () => Promise<Parameters<typeof send>[1]> }> => {
  const cases: Array<{ name: string; make: () => Promise<Parameters<typeof send>[1]> }> = [];
  const admin = credentials.admin;
  const reader = credentials.forFunction('reader', ROLE);
  const put = JSON.stringify({ TableName: 'Canary', Item: { id: { S: 'canary' }, value: { S: 'overwritten' } } });
  const signedAs = (
    creds: Creds,
    operation: string,
    body: string,
    extra: Record<string, string> = {},
    region?: string,
  ) =>
    signed(db.endpoint, 'dynamodb', creds, { headers: { ...DDB_HEADERS(operation), ...extra }, body, region }).then(
      (s) => ({ method: 'POST', ...s }),
    );
  // Bad signatures: unsigned, tampered, wrong keys, scopes, dates and headers.
  cases.push({
    name: 'unsigned',
    make: async () => ({ method: 'POST', path: '/', headers: DDB_HEADERS('PutItem'), body: put }),
  });
  for (const [name, creds] of [
    ['unknown key', { accessKeyId: 'AKIAFUZZFUZZFUZZFUZZ', secretAccessKey: 'x' }],
    ['wrong secret', { ...admin, secretAccessKey: 'wrong' }],
    ['local/local', { accessKeyId: 'local', secretAccessKey: 'local' }],
    ['function without token', { accessKeyId: reader.accessKeyId, secretAccessKey: reader.secretAccessKey }],
    ['function with a wrong token', { ...reader, sessionToken: 'forged' }],
    ['function, outside its policy', reader],
  ] as const)
    cases.push({ name, make: () => signedAs(creds, 'PutItem', put) });
  for (const region of ['eu-west-1', 'ddblocal', ''])
    cases.push({ name: `region ${region}`, make: () => signedAs(admin, 'PutItem', put, {}, region || 'x') });
  cases.push({
    name: 'service s3',
    make: async () => ({
      method: 'POST',
      ...(await signed(db.endpoint, 's3', admin, { headers: DDB_HEADERS('PutItem'), body: put })),
    }),
  });
  const tamperings: Array<[string, (h: Record<string, string>) => void]> = [
    [
      'signature flipped',
      (h) =>
        (h.authorization = (h.authorization ?? '').replace(
          /Signature=(.)/,
          (_, c) => `Signature=${c === 'a' ? 'b' : 'a'}`,
        )),
    ],
    ['signature truncated', (h) => (h.authorization = (h.authorization ?? '').slice(0, -10))],
    ['signature not hex', (h) => (h.authorization = (h.authorization ?? '').replace(/Signature=.*/, 'Signature=zzzz'))],
    ['no Credential', (h) => (h.authorization = (h.authorization ?? '').replace(/Credential=[^,]*,/, ''))],
    ['no SignedHeaders', (h) => (h.authorization = (h.authorization ?? '').replace(/SignedHeaders=[^,]*,/, ''))],
    [
      'credential of 3 parts',
      (h) => (h.authorization = (h.authorization ?? '').replace(/Credential=[^,]*/, 'Credential=a/b/c')),
    ],
    [
      'algorithm HMAC-SHA1',
      (h) => (h.authorization = (h.authorization ?? '').replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA1')),
    ],
    ['authorization garbage', (h) => (h.authorization = 'garbage')],
    ['authorization empty', (h) => (h.authorization = '')],
    [
      'authorization unicode',
      (h) => (h.authorization = 'AWS4-HMAC-SHA256 Credential=ü/ä/ö, SignedHeaders=host, Signature=00'),
    ],
    ['no date', (h) => delete h['x-amz-date']],
    ['date malformed', (h) => (h['x-amz-date'] = '2026-12-01')],
    ['date skewed', (h) => (h['x-amz-date'] = '20200101T000000Z')],
    ['target changed after signing', (h) => (h['x-amz-target'] = 'DynamoDB_20120810.DeleteTable')],
    [
      'host unsigned',
      (h) => (h.authorization = (h.authorization ?? '').replace(/SignedHeaders=[^,]*/, 'SignedHeaders=x-amz-date')),
    ],
    [
      'signed header missing',
      (h) => (h.authorization = (h.authorization ?? '').replace(/SignedHeaders=/, 'SignedHeaders=x-missing;')),
    ],
    ['content sha256 unsigned payload', (h) => (h['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD')],
  ];
  for (const [name, tamper] of tamperings)
    cases.push({
      name,
      make: async () => {
        const request = await signedAs(admin, 'PutItem', put);
        tamper(request.headers);
        return request;
      },
    });
  cases.push({
    name: 'body changed after signing',
    make: async () => ({ ...(await signedAs(admin, 'PutItem', put)), body: put.replace('overwritten', 'tampered!!!') }),
  });
  // Writes that would harm the canary, unsigned and as a function whose role does not allow them.
  const harmful: Array<[string, unknown]> = [
    ['DeleteItem', { TableName: 'Canary', Key: { id: { S: 'canary' } } }],
    [
      'UpdateItem',
      {
        TableName: 'Canary',
        Key: { id: { S: 'canary' } },
        UpdateExpression: 'SET #v = :v',
        ExpressionAttributeNames: { '#v': 'value' },
        ExpressionAttributeValues: { ':v': { S: 'x' } },
      },
    ],
    ['BatchWriteItem', { RequestItems: { Canary: [{ DeleteRequest: { Key: { id: { S: 'canary' } } } }] } }],
    ['TransactWriteItems', { TransactItems: [{ Delete: { TableName: 'Canary', Key: { id: { S: 'canary' } } } }] }],
    ['DeleteTable', { TableName: 'Canary' }],
    ['UpdateTable', { TableName: 'Canary', StreamSpecification: { StreamEnabled: false } }],
  ];
  for (const [operation, body] of harmful) {
    cases.push({
      name: `unsigned ${operation}`,
      make: async () => ({ method: 'POST', path: '/', headers: DDB_HEADERS(operation), body: JSON.stringify(body) }),
    });
    cases.push({ name: `function ${operation}`, make: () => signedAs(reader, operation, JSON.stringify(body)) });
  }
  // Bad JSON, signed by the admin.
  for (const body of [
    '{',
    '[',
    'null',
    '"x"',
    '42',
    'true',
    '[]',
    '{"TableName":',
    '\u0000',
    '{"a":1}}',
    '{'.repeat(5000),
    '['.repeat(100_000),
  ])
    cases.push({ name: `json ${body.slice(0, 12)}`, make: () => signedAs(admin, 'PutItem', body) });
  // Wrong types, signed by the admin: each reaches the store's checks.
  const wrong: unknown[] = [
    { TableName: 5, Item: {} },
    { TableName: 'Canary', Item: 'x' },
    { TableName: 'Canary', Item: [] },
    { TableName: 'Canary', Item: { id: 'fuzz' } },
    { TableName: 'Canary', Item: { id: { N: 'abc' } } },
    { TableName: 'Canary', Item: { id: { S: 'fuzz' }, v: { BOGUS: 'x' } } },
    { TableName: 'Canary', Item: { id: { S: 'fuzz' } }, ConditionExpression: 5 },
    { TableName: 'Canary', Item: { id: { S: 'fuzz' } }, ConditionExpression: 'attribute_exists(' },
    { TableName: 'Canary', Item: { id: { S: 'fuzz' } }, ReturnValues: 'EVERYTHING' },
    { TableName: ['Canary'], Item: { id: { S: 'fuzz' } } },
    { TableName: '', Item: { id: { S: 'fuzz' } } },
    { TableName: 'Missing', Item: { id: { S: 'x' } } },
    { TableName: 'x'.repeat(300), Item: { id: { S: 'x' } } },
    { TableName: 'Canary', Item: { id: { S: '' } } },
  ];
  for (const body of wrong)
    cases.push({
      name: `types ${JSON.stringify(body).slice(0, 40)}`,
      make: () => signedAs(admin, 'PutItem', JSON.stringify(body)),
    });
  const wrongKeys: unknown[] = [
    {},
    { TableName: 'Canary' },
    { TableName: 'Canary', Key: 'x' },
    { TableName: 'Canary', Key: { id: { S: 'fuzz' }, extra: { S: 'x' } } },
  ];
  for (const op of ['GetItem', 'DeleteItem', 'UpdateItem'])
    for (const body of wrongKeys)
      cases.push({ name: `${op} ${JSON.stringify(body)}`, make: () => signedAs(admin, op, JSON.stringify(body)) });
  cases.push({
    name: 'Query with an empty key condition',
    make: () => signedAs(admin, 'Query', JSON.stringify({ TableName: 'Canary', KeyConditionExpression: '' })),
  });
  for (const body of [
    { TableName: 'Canary', Limit: -1 },
    { TableName: 'Canary', ExclusiveStartKey: 'x' },
    { TableName: 'Canary', Segment: 3, TotalSegments: 2 },
  ])
    for (const op of ['Query', 'Scan'])
      cases.push({ name: `${op} ${JSON.stringify(body)}`, make: () => signedAs(admin, op, JSON.stringify(body)) });
  for (const body of [
    { RequestItems: 'x' },
    { RequestItems: { Canary: 'x' } },
    { RequestItems: { Canary: [{ PutRequest: 'x' }] } },
    { TransactItems: 'x' },
    { TransactItems: [{ Bogus: {} }] },
  ])
    cases.push({
      name: `TransactWriteItems ${JSON.stringify(body)}`,
      make: () => signedAs(admin, 'TransactWriteItems', JSON.stringify(body)),
    });
  for (const body of [{ RequestItems: { Canary: [{ PutRequest: 'x' }] } }, { RequestItems: { Canary: [{}] } }])
    cases.push({
      name: `BatchWriteItem ${JSON.stringify(body)}`,
      make: () => signedAs(admin, 'BatchWriteItem', JSON.stringify(body)),
    });
  for (const body of [{ ShardIterator: 'garbage' }, { ShardIterator: 5 }, {}])
    cases.push({
      name: `GetRecords ${JSON.stringify(body)}`,
      make: () => signedAs(admin, 'GetRecords', JSON.stringify(body)),
    });
  cases.push({
    name: 'GetRecords garbage as a function',
    make: () => signedAs(reader, 'GetRecords', '{"ShardIterator":"garbage"}'),
  });
  // Unknown targets and methods.
  for (const target of [
    '',
    'DynamoDB_20120810.',
    'DynamoDB_20120810.Nope',
    'DynamoDB_20990101.PutItem',
    'dynamodb_20120810.PutItem',
    'AWSCognitoIdentityProviderService.AdminAddUserToGroup',
    'DynamoDB_20120810.PutItem.x',
    '../../etc/passwd',
  ])
    cases.push({
      name: `target ${target}`,
      make: () =>
        signed(db.endpoint, 'dynamodb', admin, {
          headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target },
          body: put,
        }).then((s) => ({ method: 'POST', ...s })),
    });
  for (const method of ['GET', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'])
    cases.push({
      name: `method ${method}`,
      make: async () => ({
        method,
        path: '/',
        headers: DDB_HEADERS('PutItem'),
        body: method === 'GET' ? undefined : put,
      }),
    });
  // Huge bodies.
  cases.push({
    name: 'body of 17 MB',
    make: async () => ({
      method: 'POST',
      path: '/',
      headers: DDB_HEADERS('PutItem'),
      body: Buffer.alloc(17 * 1024 * 1024, 0x7b),
    }),
  });
  cases.push({
    name: 'item of 500 KB, signed',
    make: () =>
      signedAs(
        admin,
        'PutItem',
        JSON.stringify({ TableName: 'Canary', Item: { id: { S: 'big' }, v: { S: 'x'.repeat(500_000) } } }),
      ),
  });
  return cases;
};

const SEARCH_PATH = '/2013-01-01/search';
const BATCH_PATH = '/2013-01-01/documents/batch';

const searchCases = (): Array<{ name: string; make: () => Promise<Parameters<typeof send>[1]> }> => {
  const cases: Array<{ name: string; make: () => Promise<Parameters<typeof send>[1]> }> = [];
  const admin = credentials.admin;
  const reader = credentials.forFunction('reader', ROLE);
  const inject = JSON.stringify([{ type: 'add', id: 'canary', fields: { owner: 'eve', headline: 'injected' } }]);
  const upload = (creds: Creds, body: string, headers: Record<string, string> = {}) =>
    signed(search.url, 'cloudsearch', creds, {
      path: BATCH_PATH,
      headers: { 'content-type': 'application/json', ...headers },
      body,
    }).then((s) => ({ method: 'POST', ...s }));
  const query = (creds: Creds, q: string) =>
    signed(search.url, 'cloudsearch', creds, {
      method: 'GET',
      path: `${SEARCH_PATH}?${q.replaceAll(' ', '%20')}`,
    }).then((s) => ({
      method: 'GET',
      ...s,
    }));
  cases.push({
    name: 'unsigned upload',
    make: async () => ({
      method: 'POST',
      path: BATCH_PATH,
      headers: { 'content-type': 'application/json' },
      body: inject,
    }),
  });
  cases.push({
    name: 'unsigned search',
    make: async () => ({ method: 'GET', path: `${SEARCH_PATH}?q=canary`, headers: {} }),
  });
  cases.push({
    name: 'unsigned preflight',
    make: async () => ({ method: 'OPTIONS', path: SEARCH_PATH, headers: { origin: 'https://evil.example' } }),
  });
  for (const [name, creds] of [
    ['unknown key', { accessKeyId: 'AKIAFUZZFUZZFUZZFUZZ', secretAccessKey: 'x' }],
    ['wrong secret', { ...admin, secretAccessKey: 'wrong' }],
    ['local/local', { accessKeyId: 'local', secretAccessKey: 'local' }],
    ['function without token', { accessKeyId: reader.accessKeyId, secretAccessKey: reader.secretAccessKey }],
    ['function outside its policy', reader],
  ] as const)
    cases.push({ name: `upload: ${name}`, make: () => upload(creds, inject) });
  for (const [name, creds] of [
    ['unknown key', { accessKeyId: 'AKIAFUZZFUZZFUZZFUZZ', secretAccessKey: 'x' }],
    ['wrong secret', { ...admin, secretAccessKey: 'wrong' }],
  ] as const)
    cases.push({ name: `search: ${name}`, make: () => query(creds, 'q=canary') });
  const tamperings: Array<[string, (h: Record<string, string>) => void]> = [
    [
      'signature flipped',
      (h) =>
        (h.authorization = (h.authorization ?? '').replace(
          /Signature=(.)/,
          (_, c) => `Signature=${c === 'a' ? 'b' : 'a'}`,
        )),
    ],
    ['signature truncated', (h) => (h.authorization = (h.authorization ?? '').slice(0, -3))],
    ['no Credential', (h) => (h.authorization = (h.authorization ?? '').replace(/Credential=[^,]*,/, ''))],
    ['algorithm', (h) => (h.authorization = (h.authorization ?? '').replace('AWS4-HMAC-SHA256', 'AWS3'))],
    ['garbage', (h) => (h.authorization = 'x')],
    ['empty', (h) => (h.authorization = '')],
    ['no date', (h) => delete h['x-amz-date']],
    ['skewed date', (h) => (h['x-amz-date'] = '20200101T000000Z')],
    ['bad date', (h) => (h['x-amz-date'] = 'yesterday')],
    [
      'host unsigned',
      (h) => (h.authorization = (h.authorization ?? '').replace(/SignedHeaders=[^,]*/, 'SignedHeaders=x-amz-date')),
    ],
    ['unsigned payload', (h) => (h['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD')],
  ];
  for (const [name, tamper] of tamperings) {
    cases.push({
      name: `upload tampered: ${name}`,
      make: async () => {
        const request = await upload(admin, inject);
        tamper(request.headers);
        return request;
      },
    });
    cases.push({
      name: `search tampered: ${name}`,
      make: async () => {
        const request = await query(admin, 'q=canary');
        tamper(request.headers);
        return request;
      },
    });
  }
  cases.push({
    name: 'body changed after signing',
    make: async () => ({ ...(await upload(admin, inject)), body: inject.replace('eve', 'ada') }),
  });
  cases.push({
    name: 'query changed after signing',
    make: async () => {
      const r = await query(reader, 'q=canary');
      return { ...r, path: `${SEARCH_PATH}?q=everything` };
    },
  });
  for (const region of ['eu-west-1', 'x'])
    cases.push({
      name: `region ${region}`,
      make: () =>
        signed(search.url, 'cloudsearch', admin, { region, method: 'GET', path: `${SEARCH_PATH}?q=canary` }).then(
          (s) => ({ method: 'GET', ...s }),
        ),
    });
  cases.push({
    name: 'service dynamodb',
    make: () =>
      signed(search.url, 'dynamodb', admin, { method: 'GET', path: `${SEARCH_PATH}?q=canary` }).then((s) => ({
        method: 'GET',
        ...s,
      })),
  });
  // Bad batches, signed by the admin.
  const batches = [
    '{',
    'null',
    '{}',
    '"x"',
    '42',
    '[1]',
    '[null]',
    '[{}]',
    '[{"type":"add"}]',
    '[{"type":"add","id":"canary"}]',
    '[{"type":"add","id":"canary","fields":"x"}]',
    '[{"type":"add","id":"canary","fields":[]}]',
    '[{"type":"nope","id":"canary"}]',
    '[{"type":"delete","id":5}]',
    '[{"type":"delete","id":""}]',
    `[{"type":"delete","id":"${'x'.repeat(200)}"}]`,
    '[{"type":"delete","id":"bad id with spaces"}]',
    '[{"type":"delete","id":"canary"},{"type":"add"}]',
    `[{"type":"add","id":"canary","fields":{"headline":"${'y'.repeat(1_100_000)}"}}]`,
    '['.repeat(100_000),
    '\u0000',
    '[{"type":"delete","id":"canary"}]]',
  ];
  for (const body of batches) cases.push({ name: `batch ${body.slice(0, 30)}`, make: () => upload(admin, body) });
  // Bad searches, signed by the function that may search.
  const queries = [
    'q.parser=lucene&q=x',
    'q.parser=structured&q=(and)',
    'size=-1&q=x',
    'size=abc&q=x',
    'size=10001&q=x',
    'size=1.5&q=x',
    'cursor=%%%&q=x',
    'cursor=bm90YW51bWJlcg&q=x',
    'fq=(and&q=x',
    "fq=(term field=owner 'x'&q=x",
    'fq=(or (not))&q=x',
    `fq=${'('.repeat(2000)}&q=x`,
    'q.options={&q=x',
    `fq=(term field=owner '${'z'.repeat(5000)}&q=x`,
  ];
  for (const q of queries) cases.push({ name: `search ${q.slice(0, 30)}`, make: () => query(reader, q) });
  // Unknown paths and methods.
  for (const [method, path] of [
    ['GET', '/'],
    ['GET', '/2013-01-01/suggest?q=x'],
    ['POST', SEARCH_PATH],
    ['GET', BATCH_PATH],
    ['DELETE', BATCH_PATH],
    ['PUT', '/2013-01-01/documents/batch'],
    ['GET', '/2011-02-01/search?q=x'],
    ['GET', '/../../etc/passwd'],
  ] as const)
    cases.push({
      name: `${method} ${path}`,
      make: () =>
        signed(search.url, 'cloudsearch', admin, { method, path, body: method === 'GET' ? undefined : '[]' }).then(
          (s) => ({ method, ...s }),
        ),
    });
  // Unsigned requests of every shape are refused before anything is read.
  for (const q of [
    'q=*',
    "q=canary&fq=(term field=owner 'ada')",
    'q=a&size=10000',
    'q=x&return=_all_fields',
    'q=x&cursor=initial',
  ])
    cases.push({
      name: `unsigned search ${q}`,
      make: async () => ({ method: 'GET', path: `${SEARCH_PATH}?${q.replaceAll(' ', '%20')}`, headers: {} }),
    });
  for (const body of batches.slice(0, 15))
    cases.push({
      name: `unsigned batch ${body.slice(0, 20)}`,
      make: async () => ({ method: 'POST', path: BATCH_PATH, headers: { 'content-type': 'application/json' }, body }),
    });
  // Huge bodies.
  cases.push({
    name: 'batch of 6 MB unsigned',
    make: async () => ({
      method: 'POST',
      path: BATCH_PATH,
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(6 * 1024 * 1024, 0x5b),
    }),
  });
  cases.push({ name: 'batch of 6 MB signed', make: () => upload(admin, `[${'"x",'.repeat(1_500_000)}"x"]`) });
  return cases;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'signed-fuzz-'));
  credentials = new LocalCredentials({
    file: join(dir, 'admin-credentials.json'),
    region: REGION,
    accountId: ACCOUNT,
    policies: () => POLICIES,
  });
  db = await startEmbeddedDynamoDb({
    guard: dynamoDbGuard(credentials, { region: REGION, accountId: ACCOUNT }),
    credentials: credentials.admin,
  });
  await db.client.send(
    new CreateTableCommand({
      TableName: 'Canary',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  await db.client.send(
    new PutItemCommand({ TableName: 'Canary', Item: { id: { S: 'canary' }, value: { S: 'tweet' } } }),
  );
  search = await startLocalSearch({
    textFields: ['headline', 'text'],
    access: {
      domainArn: DOMAIN,
      verify: credentials.verify,
      authorize: credentials.authorize,
      arnOf: (p) => credentials.arnOf(p),
    },
  });
  searchClient = new CloudSearchDomainClient({ endpoint: search.url, region: REGION, credentials: credentials.admin });
  await searchClient.send(
    new UploadDocumentsCommand({
      contentType: 'application/json',
      documents: JSON.stringify([{ type: 'add', id: 'canary', fields: { owner: 'ada', headline: 'canary song' } }]),
    }),
  );
});

afterAll(async () => {
  searchClient?.destroy();
  await search?.close();
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs every case; a connection the server closed after an early 413 counts as that 413 only if it answered first. */
const run = async (url: string, cases: ReturnType<typeof dynamoDbCases>) => {
  const answers: Array<{
    name: string;
    status: number;
    body: string;
    headers: Record<string, string | string[] | undefined>;
  }> = [];
  for (const { name, make } of cases) {
    const answer = await send(url, await make()).catch((error: unknown) => ({
      status: 0,
      headers: {},
      body: String(error),
    }));
    answers.push({ name, ...answer });
  }
  return answers;
};

describe('fuzzing the SigV4 JSON wires', () => {
  it('answers every malformed DynamoDB request with a 4xx in DynamoDB JSON, keeps serving and keeps the canary', async () => {
    // Prepare
    const cases = dynamoDbCases();
    // Act
    const answers = await run(db.endpoint, cases);
    // Assess
    expect(cases.length).toBeGreaterThanOrEqual(100);
    const wrong = answers.filter((a) => {
      if (a.status < 400 || a.status >= 500) return true;
      try {
        const body: unknown = JSON.parse(a.body);
        return !(
          typeof body === 'object' &&
          body !== null &&
          '__type' in body &&
          typeof body.__type === 'string' &&
          /#\w+$/.test(body.__type)
        );
      } catch {
        return true;
      }
    });
    expect(wrong.map((a) => `${a.name}: ${a.status} ${a.body.slice(0, 100)}`)).toEqual([]);
    const canary = await db.client.send(new GetItemCommand({ TableName: 'Canary', Key: { id: { S: 'canary' } } }));
    expect(canary.Item).toEqual({ id: { S: 'canary' }, value: { S: 'tweet' } });
  });

  it('answers every malformed CloudSearch request with a 4xx in CloudSearch JSON and no CORS, keeps serving and keeps the canary', async () => {
    // Prepare
    const cases = searchCases();
    // Act
    const answers = await run(search.url, cases);
    // Assess
    expect(cases.length).toBeGreaterThanOrEqual(100);
    const wrong = answers.filter((a) => {
      if (a.status < 400 || a.status >= 500) return true;
      if (Object.keys(a.headers).some((h) => h.startsWith('access-control-'))) return true;
      try {
        const body: unknown = JSON.parse(a.body);
        return !(
          typeof body === 'object' &&
          body !== null &&
          'message' in body &&
          typeof a.headers['x-amzn-errortype'] === 'string'
        );
      } catch {
        return true;
      }
    });
    expect(wrong.map((a) => `${a.name}: ${a.status} ${a.body.slice(0, 160)}`)).toEqual([]);
    const found = await searchClient.send(new SearchCommand({ query: 'canary' }));
    expect(found.hits?.hit).toEqual([{ id: 'canary', fields: { owner: ['ada'], headline: ['canary song'] } }]);
  });
});
