import { CreateTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamoDb } from '../dynamodb/embedded';
import type { LocalDynamoDb } from '../dynamodb/local';
import { type ConflictItems, DynamoDataSource } from './dynamodb-source';

/**
 * The versioned DynamoDB data source with a LAMBDA conflict handler, on the
 * embedded DynamoDB: what the handler is given, and what each of its answers does.
 */

const TABLE = 'Item';
const DELTA = 'Delta';
let db: LocalDynamoDb;

beforeAll(async () => {
  db = await startEmbeddedDynamoDb();
  await db.client.send(
    new CreateTableCommand({
      TableName: TABLE,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await db.client.send(
    new CreateTableCommand({
      TableName: DELTA,
      AttributeDefinitions: [
        { AttributeName: 'ds_pk', AttributeType: 'S' },
        { AttributeName: 'ds_sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'ds_pk', KeyType: 'HASH' },
        { AttributeName: 'ds_sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});

afterAll(async () => {
  await db?.stop();
});

/** A data source whose conflict handler records what it is given and answers `answer`. */
const source = (answer: (items: ConflictItems) => unknown) => {
  const calls: ConflictItems[] = [];
  const ds = new DynamoDataSource(db.wire, {
    tableName: TABLE,
    versioned: { deltaSyncTableName: DELTA, baseTableTtlMinutes: 60, deltaSyncTableTtlMinutes: 30 },
    conflictHandler: 'LAMBDA',
    lambdaConflictHandler: async (items) => {
      calls.push(items);
      return answer(items);
    },
  });
  return { ds, calls };
};

const put = async (ds: DynamoDataSource, id: string, fields: Record<string, string>) => {
  const attributeValues = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { S: v }]));
  const out = await ds.invoke({ operation: 'PutItem', key: { id: { S: id } }, attributeValues });
  expect(out.error).toBeUndefined();
};

const update = (ds: DynamoDataSource, id: string, headline: string, version?: number) =>
  ds.invoke({
    operation: 'UpdateItem',
    key: { id: { S: id } },
    update: {
      expression: 'SET #headline = :headline REMOVE #text',
      expressionNames: { '#headline': 'headline', '#text': 'text' },
      expressionValues: { ':headline': { S: headline } },
    },
    _version: version ?? 0,
  });

const deltaCount = async (id: string): Promise<number> => {
  const { Items = [] } = await db.client.send(new ScanCommand({ TableName: DELTA }));
  return Items.filter((item) => item.id?.S === id).length;
};

describe('LAMBDA conflict handler', () => {
  it('is given the stored item and the item the update would write, and RESOLVE writes its item at the next version', async () => {
    // Prepare
    const { ds, calls } = source((items) => ({ action: 'RESOLVE', item: { ...items.newItem, _version: 99 } }));
    await put(ds, 'r-1', { headline: 'stored', text: 'gone after the update' });
    // Act
    const out = await update(ds, 'r-1', 'incoming');
    // Assess
    expect(calls).toHaveLength(1);
    expect(calls[0]?.existingItem).toMatchObject({
      id: 'r-1',
      headline: 'stored',
      text: 'gone after the update',
      _version: 1,
    });
    expect(calls[0]?.newItem).toMatchObject({ id: 'r-1', headline: 'incoming', _version: 1 });
    expect(calls[0]?.newItem).not.toHaveProperty('text');
    expect(out.error).toBeUndefined();
    expect(out.result).toMatchObject({ id: 'r-1', headline: 'incoming', _version: 2 });
    const stored = await ds.invoke({ operation: 'GetItem', key: { id: { S: 'r-1' } } });
    expect(stored.result).toMatchObject({ headline: 'incoming', _version: 2 });
    expect(stored.result).not.toHaveProperty('text');
    expect(await deltaCount('r-1')).toBe(2);
  });

  it('is not called when the version matches', async () => {
    const { ds, calls } = source(() => ({ action: 'REJECT' }));
    await put(ds, 'r-2', { headline: 'stored' });
    const out = await update(ds, 'r-2', 'in order', 1);
    expect(out.result).toMatchObject({ headline: 'in order', _version: 2 });
    expect(calls).toHaveLength(0);
  });

  it('REMOVE soft-deletes the stored item; a delete conflict gives the handler no newItem', async () => {
    const { ds, calls } = source(() => ({ action: 'REMOVE' }));
    await put(ds, 'r-3', { headline: 'stored' });
    const out = await ds.invoke({ operation: 'DeleteItem', key: { id: { S: 'r-3' } }, _version: 0 });
    expect(calls[0]?.newItem).toBeNull();
    expect(out.result).toMatchObject({ id: 'r-3', _deleted: true, _version: 2 });
    expect(await deltaCount('r-3')).toBe(2);
  });

  it('REJECT fails the write with ConflictUnhandled and the stored item, and writes nothing', async () => {
    const { ds } = source(() => ({ action: 'REJECT' }));
    await put(ds, 'r-4', { headline: 'stored' });
    const out = await update(ds, 'r-4', 'refused');
    expect(out.error).toMatchObject({ type: 'ConflictUnhandled', data: { headline: 'stored', _version: 1 } });
    const stored = await ds.invoke({ operation: 'GetItem', key: { id: { S: 'r-4' } } });
    expect(stored.result).toMatchObject({ headline: 'stored', _version: 1 });
  });

  it('reports a handler that fails or answers nonsense, and writes nothing', async () => {
    await put(source(() => null).ds, 'r-5', { headline: 'stored' });
    for (const answer of [
      () => {
        throw new Error('boom');
      },
      () => ({ action: 'MAYBE' }),
      () => ({ action: 'RESOLVE' }),
    ]) {
      const out = await update(source(answer).ds, 'r-5', 'never');
      expect(out.error?.type).toBe('LambdaConflictHandlerFailed');
    }
    const stored = await source(() => null).ds.invoke({ operation: 'GetItem', key: { id: { S: 'r-5' } } });
    expect(stored.result).toMatchObject({ headline: 'stored', _version: 1 });
  });
});
