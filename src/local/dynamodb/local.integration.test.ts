import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalDynamoDb, startDynamoDbLocal } from './local';
import { DynamoDbError } from './wire';

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

describe("the resolvers' wire client", () => {
  it('returns what the AWS SDK returns, and fails with the same error names and messages', async () => {
    const db = running.at(-1) ?? (await start());
    await db.client.send(
      new CreateTableCommand({
        TableName: 'Wire',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'N' },
        ],
      }),
    );
    const item = { pk: { S: 'a' }, sk: { N: '1' }, tags: { SS: ['x', 'y'] }, body: { M: { n: { N: '1.50' } } } };
    await db.wire.call('PutItem', { TableName: 'Wire', Item: item });
    const viaSdk = await db.client.send(new GetItemCommand({ TableName: 'Wire', Key: { pk: item.pk, sk: item.sk } }));
    const viaWire = await db.wire.call('GetItem', { TableName: 'Wire', Key: { pk: item.pk, sk: item.sk } });
    expect(viaWire.Item).toEqual(viaSdk.Item);

    const update = {
      TableName: 'Wire',
      Key: { pk: item.pk, sk: item.sk },
      UpdateExpression: 'SET #v = if_not_exists(#v, :zero) + :one',
      ExpressionAttributeNames: { '#v': 'v' },
      ExpressionAttributeValues: { ':zero': { N: '0' }, ':one': { N: '1' } },
      ReturnValues: 'ALL_NEW' as const,
    };
    expect((await db.wire.call('UpdateItem', update)).Attributes?.v).toEqual({ N: '1' });
    expect((await db.client.send(new UpdateItemCommand(update))).Attributes?.v).toEqual({ N: '2' });

    const query = {
      TableName: 'Wire',
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
      ExpressionAttributeValues: { ':pk': { S: 'a' }, ':low': { N: '0' }, ':high': { N: '5' } },
    };
    const { $metadata: _, ...sdkPage } = await db.client.send(new QueryCommand(query));
    expect(await db.wire.call('Query', query)).toEqual(sdkPage);

    const failures: PutItemCommandInput[] = [
      // A condition that does not hold.
      {
        TableName: 'Wire',
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk)',
      },
      // A key of the wrong type.
      { TableName: 'Wire', Item: { pk: { S: 'a' }, sk: { S: 'not a number' } } },
      // An item over 400 KB.
      { TableName: 'Wire', Item: { pk: { S: 'big' }, sk: { N: '1' }, text: { S: 'x'.repeat(410_000) } } },
      // No such table.
      { TableName: 'Missing', Item: item },
    ];
    for (const request of failures) {
      const sdkError = await db.client.send(new PutItemCommand(request)).then(
        () => undefined,
        (error: Error) => error,
      );
      const wireError = await db.wire.call('PutItem', request).then(
        () => undefined,
        (error: Error) => error,
      );
      expect(sdkError).toBeDefined();
      expect(wireError).toBeInstanceOf(DynamoDbError);
      expect([wireError?.name, wireError?.message]).toEqual([sdkError?.name, sdkError?.message]);
    }
    expect(
      await db.wire.call('DeleteItem', {
        TableName: 'Wire',
        Key: { pk: item.pk, sk: item.sk },
        ReturnValues: 'ALL_OLD',
      }),
    ).toMatchObject({ Attributes: { pk: item.pk } });
    expect(
      await db.client.send(new DeleteItemCommand({ TableName: 'Wire', Key: { pk: item.pk, sk: item.sk } })),
    ).toBeDefined();
  }, 60_000);
});
