import {
  type AttributeValue,
  CreateTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  ScanCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamoDb } from '../embedded';
import type { LocalDynamoDb } from '../local';

/**
 * Where DynamoDB Local is not DynamoDB, the embedded store follows DynamoDB:
 * these cases are checked against DynamoDB's documented and observed
 * behaviour, not against DynamoDB Local (which answers them differently, as
 * each case says). Real SDK client, real HTTP server.
 */

let db: LocalDynamoDb;
let client: DynamoDBClient;
const TABLE = 'Documented';
const S = (s: string) => ({ S: s });
const key = (id: string) => ({ id: S(id) });
const get = async (id: string) =>
  (await client.send(new GetItemCommand({ TableName: TABLE, Key: key(id), ConsistentRead: true }))).Item;

beforeAll(async () => {
  db = await startEmbeddedDynamoDb();
  client = db.client;
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});

afterAll(async () => {
  await db?.stop();
});

describe('an update that only takes attributes away does not create the item', () => {
  // DynamoDB Local creates a key-only item for each of these.
  it('REMOVE, DELETE from a set, and AttributeUpdates DELETE on a missing item leave no item', async () => {
    await client.send(new UpdateItemCommand({ TableName: TABLE, Key: key('r1'), UpdateExpression: 'REMOVE a, b' }));
    await client.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: key('r2'),
        UpdateExpression: 'DELETE s :s',
        ExpressionAttributeValues: { ':s': { SS: ['x'] } },
      }),
    );
    await client.send(
      new UpdateItemCommand({ TableName: TABLE, Key: key('r3'), AttributeUpdates: { a: { Action: 'DELETE' } } }),
    );
    const answer = await client.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: key('r4'),
        UpdateExpression: 'REMOVE a',
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(answer.Attributes).toBeUndefined();
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [{ Update: { TableName: TABLE, Key: key('r5'), UpdateExpression: 'REMOVE a' } }],
      }),
    );
    for (const id of ['r1', 'r2', 'r3', 'r4', 'r5']) expect(await get(id), id).toBeUndefined();
    const { Count } = await client.send(new ScanCommand({ TableName: TABLE, Select: 'COUNT' }));
    expect(Count).toBe(0);
  });

  it('any other update creates it, even one with no actions; a REMOVE on an item that exists keeps the item', async () => {
    await client.send(new UpdateItemCommand({ TableName: TABLE, Key: key('c1') }));
    await client.send(new UpdateItemCommand({ TableName: TABLE, Key: key('c2'), AttributeUpdates: {} }));
    await client.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: key('c3'),
        UpdateExpression: 'SET a = :a REMOVE b',
        ExpressionAttributeValues: { ':a': S('x') },
      }),
    );
    await client.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: key('c4'),
        AttributeUpdates: { a: { Action: 'DELETE' }, b: { Action: 'PUT', Value: S('y') } },
      }),
    );
    expect(await get('c1')).toEqual(key('c1'));
    expect(await get('c2')).toEqual(key('c2'));
    expect(await get('c3')).toEqual({ ...key('c3'), a: S('x') });
    expect(await get('c4')).toEqual({ ...key('c4'), b: S('y') });
    await client.send(new UpdateItemCommand({ TableName: TABLE, Key: key('c3'), UpdateExpression: 'REMOVE a' }));
    expect(await get('c3')).toEqual(key('c3'));
  });

  // DynamoDB Local refuses these as an invalid document path, as it (and DynamoDB) does on an item that exists.
  it('a REMOVE of a nested path on a missing item is ignored, and creates no item', async () => {
    for (const UpdateExpression of ['REMOVE x.y', 'REMOVE x[0]', 'REMOVE x.y[2].z, w'])
      await client.send(new UpdateItemCommand({ TableName: TABLE, Key: key('n1'), UpdateExpression }));
    expect(await get('n1')).toBeUndefined();
    await client.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: key('n2'),
        UpdateExpression: 'SET a = :a REMOVE x.y',
        ExpressionAttributeValues: { ':a': S('x') },
      }),
    );
    expect(await get('n2')).toEqual({ ...key('n2'), a: S('x') });
    await expect(
      client.send(new UpdateItemCommand({ TableName: TABLE, Key: key('n2'), UpdateExpression: 'REMOVE x.y' })),
    ).rejects.toThrow('The document path provided in the update expression is invalid for update');
  });
});

describe('a parallel scan', () => {
  it('pages through each segment with its own start keys, and every item is read once', async () => {
    const ids = new Set<string>();
    const { Count = 0 } = await client.send(new ScanCommand({ TableName: TABLE, Select: 'COUNT' }));
    for (let Segment = 0; Segment < 3; Segment += 1) {
      let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
      for (let page = 0; page < 100; page += 1) {
        const answer = await client.send(
          new ScanCommand({ TableName: TABLE, TotalSegments: 3, Segment, Limit: 1, ExclusiveStartKey }),
        );
        for (const item of answer.Items ?? []) ids.add(String(item.id?.S));
        ExclusiveStartKey = answer.LastEvaluatedKey;
        if (!ExclusiveStartKey) break;
      }
    }
    expect(Count).toBeGreaterThan(2);
    expect(ids.size).toBe(Count);
  });
});
