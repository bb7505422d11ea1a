import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedDynamoDb } from './embedded';
import { Database } from './engine/database';
import { Journal, JournalCorruptError } from './engine/journal';
import { LOCAL_AWS, type LocalDynamoDb } from './local';

/**
 * The embedded store's persistence, through the AWS SDK: what it
 * acknowledged is there after a restart and after the process is killed,
 * with its indexes and its stream.
 */

const folders: string[] = [];
const running: LocalDynamoDb[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const db of running.splice(0)) await db.stop();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'embedded-dynamodb-'));
  folders.push(dir);
  return dir;
};

const start = async (dbPath: string) => {
  const db = await startEmbeddedDynamoDb({ dbPath });
  running.push(db);
  return db;
};

const stop = async (db: LocalDynamoDb) => {
  running.splice(running.indexOf(db), 1);
  await db.stop();
};

const createTable = (client: DynamoDBClient) =>
  client.send(
    new CreateTableCommand({
      TableName: 'Notes',
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

const streamRecords = async (db: LocalDynamoDb) => {
  const streams = new DynamoDBStreamsClient({ ...LOCAL_AWS, endpoint: db.endpoint });
  try {
    const { Table } = await db.client.send(new DescribeTableCommand({ TableName: 'Notes' }));
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: Table?.LatestStreamArn }));
    const shard = StreamDescription?.Shards?.[0]?.ShardId;
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: Table?.LatestStreamArn,
        ShardId: shard,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const { Records } = await streams.send(new GetRecordsCommand({ ShardIterator }));
    return Records ?? [];
  } finally {
    streams.destroy();
  }
};

describe('the embedded DynamoDB on disk', () => {
  it('keeps tables, items, indexes and stream records across a restart, and numbers its records on', async () => {
    const dir = folder();
    const first = await start(dir);
    await createTable(first.client);
    for (let i = 0; i < 20; i += 1)
      await first.client.send(
        new PutItemCommand({ TableName: 'Notes', Item: { id: { S: `n${i}` }, owner: { S: i % 2 ? 'ada' : 'bob' } } }),
      );
    await first.client.send(
      new PutItemCommand({ TableName: 'Notes', Item: { id: { S: 'n0' }, owner: { S: 'bob' }, text: { S: 'edited' } } }),
    );
    const before = await streamRecords(first);
    expect(before).toHaveLength(21);
    await stop(first);

    const second = await start(dir);
    const { Items } = await second.client.send(new ScanCommand({ TableName: 'Notes' }));
    expect(Items).toHaveLength(20);
    const { Item } = await second.client.send(new GetItemCommand({ TableName: 'Notes', Key: { id: { S: 'n0' } } }));
    expect(Item?.text).toEqual({ S: 'edited' });
    const { Count } = await second.client.send(
      new QueryCommand({
        TableName: 'Notes',
        IndexName: 'byOwner',
        KeyConditionExpression: '#o = :o',
        ExpressionAttributeNames: { '#o': 'owner' },
        ExpressionAttributeValues: { ':o': { S: 'ada' } },
      }),
    );
    expect(Count).toBe(10);
    await second.client.send(
      new PutItemCommand({ TableName: 'Notes', Item: { id: { S: 'n20' }, owner: { S: 'ada' } } }),
    );
    const after = await streamRecords(second);
    expect(after.slice(0, 21)).toEqual(before);
    expect(after).toHaveLength(22);
    const sequence = (r: (typeof after)[number]) => BigInt(String(r.dynamodb?.SequenceNumber));
    expect(sequence(after[21] as (typeof after)[number])).toBeGreaterThan(
      sequence(after[20] as (typeof after)[number]),
    );
  });

  it('loses no acknowledged write when its process is killed', async () => {
    const dir = folder();
    const module = fileURLToPath(new URL('./embedded.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { startEmbeddedDynamoDb } = await import(${JSON.stringify(module)});
         const db = await startEmbeddedDynamoDb({ dbPath: ${JSON.stringify(dir)} });
         console.log('endpoint ' + db.endpoint);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(child);
    const endpoint = await new Promise<string>((resolve, reject) => {
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /endpoint (\S+)/.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      child.on('exit', (code) => reject(new Error(`the store exited with ${code}: ${output}`)));
    });
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
    await createTable(client);
    for (let i = 0; i < 250; i += 1)
      await client.send(new PutItemCommand({ TableName: 'Notes', Item: { id: { S: `k${i}` }, owner: { S: 'ada' } } }));
    client.destroy();
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });

    const restarted = await start(dir);
    const { Count } = await restarted.client.send(new ScanCommand({ TableName: 'Notes', Select: 'COUNT' }));
    expect(Count).toBe(250);
  });

  it('compacts its journal while running, and the compacted journal restores the same data', async () => {
    const dir = folder();
    const journal = new Journal(join(dir, 'embedded'), 20_000);
    const database = new Database(journal);
    database.execute('CreateTable', {
      TableName: 'Counters',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    for (let i = 1; i <= 2000; i += 1)
      database.execute('PutItem', { TableName: 'Counters', Item: { id: { S: `c${i % 3}` }, n: { N: String(i) } } });
    // 2000 writes of about 80 bytes each, but never more than the threshold plus one snapshot on disk.
    expect(journal.size).toBeLessThan(25_000);
    journal.close();
    const reopened = new Database(new Journal(join(dir, 'embedded')));
    const { Items } = reopened.execute('Scan', { TableName: 'Counters' }) as {
      Items: Array<Record<string, { S?: string; N?: string }>>;
    };
    expect(Object.fromEntries(Items.map((item) => [item.id?.S, item.n?.N]))).toEqual({
      c0: '1998',
      c1: '1999',
      c2: '2000',
    });
  });

  it('drops a last line cut short by a crash, and refuses to start over a damaged line before it', async () => {
    const dir = folder();
    const db = await start(dir);
    await createTable(db.client);
    await db.client.send(new PutItemCommand({ TableName: 'Notes', Item: { id: { S: 'kept' }, owner: { S: 'ada' } } }));
    await stop(db);
    const journal = join(dir, 'embedded', 'journal.jsonl');
    appendFileSync(journal, '{"kind":"write","table":"Notes","item":{"id":{"S":"to');

    const restarted = await start(dir);
    const { Items } = await restarted.client.send(new ScanCommand({ TableName: 'Notes' }));
    expect(Items?.map((i) => i.id?.S)).toEqual(['kept']);
    await stop(restarted);

    const lines = readFileSync(journal, 'utf8').split('\n');
    writeFileSync(journal, [lines[0], '{"kind":', ...lines.slice(1)].join('\n'));
    await expect(startEmbeddedDynamoDb({ dbPath: dir })).rejects.toThrow(JournalCorruptError);
    await expect(startEmbeddedDynamoDb({ dbPath: dir })).rejects.toThrow(/line 2 is damaged/);
  });
});
