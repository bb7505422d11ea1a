import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamoDb } from '../embedded';
import { type LocalDynamoDb, startDynamoDbLocal } from '../local';

/**
 * The embedded store against DynamoDB Local, over DynamoDB's HTTP protocol:
 * the same requests, in the same order, to both, must give the same answers,
 * or the same error type with the same message. Only what DynamoDB leaves
 * open is compared loosely: the order of a scan, timestamps and sizes.
 */

type Json = Record<string, unknown>;
interface Answer {
  status: number;
  body: Json;
}

const AUTH =
  'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x';

const send = async (endpoint: string, operation: string, input: unknown, service = 'DynamoDB'): Promise<Answer> => {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `${service}_20120810.${operation}`,
      authorization: AUTH,
    },
    body: JSON.stringify(input),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Json) : {} };
};

/** An answer, or an error as type and message (DynamoDB Local writes `Message` for some), plus any item it carries. */
const shape = (answer: Answer): unknown => {
  // DynamoDB Local reports consumed capacity for a DeleteItem of a missing item, unasked; DynamoDB does not.
  if (answer.status < 300) {
    const { ConsumedCapacity, ...body } = answer.body;
    return body;
  }
  const { __type, message, Message, ...rest } = answer.body;
  const type = String(__type);
  return { error: type.slice(type.lastIndexOf('#') + 1), message: message ?? Message, ...rest };
};

/** Timestamps and byte counts differ between any two stores; the rest of a description must not. */
const describeShape = (value: unknown): unknown =>
  JSON.parse(
    JSON.stringify(value, (key, v) =>
      ['CreationDateTime', 'LastUpdateToPayPerRequestDateTime', 'TableSizeBytes', 'IndexSizeBytes'].includes(key)
        ? 'any'
        : ['LatestStreamLabel', 'LatestStreamArn'].includes(key)
          ? String(v).replace(/\d{4}-\d\d-\d\dT[\d:.]+$/, 'label')
          : v,
    ),
  );

const sortItems = (items: unknown): unknown =>
  Array.isArray(items)
    ? [...items].sort((a, b) => JSON.stringify(sortKeys(a)).localeCompare(JSON.stringify(sortKeys(b))))
    : items;
const sortKeys = (value: unknown): unknown =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.fromEntries(
        Object.entries(value)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => [k, sortKeys(v)]),
      )
    : Array.isArray(value)
      ? value.map(sortKeys)
      : value;

let local: LocalDynamoDb;
let embedded: LocalDynamoDb;

beforeAll(async () => {
  [local, embedded] = await Promise.all([startDynamoDbLocal(), startEmbeddedDynamoDb()]);
}, 120_000);

afterAll(async () => {
  await Promise.all([local?.stop(), embedded?.stop()]);
});

type Compare = 'exact' | 'description' | 'unordered';

/** Sends a request to both stores and requires the same answer. */
const both = async (operation: string, input: Json, compare: Compare = 'exact') => {
  const [expected, actual] = await Promise.all([
    send(local.endpoint, operation, input),
    send(embedded.endpoint, operation, input),
  ]);
  const label = `${operation} ${JSON.stringify(input).slice(0, 300)}`;
  let want = shape(expected);
  let got = shape(actual);
  if (compare === 'description') {
    want = describeShape(want);
    got = describeShape(got);
  }
  if (compare === 'unordered' && expected.status < 300) {
    const normalize = (body: Json) => {
      const copy: Json = { ...body, Items: sortItems(body.Items) };
      if (body.Responses)
        copy.Responses = Object.fromEntries(
          Object.entries(body.Responses as Json).map(([t, items]) => [t, sortItems(items)]),
        );
      return copy;
    };
    want = normalize(want as Json);
    got = normalize(got as Json);
  }
  expect.soft({ label, answer: got }).toEqual({ label, answer: want });
  return actual.body;
};

const S = (s: string) => ({ S: s });
const N = (n: string) => ({ N: n });

const THINGS = {
  TableName: 'Things',
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'N' },
    { AttributeName: 'owner', AttributeType: 'S' },
    { AttributeName: 'createdAt', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: 'byOwner',
      KeySchema: [
        { AttributeName: 'owner', KeyType: 'HASH' },
        { AttributeName: 'createdAt', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
  BillingMode: 'PAY_PER_REQUEST',
  StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
};

const SIMPLE = {
  TableName: 'Simple',
  AttributeDefinitions: [
    { AttributeName: 'id', AttributeType: 'S' },
    { AttributeName: 'status', AttributeType: 'S' },
  ],
  KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  GlobalSecondaryIndexes: [
    {
      IndexName: 'byStatus',
      KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    },
  ],
  BillingMode: 'PAY_PER_REQUEST',
};

describe('the embedded DynamoDB answers as DynamoDB Local does', () => {
  it('creates and describes tables, and refuses what DynamoDB refuses', async () => {
    await both('CreateTable', THINGS, 'description');
    await both('CreateTable', SIMPLE, 'description');
    await both('CreateTable', THINGS);
    await both('CreateTable', { ...SIMPLE, TableName: 'x' });
    await both('DescribeTable', { TableName: 'Things' }, 'description');
    await both('DescribeTable', { TableName: 'Missing' });
    await both('ListTables', {});
  });

  it('writes items of every type, normalizes numbers, and refuses bad values and keys', async () => {
    const item = {
      pk: S('a'),
      sk: N('1'),
      owner: S('alice'),
      createdAt: S('2026-01-01'),
      s: S('héllo ✓'),
      n: N('1.50'),
      big: N('1E+100'),
      tiny: N('1e-100'),
      b: { B: Buffer.from('bytes').toString('base64') },
      ss: { SS: ['x', 'y'] },
      ns: { NS: ['1', '2.50'] },
      bs: { BS: [Buffer.from('1').toString('base64')] },
      t: { BOOL: true },
      z: { NULL: true },
      l: { L: [S('x'), N('007'), { M: { deep: { L: [] } } }] },
      m: { M: { inner: S('v'), n: N('-0') } },
    };
    await both('PutItem', { TableName: 'Things', Item: item });
    await both('GetItem', { TableName: 'Things', Key: { pk: S('a'), sk: N('1') } });
    await both('PutItem', { TableName: 'Things', Item: { ...item, n: N('2') }, ReturnValues: 'ALL_OLD' });
    for (const n of [
      '1e2',
      '-0.000',
      '+3',
      '.5',
      '1.',
      ' 5',
      'abc',
      '1e126',
      '1e-131',
      '123456789012345678901234567890123456789',
      '1000000000000000000000000000000000000000',
    ])
      await both('PutItem', {
        TableName: 'Things',
        Item: { pk: S('n'), sk: N('1'), v: N(n) },
        ReturnValues: 'ALL_OLD',
      });
    const bad: Json[] = [
      { pk: S(''), sk: N('1') },
      { pk: S('a'), sk: N('1'), x: {} },
      { pk: S('a'), sk: N('1'), x: { S: 'a', N: '1' } },
      { pk: S('a'), sk: N('1'), x: { SS: [] } },
      { pk: S('a'), sk: N('1'), x: { NS: [] } },
      { pk: S('a'), sk: N('1'), x: { SS: ['a', 'a'] } },
      { pk: S('a'), sk: N('1'), x: { NS: ['1', '1.0'] } },
      { pk: S('a') },
      { pk: N('1'), sk: N('1') },
      { pk: S('a'), sk: N('1'), owner: N('1') },
      { pk: S('a'), sk: N('1'), owner: S('') },
      { pk: S('a'), sk: N('1'), big: S('x'.repeat(410_000)) },
    ];
    for (const Item of bad) await both('PutItem', { TableName: 'Things', Item });
    await both('PutItem', { TableName: 'Things', Item: item, ReturnValues: 'ALL_NEW' });
    await both('PutItem', { TableName: 'Missing', Item: item });
    await both('PutItem', { TableName: 'Simple', Item: { id: S('1'), status: S('') } });
  });

  it('checks keys, conditions and placeholders the same way', async () => {
    const key = { pk: S('a'), sk: N('1') };
    await both('GetItem', { TableName: 'Things', Key: { pk: S('a') } });
    await both('GetItem', { TableName: 'Things', Key: { ...key, x: S('b') } });
    await both('GetItem', { TableName: 'Things', Key: { pk: S('a'), other: N('1') } });
    await both('GetItem', { TableName: 'Things', Key: { pk: N('1'), sk: N('1') } });
    await both('GetItem', { TableName: 'Things', Key: { pk: S('nope'), sk: N('1') } });
    await both('GetItem', {
      TableName: 'Things',
      Key: key,
      ProjectionExpression: 'pk, #l[2].deep, m.inner, ss',
      ExpressionAttributeNames: { '#l': 'l' },
    });
    await both('GetItem', {
      TableName: 'Things',
      Key: key,
      ProjectionExpression: 'pk',
      ExpressionAttributeNames: { '#l': 'l' },
    });
    await both('GetItem', { TableName: 'Things', Key: key, ExpressionAttributeNames: { '#l': 'l' } });
    await both('PutItem', {
      TableName: 'Things',
      Item: key,
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    await both('PutItem', {
      TableName: 'Things',
      Item: { pk: S('c'), sk: N('1') },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    await both('PutItem', {
      TableName: 'Things',
      Item: { pk: S('c'), sk: N('1') },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    await both('PutItem', {
      TableName: 'Things',
      Item: key,
      ConditionExpression: 'n = :two',
      ExpressionAttributeValues: { ':two': N('2'), ':unused': N('3') },
    });
    await both('PutItem', { TableName: 'Things', Item: key, ReturnValues: 'ALL_NEW' });
    await both('DeleteItem', {
      TableName: 'Things',
      Key: { pk: S('c'), sk: N('1') },
      ConditionExpression: 'attribute_exists(nothing)',
    });
    await both('DeleteItem', { TableName: 'Things', Key: { pk: S('c'), sk: N('1') }, ReturnValues: 'ALL_OLD' });
    await both('DeleteItem', { TableName: 'Things', Key: { pk: S('c'), sk: N('1') }, ReturnValues: 'ALL_OLD' });
  });

  it('updates with every ReturnValues, refuses key updates, and creates items by update', async () => {
    const key = { pk: S('u'), sk: N('1') };
    await both('UpdateItem', { TableName: 'Things', Key: key, ReturnValues: 'ALL_NEW' });
    await both('UpdateItem', {
      TableName: 'Things',
      Key: key,
      UpdateExpression: 'SET pk = :v',
      ExpressionAttributeValues: { ':v': S('x') },
    });
    await both('UpdateItem', {
      TableName: 'Things',
      Key: key,
      UpdateExpression: 'SET a = :v, b.c = :v',
      ExpressionAttributeValues: { ':v': S('x') },
    });
    for (const ReturnValues of ['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW', 'BOGUS'])
      await both('UpdateItem', {
        TableName: 'Things',
        Key: key,
        UpdateExpression: 'SET a = :v, m = :m, c = if_not_exists(c, :zero) + :one ADD counter :one REMOVE gone',
        ExpressionAttributeValues: {
          ':v': S(ReturnValues),
          ':m': { M: { x: N('1.10') } },
          ':zero': N('0'),
          ':one': N('1'),
        },
        ReturnValues,
      });
    await both('UpdateItem', {
      TableName: 'Things',
      Key: key,
      UpdateExpression: 'SET #v = #v + :one',
      ConditionExpression: '#v < :limit',
      ExpressionAttributeNames: { '#v': 'counter' },
      ExpressionAttributeValues: { ':one': N('1'), ':limit': N('3') },
      ReturnValues: 'UPDATED_NEW',
    });
    await both('UpdateItem', {
      TableName: 'Things',
      Key: key,
      UpdateExpression: 'SET #v = #v + :one',
      ConditionExpression: '#v < :limit',
      ExpressionAttributeNames: { '#v': 'counter' },
      ExpressionAttributeValues: { ':one': N('1'), ':limit': N('3') },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    await both('UpdateItem', {
      TableName: 'Things',
      Key: key,
      UpdateExpression: 'SET owner = :o, createdAt = :c',
      ExpressionAttributeValues: { ':o': S('bob'), ':c': S('2026-02-01') },
      ReturnValues: 'ALL_NEW',
    });
    await both('UpdateItem', {
      TableName: 'Things',
      Key: key,
      UpdateExpression: 'SET owner = :o',
      ExpressionAttributeValues: { ':o': N('5') },
    });
    await both('UpdateItem', {
      TableName: 'Things',
      Key: key,
      UpdateExpression: 'REMOVE a',
      ReturnValues: 'UPDATED_OLD',
    });
  });

  it('queries tables and indexes with every key condition, in both directions, page by page', async () => {
    for (let i = 0; i < 12; i += 1)
      await both('PutItem', {
        TableName: 'Things',
        Item: {
          pk: S('q'),
          sk: N(String(i * 10 - 30)),
          owner: S(i % 2 ? 'carol' : 'dave'),
          createdAt: S(`2026-03-${String(i + 1).padStart(2, '0')}`),
          even: { BOOL: i % 2 === 0 },
        },
      });
    const query = (KeyConditionExpression: string, values: Json, extra: Json = {}) =>
      both('Query', { TableName: 'Things', KeyConditionExpression, ExpressionAttributeValues: values, ...extra });
    const q = S('q');
    await query('pk = :p', { ':p': q });
    await query('pk = :p', { ':p': q }, { ScanIndexForward: false });
    for (const op of ['=', '<', '<=', '>', '>='])
      for (const ScanIndexForward of [true, false])
        await query(`pk = :p AND sk ${op} :v`, { ':p': q, ':v': N('20') }, { ScanIndexForward });
    await query('pk = :p AND sk BETWEEN :a AND :b', { ':p': q, ':a': N('-15'), ':b': N('40') });
    await query('sk > :v AND pk = :p', { ':p': q, ':v': N('0') });
    await query('pk = :p AND begins_with(sk, :v)', { ':p': q, ':v': N('1') });
    await query(
      'pk = :p',
      { ':p': q },
      { FilterExpression: 'even = :t', ExpressionAttributeValues: { ':p': q, ':t': { BOOL: true } }, Limit: 5 },
    );
    await query('pk = :p', { ':p': q }, { Select: 'COUNT' });
    await query('pk = :p', { ':p': q }, { ProjectionExpression: 'sk, even' });
    await query('pk = :p', { ':p': q }, { ProjectionExpression: 'sk', Select: 'ALL_ATTRIBUTES' });
    // Page by page, each page from the previous one's LastEvaluatedKey.
    for (const ScanIndexForward of [true, false]) {
      let start: unknown;
      for (let page = 0; page < 6; page += 1) {
        const body = await query(
          'pk = :p AND sk >= :v',
          { ':p': q, ':v': N('-10') },
          { Limit: 4, ScanIndexForward, ...(start ? { ExclusiveStartKey: start } : {}) },
        );
        start = body.LastEvaluatedKey;
        if (!start) break;
      }
    }
    // The index, sorted by its own sort key.
    await both('Query', {
      TableName: 'Things',
      IndexName: 'byOwner',
      KeyConditionExpression: '#o = :o AND begins_with(createdAt, :m)',
      ExpressionAttributeNames: { '#o': 'owner' },
      ExpressionAttributeValues: { ':o': S('carol'), ':m': S('2026-03-0') },
    });
    let start: unknown;
    for (let page = 0; page < 5; page += 1) {
      const body = await both('Query', {
        TableName: 'Things',
        IndexName: 'byOwner',
        KeyConditionExpression: '#o = :o',
        ExpressionAttributeNames: { '#o': 'owner' },
        ExpressionAttributeValues: { ':o': S('dave') },
        Limit: 2,
        ScanIndexForward: false,
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      start = body.LastEvaluatedKey;
      if (!start) break;
    }
    await both('Query', {
      TableName: 'Simple',
      IndexName: 'byStatus',
      KeyConditionExpression: '#s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': S('open') },
    });
  });

  it('refuses the key conditions and query parameters DynamoDB refuses', async () => {
    const q = S('q');
    const refused: Array<[string, Json, Json?]> = [
      ['sk = :v', { ':v': N('1') }],
      ['pk < :p', { ':p': q }],
      ['pk = :p OR sk = :v', { ':p': q, ':v': N('1') }],
      ['pk = :p AND sk <> :v', { ':p': q, ':v': N('1') }],
      ['pk = :p AND sk > :v AND sk < :w', { ':p': q, ':v': N('1'), ':w': N('5') }],
      ['pk = :p AND other = :v', { ':p': q, ':v': N('1') }],
      ['pk = :p AND NOT sk = :v', { ':p': q, ':v': N('1') }],
      ['pk = :p AND attribute_exists(sk)', { ':p': q }],
      ['pk = :n', { ':n': N('1') }],
      ['pk = :p', { ':p': q }, { Limit: 0 }],
      ['pk = :p', { ':p': q }, { IndexName: 'nope' }],
      [
        '#o = :p',
        { ':p': q },
        { IndexName: 'byOwner', ConsistentRead: true, ExpressionAttributeNames: { '#o': 'owner' } },
      ],
      ['pk = :p', { ':p': q }, { ExclusiveStartKey: { pk: S('other'), sk: N('1') } }],
      ['pk = :p', { ':p': q }, { ExclusiveStartKey: { pk: S('q') } }],
      ['pk = :p', { ':p': q }, { Select: 'SPECIFIC_ATTRIBUTES' }],
    ];
    for (const [KeyConditionExpression, values, extra] of refused)
      await both('Query', { TableName: 'Things', KeyConditionExpression, ExpressionAttributeValues: values, ...extra });
    await both('Query', { TableName: 'Things' });
  });

  it('scans tables and indexes, filters and counts, and resumes from LastEvaluatedKey', async () => {
    await both('Scan', { TableName: 'Things' }, 'unordered');
    await both(
      'Scan',
      {
        TableName: 'Things',
        FilterExpression: 'attribute_exists(even) AND sk > :z',
        ExpressionAttributeValues: { ':z': N('0') },
      },
      'unordered',
    );
    await both('Scan', { TableName: 'Things', Select: 'COUNT' });
    await both('Scan', { TableName: 'Things', IndexName: 'byOwner' }, 'unordered');
    // Pages differ in order between stores, but every item comes exactly once on each.
    for (const db of [local, embedded]) {
      const seen: unknown[] = [];
      let start: unknown;
      for (let page = 0; page < 20; page += 1) {
        const { body } = await send(db.endpoint, 'Scan', {
          TableName: 'Things',
          Limit: 3,
          ...(start ? { ExclusiveStartKey: start } : {}),
        });
        seen.push(...(body.Items as unknown[]));
        start = body.LastEvaluatedKey;
        if (!start) break;
      }
      const all = (await send(db.endpoint, 'Scan', { TableName: 'Things' })).body.Items as unknown[];
      expect(sortItems(seen)).toEqual(sortItems(all));
    }
  });

  it('batches writes and reads, and refuses duplicates and oversize batches', async () => {
    const puts = Array.from({ length: 5 }, (_, i) => ({
      PutRequest: { Item: { id: S(`b${i}`), status: S(i % 2 ? 'open' : 'done') } },
    }));
    await both('BatchWriteItem', { RequestItems: { Simple: puts } });
    await both('BatchWriteItem', { RequestItems: { Simple: [puts[0], puts[0]] } });
    await both('BatchWriteItem', {
      RequestItems: { Simple: Array.from({ length: 26 }, (_, i) => ({ PutRequest: { Item: { id: S(`x${i}`) } } })) },
    });
    await both('BatchWriteItem', {
      RequestItems: {
        Simple: [{ DeleteRequest: { Key: { id: S('b0') } } }, { DeleteRequest: { Key: { id: S('missing') } } }],
      },
    });
    await both(
      'BatchGetItem',
      {
        RequestItems: {
          Simple: { Keys: [{ id: S('b0') }, { id: S('b1') }, { id: S('b2') }] },
          Things: { Keys: [{ pk: S('a'), sk: N('1') }], ProjectionExpression: 'pk, n' },
        },
      },
      'unordered',
    );
    await both('BatchGetItem', { RequestItems: { Simple: { Keys: [{ id: S('b1') }, { id: S('b1') }] } } });
    await both(
      'Query',
      {
        TableName: 'Simple',
        IndexName: 'byStatus',
        KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': S('open') },
      },
      'unordered',
    );
    await both('DescribeTable', { TableName: 'Simple' }, 'description');
  });

  it('adds an index to a table with items, and the index holds them', async () => {
    const update = {
      TableName: 'Simple',
      AttributeDefinitions: [
        { AttributeName: 'status', AttributeType: 'S' },
        { AttributeName: 'id', AttributeType: 'S' },
      ],
      GlobalSecondaryIndexUpdates: [
        {
          Create: {
            IndexName: 'byStatusAll',
            KeySchema: [
              { AttributeName: 'status', KeyType: 'HASH' },
              { AttributeName: 'id', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        },
      ],
    };
    // DynamoDB Local answers while it backfills the index (CREATING); the embedded store backfills before it answers.
    const [expected, actual] = await Promise.all([
      send(local.endpoint, 'UpdateTable', update),
      send(embedded.endpoint, 'UpdateTable', update),
    ]);
    const withoutIndexes = (answer: Answer) => {
      const { GlobalSecondaryIndexes, ...rest } = answer.body.TableDescription as Json;
      return describeShape({ ...rest, indexes: (GlobalSecondaryIndexes as Json[]).map((i) => i.IndexName).sort() });
    };
    expect(withoutIndexes(actual)).toEqual(withoutIndexes(expected));
    for (let i = 0; i < 100; i += 1) {
      const { body } = await send(local.endpoint, 'DescribeTable', { TableName: 'Simple' });
      const indexes = (body.Table as { GlobalSecondaryIndexes: Array<{ IndexName: string; IndexStatus: string }> })
        .GlobalSecondaryIndexes;
      if (indexes.every((index) => index.IndexStatus === 'ACTIVE')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await both('DescribeTable', { TableName: 'Simple' }, 'description');
    await both('Query', {
      TableName: 'Simple',
      IndexName: 'byStatusAll',
      KeyConditionExpression: '#s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': S('open') },
    });
  });

  it('streams each change of a table as DynamoDB Local does, with the old and new images', async () => {
    const records = async (db: LocalDynamoDb) => {
      const { body: table } = await send(db.endpoint, 'DescribeTable', { TableName: 'Things' });
      const arn = (table.Table as Json).LatestStreamArn;
      const { body: stream } = await send(db.endpoint, 'DescribeStream', { StreamArn: arn }, 'DynamoDBStreams');
      const shards = (stream.StreamDescription as { Shards: Array<{ ShardId: string }> }).Shards;
      const all: Json[] = [];
      for (const shard of shards) {
        const { body: it } = await send(
          db.endpoint,
          'GetShardIterator',
          { StreamArn: arn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' },
          'DynamoDBStreams',
        );
        let iterator = it.ShardIterator;
        for (let page = 0; page < 50 && iterator; page += 1) {
          const { body } = await send(
            db.endpoint,
            'GetRecords',
            { ShardIterator: iterator, Limit: 7 },
            'DynamoDBStreams',
          );
          const got = body.Records as Json[];
          all.push(...got);
          if (got.length === 0) break;
          iterator = body.NextShardIterator;
        }
      }
      return all.map((r) => {
        const { ApproximateCreationDateTime, SequenceNumber, SizeBytes, ...rest } = r.dynamodb as Json;
        expect(typeof ApproximateCreationDateTime).toBe('number');
        expect(String(SequenceNumber)).toMatch(/^\d+$/);
        expect(SizeBytes).toBeGreaterThan(0);
        return {
          eventName: r.eventName,
          eventSource: r.eventSource,
          eventVersion: r.eventVersion,
          awsRegion: r.awsRegion,
          dynamodb: rest,
        };
      });
    };
    // A put that changes nothing, then a delete.
    await both('PutItem', {
      TableName: 'Things',
      Item: { pk: S('q'), sk: N('-30'), owner: S('dave'), createdAt: S('2026-03-01'), even: { BOOL: true } },
    });
    await both('DeleteItem', { TableName: 'Things', Key: { pk: S('q'), sk: N('-20') } });
    const [expected, actual] = await Promise.all([records(local), records(embedded)]);
    expect(expected.length).toBeGreaterThan(20);
    expect(actual).toEqual(expected);
  });
});
