import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamoDb, startDynamoDbLocal } from './dynamodb/local';
import { LocalFunction } from './functions/runner';
import { DeadLetterQueue, StreamMapping } from './streams';

let dynamodb: LocalDynamoDb;
let fn: LocalFunction;
const dir = mkdtempSync(join(tmpdir(), 'streams-'));
const logFile = join(dir, 'invocations.jsonl');

const invocations = (): string[][] =>
  readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));

const run = async (table: string, items: Array<Record<string, boolean | string>>, maxRetries: number) => {
  await dynamodb.client.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  for (const item of items) {
    await dynamodb.client.send(
      new PutItemCommand({
        TableName: table,
        Item: Object.fromEntries(
          Object.entries(item).map(([k, v]) => [k, typeof v === 'boolean' ? { BOOL: v } : { S: v }]),
        ),
      }),
    );
  }
  writeFileSync(logFile, '');
  const dead = new DeadLetterQueue();
  const mapping = new StreamMapping(
    {
      id: table,
      tableName: table,
      fn,
      batchSize: 10,
      batchingWindowMs: 0,
      reportBatchItemFailures: true,
      bisectOnError: true,
      maxRetries,
      filters: [],
    },
    dynamodb.client,
    dynamodb.endpoint,
    'us-east-1',
    undefined,
    dead.add,
  );
  mapping.start();
  for (let i = 0; i < 100 && mapping.processed < items.length; i += 1) await new Promise((r) => setTimeout(r, 100));
  await mapping.stop();
  return { dead: dead.letters, processed: mapping.processed };
};

beforeAll(async () => {
  dynamodb = await startDynamoDbLocal();
  fn = new LocalFunction({
    name: 'stream-handler',
    entry: resolve('src/local/test-fixtures/stream-handler.mjs'),
    handler: 'index.handler',
    timeoutSeconds: 5,
    env: { LOG_FILE: logFile },
  });
}, 60_000);

afterAll(async () => {
  await fn.stop();
  await dynamodb.stop();
});

describe('a local stream mapping', () => {
  it('delivers a clean batch once', async () => {
    const result = await run('clean', [{ id: 'a' }, { id: 'b' }, { id: 'c' }], 2);
    expect(invocations()).toEqual([['a', 'b', 'c']]);
    expect(result.dead).toEqual([]);
  });

  it('retries from the first reported failure, a bounded number of times, then dead-letters the rest', async () => {
    const result = await run('partial', [{ id: 'a' }, { id: 'b', fail: true }, { id: 'c' }], 2);
    expect(invocations()).toEqual([
      ['a', 'b', 'c'],
      ['b', 'c'],
      ['b', 'c'],
    ]);
    expect(result.dead).toHaveLength(1);
    expect(result.dead[0]?.sequenceNumbers).toHaveLength(2);
    expect(result.dead[0]?.keys).toEqual([{ id: { S: 'b' } }, { id: { S: 'c' } }]);
    expect(result.dead[0]?.reason).toMatch(/reported 1 record\(s\) as failed \(after 2 retries\)/);
  });

  it('bisects a batch whose invocation fails, so good records get through', async () => {
    const result = await run('crashing', [{ id: 'a' }, { id: 'b' }, { id: 'c', crash: true }, { id: 'd' }], 2);
    const calls = invocations();
    expect(calls[0]).toEqual(['a', 'b', 'c', 'd']);
    expect(calls).toContainEqual(['a', 'b']);
    expect(result.dead.flatMap((d) => d.keys)).toEqual([{ id: { S: 'c' } }]);
  });
});
