import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriteItemCommand, CreateTableCommand, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalDynamoDb, startDynamoDbLocal } from './local';

const dir = mkdtempSync(join(tmpdir(), 'dynamodb-local-'));
const running: LocalDynamoDb[] = [];

const start = async () => {
  const db = await startDynamoDbLocal({ dbPath: dir });
  running.push(db);
  return db;
};

afterAll(async () => {
  await Promise.all(running.map((db) => db.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('DynamoDB Local on disk', () => {
  it('keeps every acknowledged write when the process is killed, with SQLite on its write-ahead log', async () => {
    const first = await start();
    expect(first.journal).toBe('wal');
    await first.client.send(
      new CreateTableCommand({
        TableName: 'Crash',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      }),
    );
    for (let batch = 0; batch < 10; batch += 1) {
      await first.client.send(
        new BatchWriteItemCommand({
          RequestItems: {
            Crash: Array.from({ length: 25 }, (_, i) => ({
              PutRequest: { Item: { id: { S: `item-${batch * 25 + i}` }, n: { N: String(batch * 25 + i) } } },
            })),
          },
        }),
      );
    }
    // No shutdown: the JVM dies at once, as on a crash.
    process.kill(first.pid ?? 0, 'SIGKILL');
    await first.stop();

    const second = await start();
    expect(second.journal).toBe('wal');
    let count = 0;
    let start_: Record<string, never> | undefined;
    do {
      const page = await second.client.send(new ScanCommand({ TableName: 'Crash', ExclusiveStartKey: start_ }));
      count += page.Count ?? 0;
      start_ = page.LastEvaluatedKey as typeof start_;
    } while (start_);
    expect(count).toBe(250);
    const last = await second.client.send(new GetItemCommand({ TableName: 'Crash', Key: { id: { S: 'item-249' } } }));
    expect(last.Item?.n?.N).toBe('249');
  }, 60_000);
});
