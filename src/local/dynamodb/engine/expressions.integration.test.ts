import {
  CreateTableCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamoDb, startDynamoDbLocal } from '../local';
import {
  addNumbers,
  applyUpdate,
  evaluate,
  Placeholders,
  parseCondition,
  parseProjection,
  parseUpdate,
  project,
  validateCondition,
} from './expressions';
import type { Item, Value } from './values';

/**
 * The expression engine against DynamoDB Local: every filter over a corpus of
 * items, every update on a base item and every projection must give what
 * DynamoDB Local gives, or fail where it fails.
 */

let db: LocalDynamoDb;
const TABLE = 'Expressions';

const ITEMS: Item[] = [
  {
    pk: { S: 'a' },
    text: { S: 'hello world' },
    n: { N: '1.50' },
    big: { N: '12345678901234567890123456789012345678' },
    neg: { N: '-3' },
    flag: { BOOL: true },
    nothing: { NULL: true },
    tags: { SS: ['red', 'blue'] },
    nums: { NS: ['1', '2.5'] },
    list: { L: [{ S: 'x' }, { N: '2' }, { M: { deep: { S: 'y' } } }] },
    map: { M: { inner: { S: 'value' }, count: { N: '3' }, nested: { M: { leaf: { BOOL: false } } } } },
    bin: { B: Buffer.from('abc').toString('base64') as never },
  },
  { pk: { S: 'b' }, text: { S: 'Hello' }, n: { N: '2' }, tags: { SS: ['green'] }, map: { M: {} } },
  { pk: { S: 'c' }, text: { N: '7' }, n: { N: '1.5' }, list: { L: [] } },
  { pk: { S: 'd' } },
  { pk: { S: 'e' }, text: { S: 'héllo ✓' }, n: { N: '-0.001' }, owner: { S: 'sub-1::alice' } },
];

interface Case {
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, Value>;
}

const CONDITIONS: Case[] = [
  { expression: 'attribute_exists(#t)', names: { '#t': 'text' } },
  { expression: 'attribute_not_exists(tags)' },
  { expression: 'n = :v', values: { ':v': { N: '1.5' } } },
  { expression: 'n <> :v', values: { ':v': { N: '1.5' } } },
  { expression: 'n < :v', values: { ':v': { N: '2' } } },
  { expression: 'n >= :v', values: { ':v': { N: '-1' } } },
  { expression: 'text < :v', values: { ':v': { S: 'Hello' } } },
  { expression: 'text > :v', values: { ':v': { S: 'hello' } } },
  { expression: 'n BETWEEN :a AND :b', values: { ':a': { N: '0' }, ':b': { N: '1.5' } } },
  { expression: 'text IN (:a, :b)', values: { ':a': { S: 'Hello' }, ':b': { N: '7' } } },
  { expression: 'begins_with(text, :p)', values: { ':p': { S: 'he' } } },
  { expression: 'begins_with(#o, :p)', names: { '#o': 'owner' }, values: { ':p': { S: 'sub-1::' } } },
  { expression: 'contains(text, :s)', values: { ':s': { S: 'llo' } } },
  { expression: 'contains(tags, :s)', values: { ':s': { S: 'red' } } },
  { expression: 'contains(nums, :s)', values: { ':s': { N: '2.50' } } },
  { expression: 'contains(list, :s)', values: { ':s': { N: '2' } } },
  { expression: 'size(text) = :n', values: { ':n': { N: '7' } } },
  { expression: 'size(tags) > :n', values: { ':n': { N: '1' } } },
  { expression: 'size(#m) = :n', names: { '#m': 'map' }, values: { ':n': { N: '0' } } },
  { expression: 'attribute_type(text, :t)', values: { ':t': { S: 'S' } } },
  { expression: 'attribute_type(n, :t)', values: { ':t': { S: 'N' } } },
  { expression: '#m.inner = :v', names: { '#m': 'map' }, values: { ':v': { S: 'value' } } },
  { expression: '#m.nested.leaf = :f', names: { '#m': 'map' }, values: { ':f': { BOOL: false } } },
  { expression: 'list[2].deep = :v', values: { ':v': { S: 'y' } } },
  { expression: 'list[0] = :v', values: { ':v': { S: 'x' } } },
  { expression: 'big > :v', values: { ':v': { N: '12345678901234567890123456789012345677' } } },
  { expression: 'neg < :z AND n > :z', values: { ':z': { N: '0' } } },
  { expression: 'NOT attribute_exists(n) OR n = :v', values: { ':v': { N: '2' } } },
  {
    expression: '(n = :a OR n = :b) AND NOT begins_with(text, :p)',
    values: { ':a': { N: '2' }, ':b': { N: '1.5' }, ':p': { S: 'h' } },
  },
  { expression: 'flag = :t', values: { ':t': { BOOL: true } } },
  { expression: 'nothing = :n', values: { ':n': { NULL: true } } },
  { expression: 'tags = :s', values: { ':s': { SS: ['blue', 'red'] } } },
  { expression: 'n = n' },
  { expression: 'text = :v', values: { ':v': { S: 'héllo ✓' } } },
  { expression: 'missing <> :v', values: { ':v': { S: 'x' } } },
  { expression: 'missing < :v', values: { ':v': { N: '1' } } },
  // What DynamoDB refuses.
  { expression: 'n < :v', values: { ':v': { BOOL: true } } },
  { expression: 'attribute_type(n, :t)', values: { ':t': { S: 'NUMBER' } } },
  { expression: 'n = :undefined', values: { ':v': { N: '1' } } },
  { expression: 'n = :v', values: { ':v': { N: '1' }, ':unused': { N: '2' } } },
  { expression: '#x = :v', values: { ':v': { N: '1' } } },
  { expression: 'n = :v AND', values: { ':v': { N: '1' } } },
  { expression: 'nosuchfunction(n)' },
  { expression: '' },
];

const UPDATES: Case[] = [
  { expression: 'SET n = :v', values: { ':v': { N: '9' } } },
  { expression: 'SET #c = #c + :one', names: { '#c': 'counter' }, values: { ':one': { N: '1' } } },
  { expression: 'SET n = n + :d', values: { ':d': { N: '0.25' } } },
  { expression: 'SET n = n - :d', values: { ':d': { N: '10' } } },
  {
    expression: 'SET created = if_not_exists(created, :now), n = :v',
    values: { ':now': { S: 't0' }, ':v': { N: '1' } },
  },
  { expression: 'SET list = list_append(list, :more)', values: { ':more': { L: [{ S: 'z' }] } } },
  { expression: 'SET list = list_append(:first, list)', values: { ':first': { L: [{ S: 'w' }] } } },
  {
    expression: 'SET #m.inner = :v, #m.added = :w',
    names: { '#m': 'map' },
    values: { ':v': { S: 'new' }, ':w': { N: '1' } },
  },
  { expression: 'SET list[1] = :v, list[9] = :w', values: { ':v': { S: 'two' }, ':w': { S: 'end' } } },
  { expression: 'REMOVE tags, #m.count', names: { '#m': 'map' } },
  { expression: 'REMOVE list[0], list[2]' },
  { expression: 'ADD tags :t', values: { ':t': { SS: ['red', 'yellow'] } } },
  { expression: 'ADD fresh :t, counter :one', values: { ':t': { NS: ['5'] }, ':one': { N: '2' } } },
  { expression: 'DELETE tags :t', values: { ':t': { SS: ['red', 'blue'] } } },
  { expression: 'DELETE tags :t', values: { ':t': { SS: ['red'] } } },
  { expression: 'SET a = :a REMOVE text ADD counter :one', values: { ':a': { S: 'A' }, ':one': { N: '1' } } },
  { expression: 'set lower = :v', values: { ':v': { S: 'case' } } },
  { expression: 'SET big = big + :one', values: { ':one': { N: '1' } } },
  // What DynamoDB refuses.
  { expression: 'SET n = missing' },
  { expression: 'SET text = text + :one', values: { ':one': { N: '1' } } },
  { expression: 'SET nowhere.deep = :v', values: { ':v': { S: 'x' } } },
  { expression: 'SET n = :v, n = :w', values: { ':v': { N: '1' }, ':w': { N: '2' } } },
  { expression: 'SET #m = :v REMOVE #m.inner', names: { '#m': 'map' }, values: { ':v': { M: {} } } },
  { expression: 'SET n = :v SET text = :v', values: { ':v': { N: '1' } } },
  { expression: 'ADD text :t', values: { ':t': { SS: ['x'] } } },
  { expression: 'ADD n :t', values: { ':t': { S: 'x' } } },
  { expression: 'DELETE tags :t', values: { ':t': { S: 'red' } } },
  { expression: 'SET list = list_append(list, :s)', values: { ':s': { S: 'x' } } },
];

const PROJECTIONS: Case[] = [
  { expression: 'n, tags' },
  { expression: '#m.inner, list[2].deep, list[0]', names: { '#m': 'map' } },
  { expression: 'missing, pk' },
  { expression: '#m.nested', names: { '#m': 'map' } },
];

/** Numbers compared by value: DynamoDB stores `1.50` as `1.5`. */
const normalize = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  if (typeof record.N === 'string') return { N: canonical(record.N) };
  if (Array.isArray(record.NS)) return { NS: record.NS.map((n) => canonical(String(n))).sort() };
  if (Array.isArray(record.SS)) return { SS: [...record.SS].sort() };
  if (record.B instanceof Uint8Array) return { B: Buffer.from(record.B).toString('base64') };
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, normalize(v)]));
};
const canonical = (n: string): string => addNumbers(n, '0');

const ours = <T>(run: () => T): { ok: T } | { error: string } => {
  try {
    return { ok: run() };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
};

const theirs = async <T>(run: () => Promise<T>): Promise<{ ok: T } | { error: string }> => {
  try {
    return { ok: await run() };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
};

beforeAll(async () => {
  db = await startDynamoDbLocal();
  await db.client.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    }),
  );
  for (const item of ITEMS) await db.client.send(new PutItemCommand({ TableName: TABLE, Item: item as never }));
}, 60_000);

afterAll(async () => {
  await db?.stop();
});

describe('DynamoDB expressions, against DynamoDB Local', () => {
  it.each(CONDITIONS.map((c) => [c.expression || '(empty)', c] as const))('filter %s', async (_, c) => {
    const expected = await theirs(async () => {
      const page = await db.client.send(
        new ScanCommand({
          TableName: TABLE,
          FilterExpression: c.expression,
          ExpressionAttributeNames: c.names,
          ExpressionAttributeValues: c.values as never,
        }),
      );
      return (page.Items ?? []).map((i) => i.pk?.S).sort();
    });
    const actual = ours(() => {
      const placeholders = new Placeholders(c.names, c.values);
      const condition = parseCondition(c.expression, 'FilterExpression', placeholders);
      placeholders.checkAllUsed();
      validateCondition(condition, 'FilterExpression', placeholders);
      return ITEMS.filter((item) => evaluate(condition, item, placeholders))
        .map((i) => i.pk?.S)
        .sort();
    });
    expect(actual).toEqual(expected);
  });

  it.each(UPDATES.map((c) => [c.expression, c] as const))('update %s', async (_, c) => {
    const base = { ...(ITEMS[0] as Item), counter: { N: '10' } };
    const pk = `update-${UPDATES.indexOf(c)}`;
    await db.client.send(new PutItemCommand({ TableName: TABLE, Item: { ...base, pk: { S: pk } } as never }));
    const expected = await theirs(async () => {
      const result = await db.client.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: { pk: { S: pk } },
          UpdateExpression: c.expression,
          ExpressionAttributeNames: c.names,
          ExpressionAttributeValues: c.values as never,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return normalize(result.Attributes);
    });
    const actual = ours(() => {
      const placeholders = new Placeholders(c.names, c.values);
      const actions = parseUpdate(c.expression, placeholders);
      placeholders.checkAllUsed();
      return normalize(applyUpdate(actions, { ...base, pk: { S: pk } }, placeholders));
    });
    expect(actual).toEqual(expected);
  });

  it.each(PROJECTIONS.map((c) => [c.expression, c] as const))('projection %s', async (_, c) => {
    const expected = await theirs(async () => {
      const result = await db.client.send(
        new GetItemCommand({
          TableName: TABLE,
          Key: { pk: { S: 'a' } },
          ProjectionExpression: c.expression,
          ExpressionAttributeNames: c.names,
        }),
      );
      return normalize(result.Item);
    });
    const actual = ours(() => {
      const placeholders = new Placeholders(c.names, c.values);
      const paths = parseProjection(c.expression, placeholders);
      placeholders.checkAllUsed();
      return normalize(project(ITEMS[0] as Item, paths));
    });
    expect(actual).toEqual(expected);
  });
});
