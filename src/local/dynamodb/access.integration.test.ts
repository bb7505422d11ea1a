import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCredentials } from '../iam/credentials';
import type { PolicyDocument } from '../iam/policy';
import { dynamoDbGuard } from './access';
import { startEmbeddedDynamoDb } from './embedded';
import type { LocalDynamoDb } from './local';

/**
 * The embedded DynamoDB's HTTP front authenticates and authorizes as
 * DynamoDB does, seen through the real SDK clients: unsigned and badly
 * signed requests are refused with DynamoDB's errors, a function may do
 * what its role's policies allow and nothing else, the admin anything.
 */

const NAMES = { region: 'us-east-1', accountId: '000000000000' };
const arn = (path: string) => `arn:aws:dynamodb:us-east-1:000000000000:${path}`;
const ROLE = 'arn:aws:iam::000000000000:role/writerRole';
const POLICIES = new Map<string, PolicyDocument[]>([
  [
    ROLE,
    [
      {
        Statement: [
          { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: arn('table/Notes') },
          { Effect: 'Allow', Action: 'dynamodb:Query', Resource: arn('table/Notes/index/byOwner') },
          {
            Effect: 'Allow',
            Action: ['dynamodb:DescribeStream', 'dynamodb:GetShardIterator', 'dynamodb:GetRecords'],
            Resource: arn('table/Notes/stream/local'),
          },
          { Effect: 'Deny', Action: 'dynamodb:PutItem', Resource: arn('table/Secrets') },
        ],
      },
    ],
  ],
]);

let dir: string;
let credentials: LocalCredentials;
let db: LocalDynamoDb;
const clients: Array<{ destroy(): void }> = [];
const client = (creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) => {
  const c = new DynamoDBClient({ endpoint: db.endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
  clients.push(c);
  return c;
};
const streams = (creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) => {
  const c = new DynamoDBStreamsClient({
    endpoint: db.endpoint,
    region: 'us-east-1',
    credentials: creds,
    maxAttempts: 1,
  });
  clients.push(c);
  return c;
};

const failure = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('the call succeeded');
  return { name: error.name, message: error.message };
};

const note = (id: string) => ({ id: { S: id }, owner: { S: 'ada' } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dynamodb-access-'));
  credentials = new LocalCredentials({
    file: join(dir, 'admin-credentials.json'),
    ...NAMES,
    policies: () => POLICIES,
  });
  db = await startEmbeddedDynamoDb({ guard: dynamoDbGuard(credentials, NAMES), credentials: credentials.admin });
  for (const TableName of ['Notes', 'Secrets'])
    await db.client.send(
      new CreateTableCommand({
        TableName,
        AttributeDefinitions: [
          { AttributeName: 'id', AttributeType: 'S' },
          { AttributeName: 'owner', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byOwner',
            KeySchema: [{ AttributeName: 'owner', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the embedded DynamoDB HTTP front with SigV4 and IAM', () => {
  it('keeps the admin credential in a 0600 file, the same one on the next open', () => {
    // Assess
    const file = join(dir, 'admin-credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = new LocalCredentials({ file, ...NAMES, policies: () => POLICIES });
    expect(again.admin).toEqual(credentials.admin);
    expect(again.forFunction('writer', ROLE)).toEqual(credentials.forFunction('writer', ROLE));
    expect(credentials.admin.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
  });

  it('refuses an unsigned request with MissingAuthenticationTokenException', async () => {
    // Act
    const response = await fetch(db.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'DynamoDB_20120810.ListTables', 'content-type': 'application/x-amz-json-1.0' },
      body: '{}',
    });
    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      __type: 'com.amazon.coral.service#MissingAuthenticationTokenException',
      message: 'Request is missing Authentication Token',
    });
  });

  it('refuses an unknown key, a wrong secret and a missing session token', async () => {
    // Act
    const unknown = await failure(
      client({ accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x' }).send(new ListTablesCommand({})),
    );
    const wrongSecret = await failure(
      client({ ...credentials.admin, secretAccessKey: 'not-the-secret' }).send(new ListTablesCommand({})),
    );
    const fn = credentials.forFunction('writer', ROLE);
    const noToken = await failure(
      client({ accessKeyId: fn.accessKeyId, secretAccessKey: fn.secretAccessKey }).send(new ListTablesCommand({})),
    );
    const local = await failure(
      client({ accessKeyId: 'local', secretAccessKey: 'local' }).send(new ListTablesCommand({})),
    );
    // Assess
    expect(unknown).toEqual({
      name: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
    expect(wrongSecret.name).toBe('InvalidSignatureException');
    expect(wrongSecret.message).toMatch(/^The request signature we calculated does not match/);
    expect(noToken.name).toBe('UnrecognizedClientException');
    expect(local.name).toBe('UnrecognizedClientException');
  });

  it('refuses a signature for another region or service', async () => {
    // Act
    const region = await failure(
      new DynamoDBClient({
        endpoint: db.endpoint,
        region: 'eu-west-1',
        credentials: credentials.admin,
        maxAttempts: 1,
      }).send(new ListTablesCommand({})),
    );
    // Assess
    expect(region).toEqual({
      name: 'InvalidSignatureException',
      message: "Credential should be scoped to a valid region, not 'eu-west-1'.",
    });
  });

  it("lets a function do what its role allows, and answers AccessDeniedException with DynamoDB's message otherwise", async () => {
    // Prepare
    const fn = client(credentials.forFunction('writer', ROLE));
    // Act
    await fn.send(new PutItemCommand({ TableName: 'Notes', Item: note('n1') }));
    const query = await fn.send(
      new QueryCommand({
        TableName: 'Notes',
        IndexName: 'byOwner',
        KeyConditionExpression: '#o = :o',
        ExpressionAttributeNames: { '#o': 'owner' },
        ExpressionAttributeValues: { ':o': { S: 'ada' } },
      }),
    );
    const read = await failure(fn.send(new GetItemCommand({ TableName: 'Notes', Key: { id: { S: 'n1' } } })));
    const baseQuery = await failure(
      fn.send(
        new QueryCommand({
          TableName: 'Notes',
          KeyConditionExpression: 'id = :id',
          ExpressionAttributeValues: { ':id': { S: 'n1' } },
        }),
      ),
    );
    const denied = await failure(fn.send(new PutItemCommand({ TableName: 'Secrets', Item: note('s1') })));
    const transact = await failure(
      fn.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: 'Notes', Item: note('n2') } },
            { Put: { TableName: 'Secrets', Item: note('s2') } },
          ],
        }),
      ),
    );
    const list = await failure(fn.send(new ListTablesCommand({})));
    // Assess
    expect(query.Items?.map((i) => i.id?.S)).toEqual(['n1']);
    expect(read).toEqual({
      name: 'AccessDeniedException',
      message: `User: arn:aws:sts::000000000000:assumed-role/writerRole/writer is not authorized to perform: dynamodb:GetItem on resource: ${arn('table/Notes')} because no identity-based policy allows the dynamodb:GetItem action`,
    });
    expect(baseQuery.message).toContain(`dynamodb:Query on resource: ${arn('table/Notes')} because`);
    expect(denied.message).toContain(
      `dynamodb:PutItem on resource: ${arn('table/Secrets')} with an explicit deny in an identity-based policy`,
    );
    expect(transact.name).toBe('AccessDeniedException');
    expect(list.message).toContain('dynamodb:ListTables on resource: *');
    const admin = await db.client.send(new GetItemCommand({ TableName: 'Secrets', Key: { id: { S: 's2' } } }));
    expect(admin.Item).toBeUndefined();
  });

  it("reads only the streams its role names, as a stream mapping with the function's role does", async () => {
    // Prepare
    const fn = streams(credentials.forFunction('writer', ROLE));
    const admin = streams(credentials.admin);
    await db.client.send(new PutItemCommand({ TableName: 'Secrets', Item: note('s3') }));
    const described = await db.client.send(new ListTablesCommand({}));
    expect(described.TableNames).toEqual(['Notes', 'Secrets']);
    const streamArn = async (table: string) => {
      const { DescribeTableCommand } = await import('@aws-sdk/client-dynamodb');
      const { Table } = await db.client.send(new DescribeTableCommand({ TableName: table }));
      return Table?.LatestStreamArn ?? '';
    };
    const notes = await streamArn('Notes');
    const secrets = await streamArn('Secrets');
    // Act
    const { StreamDescription } = await fn.send(new DescribeStreamCommand({ StreamArn: notes }));
    const shardId = StreamDescription?.Shards?.[0]?.ShardId ?? '';
    const { ShardIterator } = await fn.send(
      new GetShardIteratorCommand({ StreamArn: notes, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    const records = await fn.send(new GetRecordsCommand({ ShardIterator }));
    const other = await failure(fn.send(new DescribeStreamCommand({ StreamArn: secrets })));
    const secretShard = (await admin.send(new DescribeStreamCommand({ StreamArn: secrets }))).StreamDescription
      ?.Shards?.[0]?.ShardId;
    const secretIterator = (
      await admin.send(
        new GetShardIteratorCommand({ StreamArn: secrets, ShardId: secretShard, ShardIteratorType: 'TRIM_HORIZON' }),
      )
    ).ShardIterator;
    const borrowed = await failure(fn.send(new GetRecordsCommand({ ShardIterator: secretIterator })));
    // Assess
    expect(records.Records?.map((r) => r.dynamodb?.Keys?.id?.S)).toContain('n1');
    expect(other.message).toContain(`dynamodb:DescribeStream on resource: ${arn('table/Secrets/stream/local')}`);
    expect(borrowed.name).toBe('AccessDeniedException');
  });
});
