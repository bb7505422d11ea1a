import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Differential, type Json, startDifferential } from './differential';

/**
 * Expression checks the embedded store used to miss, against DynamoDB Local:
 * names starting with `_` or a digit, BETWEEN bounds, `:v = key`, filters on
 * key attributes, path overlaps and conflicts, and arithmetic on non-numbers.
 */

let db: Differential;
const TABLE = 'Gaps';
const S = (s: string) => ({ S: s });
const N = (n: string) => ({ N: n });
const KEY = { id: S('p'), r: N('1') };

beforeAll(async () => {
  db = await startDifferential();
  await db.setup('CreateTable', {
    TableName: TABLE,
    AttributeDefinitions: [
      { AttributeName: 'id', AttributeType: 'S' },
      { AttributeName: 'r', AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: 'id', KeyType: 'HASH' },
      { AttributeName: 'r', KeyType: 'RANGE' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  });
  await db.setup('PutItem', { TableName: TABLE, Item: { ...KEY, a: { M: { b: S('x') } }, n: N('3') } });
}, 120_000);

afterAll(async () => {
  await db?.stop();
});

const condition = (ConditionExpression: string, values: Json = { ':v': S('x') }) =>
  db.both('DeleteItem', {
    TableName: TABLE,
    Key: { id: S('nobody'), r: N('0') },
    ConditionExpression,
    ...(ConditionExpression.includes(':') ? { ExpressionAttributeValues: values } : {}),
  });

describe('expression checks answer as DynamoDB Local answers', () => {
  it('refuses names that start with _ or a digit', async () => {
    for (const expression of ['_a = :v', '1a = :v', 'a._b = :v', 'a.b1 = :v', 'a1_ = :v']) await condition(expression);
    await db.both('UpdateItem', {
      TableName: TABLE,
      Key: KEY,
      UpdateExpression: 'SET _a = :v',
      ExpressionAttributeValues: { ':v': S('x') },
    });
    await db.both('GetItem', { TableName: TABLE, Key: KEY, ProjectionExpression: 'a, 9b' });
  });

  it('refuses a value where attribute_exists needs a path', async () => {
    await condition('attribute_exists(:v)');
    await condition('attribute_not_exists(:v)');
  });

  it('checks BETWEEN bounds in conditions and key conditions', async () => {
    await condition('n BETWEEN :hi AND :lo', { ':hi': N('5'), ':lo': N('1') });
    await condition('n BETWEEN :lo AND :hi', { ':hi': S('5'), ':lo': N('1') });
    await condition('n BETWEEN :lo AND :hi', { ':hi': N('5'), ':lo': N('5') });
    await condition('n BETWEEN :lo AND :hi', { ':hi': S('b'), ':lo': S('a') });
    await db.both('Query', {
      TableName: TABLE,
      KeyConditionExpression: 'id = :v AND r BETWEEN :b AND :a',
      ExpressionAttributeValues: { ':v': S('p'), ':a': N('1'), ':b': N('5') },
    });
  });

  it('reads `:v = key` as `key = :v`, and refuses filters on the key', async () => {
    const query = (input: Json) => db.both('Query', { TableName: TABLE, ...input });
    await query({ KeyConditionExpression: ':v = id', ExpressionAttributeValues: { ':v': S('p') } });
    await query({
      KeyConditionExpression: ':v = id AND :r >= r',
      ExpressionAttributeValues: { ':v': S('p'), ':r': N('1') },
    });
    await query({
      KeyConditionExpression: 'id = :v AND :r < r',
      ExpressionAttributeValues: { ':v': S('p'), ':r': N('1') },
    });
    await query({
      KeyConditionExpression: 'id = :v',
      FilterExpression: 'r = :r',
      ExpressionAttributeValues: { ':v': S('p'), ':r': N('1') },
    });
    await query({
      KeyConditionExpression: 'id = :v',
      FilterExpression: 'n = :n OR id = :v',
      ExpressionAttributeValues: { ':v': S('p'), ':n': N('3') },
    });
    await query({
      KeyConditionExpression: 'id = :v',
      FilterExpression: 'n = :n',
      ExpressionAttributeValues: { ':v': S('p'), ':n': N('3') },
    });
  });

  it('refuses overlapping and conflicting paths in projections and updates', async () => {
    for (const ProjectionExpression of ['a, a.b', 'a.b, a[0]', 'a.b, a.c', 'a[0], a[0]', 'a.b, n, a.b.c'])
      await db.both('GetItem', { TableName: TABLE, Key: KEY, ProjectionExpression });
    for (const UpdateExpression of ['SET a.b = :v, a[0] = :v', 'SET a.b = :v, a.c = :v', 'SET a.b = :v REMOVE a'])
      await db.both('UpdateItem', {
        TableName: TABLE,
        Key: KEY,
        UpdateExpression,
        ExpressionAttributeValues: { ':v': S('x') },
      });
  });

  it('refuses arithmetic on values that are not numbers before it reads the item', async () => {
    for (const UpdateExpression of ['SET z = :v + :v', 'SET z = missing + :v', 'SET z = :v - n', 'SET z = n + :one'])
      await db.both('UpdateItem', {
        TableName: TABLE,
        Key: KEY,
        UpdateExpression,
        ExpressionAttributeValues: UpdateExpression.includes(':one') ? { ':one': N('1') } : { ':v': S('x') },
        ReturnValues: 'UPDATED_NEW',
      });
  });

  it('refuses a sort-key condition whose value is not of the key type', async () => {
    const query = (KeyConditionExpression: string, values: Json) =>
      db.both('Query', {
        TableName: TABLE,
        KeyConditionExpression,
        ExpressionAttributeValues: { ':p': S('p'), ...values },
      });
    await query('id = :p AND r = :v', { ':v': S('1') });
    await query('id = :p AND r <= :v', { ':v': { BOOL: true } });
    await query('id = :p AND r BETWEEN :v AND :w', { ':v': S('1'), ':w': S('2') });
    await query('id = :p AND r BETWEEN :v AND :w', { ':v': N('1'), ':w': S('2') });
    await query('id = :p AND begins_with(r, :v)', { ':v': S('1') });
    await query(':v > r AND id = :p', { ':v': S('1') });
    await query('id = :p AND r >= :v', { ':v': N('1') });
  });

  it('refuses a REMOVE under a parent the item does not have, and arithmetic inside a function', async () => {
    const key = { id: S('nested'), r: N('1') };
    await db.both('PutItem', {
      TableName: TABLE,
      Item: { ...key, m: { M: { b: S('x') } }, l: { L: [S('y')] }, s: S('z') },
    });
    for (const UpdateExpression of [
      'REMOVE x.y',
      'REMOVE x[0]',
      'REMOVE m.q.r',
      'REMOVE m.q[1]',
      'REMOVE s.t',
      'REMOVE l[0].t',
      'REMOVE m.q',
      'REMOVE l[5]',
    ])
      await db.both('UpdateItem', { TableName: TABLE, Key: key, UpdateExpression, ReturnValues: 'ALL_NEW' });
    for (const UpdateExpression of [
      'SET c = if_not_exists(c, :v + :v)',
      'SET c = list_append(:l, :l - :l)',
      'SET c = if_not_exists(c, :v) + :v',
    ])
      await db.both('UpdateItem', {
        TableName: TABLE,
        Key: key,
        UpdateExpression,
        ExpressionAttributeValues: UpdateExpression.includes(':l') ? { ':l': { L: [N('1')] } } : { ':v': N('2') },
        ReturnValues: 'UPDATED_NEW',
      });
    await db.both('GetItem', { TableName: TABLE, Key: key });
  });

  it('checks Select, the start key of a parallel scan, an empty BatchGetItem, nested key conditions and enum values', async () => {
    for (const Select of ['GARBAGE', 'ALL_PROJECTED_ATTRIBUTES', 'COUNT']) {
      await db.both('Scan', { TableName: TABLE, Select });
      await db.both('Query', {
        TableName: TABLE,
        KeyConditionExpression: 'id = :p',
        ExpressionAttributeValues: { ':p': S('p') },
        Select,
      });
    }
    // Which segment holds a key is the store's own choice; one in a million is not segment 0 in either.
    await db.both('Scan', { TableName: TABLE, TotalSegments: 1000000, Segment: 0, ExclusiveStartKey: KEY });
    await db.both('BatchGetItem', { RequestItems: {} });
    for (const KeyConditionExpression of ['id = :p AND a.b < :v', 'id = :p AND l[0] < :v', 'a.b = :v AND id = :p'])
      await db.both('Query', {
        TableName: TABLE,
        KeyConditionExpression,
        ExpressionAttributeValues: { ':p': S('p'), ':v': N('1') },
      });
    for (const operation of ['PutItem', 'DeleteItem', 'UpdateItem'])
      await db.both(operation, {
        TableName: TABLE,
        ...(operation === 'PutItem' ? { Item: KEY } : { Key: KEY }),
        ReturnValuesOnConditionCheckFailure: 'GARBAGE',
      });
  });

  it('words a type mismatch of AttributeUpdates ADD and DELETE as DynamoDB does', async () => {
    const key = { id: S('mismatch'), r: N('1') };
    await db.both('PutItem', { TableName: TABLE, Item: { ...key, n: N('1'), ss: { SS: ['a'] }, s: S('x') } });
    for (const [name, Action, Value] of [
      ['n', 'ADD', { SS: ['q'] }],
      ['n', 'DELETE', { SS: ['q'] }],
      ['ss', 'ADD', { NS: ['1'] }],
      ['ss', 'DELETE', { NS: ['1'] }],
      ['ss', 'ADD', N('1')],
      ['s', 'ADD', N('1')],
    ] as const)
      await db.both('UpdateItem', { TableName: TABLE, Key: key, AttributeUpdates: { [name]: { Action, Value } } });
    // The same mismatches through UpdateExpression keep their own wording.
    await db.both('UpdateItem', {
      TableName: TABLE,
      Key: key,
      UpdateExpression: 'ADD n :v',
      ExpressionAttributeValues: { ':v': { SS: ['q'] } },
    });
    await db.both('GetItem', { TableName: TABLE, Key: key });
  });

  it('checks size() and attribute_type() arguments before it reads the item', async () => {
    for (const [expression, values] of [
      ['size(a, a) = :n', {}],
      ['size(a, n, a) > :n', {}],
      ['size(:x) > :n', { ':x': N('5') }],
      ['size(:x) > :n', { ':x': { BOOL: true } }],
      ['size(:x) > :n', { ':x': { NULL: true } }],
      ['size(:x) > :n', { ':x': S('abc') }],
      ['size(:x) > :n', { ':x': { L: [] } }],
      ['attribute_type(a, size(n))', {}],
      ['attribute_type(a, :t)', { ':t': S('M') }],
    ] as const)
      await condition(expression, { ':n': N('1'), ...values });
    // DynamoDB Local lists its own internal types here, in no fixed order.
    const types = (answer: unknown) => JSON.parse(JSON.stringify(answer).replace(/\{[A-Z,]+\}/, '{types}'));
    await db.both(
      'DeleteItem',
      { TableName: TABLE, Key: { id: S('nobody'), r: N('0') }, ConditionExpression: 'attribute_type(a, n)' },
      types,
    );
  });
});
