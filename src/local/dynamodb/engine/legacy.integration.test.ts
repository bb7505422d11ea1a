import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Differential, type Json, sortItems, startDifferential } from './differential';

/**
 * The legacy parameters against DynamoDB Local: Expected, AttributeUpdates,
 * KeyConditions, QueryFilter, ScanFilter, AttributesToGet and
 * ConditionalOperator, their checks, and the refusal to mix them with
 * expressions.
 */

let db: Differential;
const TABLE = 'Legacy';
const S = (s: string) => ({ S: s });
const N = (n: string) => ({ N: n });
const B = (text: string) => ({ B: Buffer.from(text).toString('base64') });
const KEY = { id: S('a'), r: N('1') };
const unordered = (answer: unknown) => {
  const body = answer as Json;
  return body.Items ? { ...body, Items: sortItems(body.Items) } : body;
};

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
  for (let r = 0; r < 6; r += 1)
    await db.setup('PutItem', {
      TableName: TABLE,
      Item: {
        id: S(r < 4 ? 'a' : 'b'),
        r: N(String(r)),
        n: N(String(r * 2)),
        s: S(`hello ${r}`),
        ss: { SS: ['x', `y${r}`] },
        ...(r % 2 ? { odd: { BOOL: true }, b: B(`bin${r}`), l: { L: [S('x'), N(String(r))] } } : {}),
      },
    });
}, 120_000);

afterAll(async () => {
  await db?.stop();
});

const put = (extra: Json) =>
  db.both('PutItem', { TableName: TABLE, Item: { ...KEY, n: N('0'), s: S('hello 1') }, ...extra });
const scan = (ScanFilter: Json, extra: Json = {}) =>
  db.both('Scan', { TableName: TABLE, ScanFilter, ...extra }, unordered);

describe('the legacy parameters answer as DynamoDB Local answers', () => {
  it('Expected: Value, Exists, ComparisonOperator, ConditionalOperator, and their checks', async () => {
    const forms: Json[] = [
      { n: { Value: N('4') } },
      { n: { Value: N('2') } },
      { n: { Exists: false } },
      { zz: { Exists: false } },
      { n: { Exists: false, Value: N('4') } },
      { n: { Exists: true } },
      { n: { Exists: true, Value: N('0') } },
      { n: { ComparisonOperator: 'EQ' } },
      { n: { ComparisonOperator: 'LT', AttributeValueList: [{ SS: ['a'] }] } },
      { n: { ComparisonOperator: 'BETWEEN', AttributeValueList: [N('9'), N('1')] } },
      { n: { ComparisonOperator: 'BETWEEN', AttributeValueList: [N('-1'), N('1')] } },
      { n: { ComparisonOperator: 'BOGUS', AttributeValueList: [N('9')] } },
      { n: { ComparisonOperator: 'EQ', Value: N('1'), AttributeValueList: [N('9')] } },
      { n: { ComparisonOperator: 'GE', Value: N('0') } },
      { zz: { ComparisonOperator: 'NOT_CONTAINS', AttributeValueList: [S('q')] } },
      { s: { ComparisonOperator: 'NOT_CONTAINS', AttributeValueList: [S('q')] } },
      { n: { ComparisonOperator: 'CONTAINS', AttributeValueList: [{ L: [] }] } },
      { n: { ComparisonOperator: 'IN', AttributeValueList: [] } },
      { n: { ComparisonOperator: 'IN', AttributeValueList: [N('7'), N('0')] } },
      { n: { ComparisonOperator: 'NULL', AttributeValueList: [N('1')] } },
      { zz: { ComparisonOperator: 'NULL' } },
      { n: { ComparisonOperator: 'NOT_NULL' } },
      { n: { ComparisonOperator: 'BEGINS_WITH', AttributeValueList: [N('1')] } },
      { s: { ComparisonOperator: 'BEGINS_WITH', AttributeValueList: [S('hel')] } },
      { zz: { ComparisonOperator: 'NE', AttributeValueList: [S('x')] } },
      { n: { ComparisonOperator: 'GT', AttributeValueList: [S('x')] } },
      {},
    ];
    for (const Expected of forms) {
      await put({ Expected });
      await db.both('DeleteItem', {
        TableName: TABLE,
        Key: { id: S('nobody'), r: N('0') },
        Expected,
        ReturnValues: 'ALL_OLD',
      });
    }
    await put({
      Expected: { n: { Value: N('1') }, s: { Value: S('hello 1') } },
      ConditionalOperator: 'OR',
      ReturnValues: 'ALL_OLD',
    });
    await put({ Expected: { n: { Value: N('1') }, s: { Value: S('hello 1') } }, ConditionalOperator: 'AND' });
    await put({ Expected: { n: { Value: N('1') } }, ConditionalOperator: 'OR' });
    await put({ ConditionalOperator: 'OR' });
    await put({ Expected: { n: { Value: N('1') } }, ConditionExpression: 'attribute_exists(id)' });
    await put({ Expected: { n: { Value: N('1') } }, ExpressionAttributeNames: { '#a': 'a' } });
    await db.both('DeleteItem', {
      TableName: TABLE,
      Key: KEY,
      Expected: { n: { ComparisonOperator: 'GE', AttributeValueList: [N('100')] } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('AttributeUpdates: PUT, ADD (numbers, sets, lists) and DELETE, with Expected and ReturnValues', async () => {
    const update = (AttributeUpdates: Json, extra: Json = {}) =>
      db.both('UpdateItem', { TableName: TABLE, Key: { id: S('u'), r: N('1') }, AttributeUpdates, ...extra });
    await update(
      {
        n: { Action: 'ADD', Value: N('2') },
        s: { Action: 'DELETE' },
        ss: { Action: 'ADD', Value: { SS: ['x', 'y'] } },
        l: { Value: { L: [N('1')] } },
        l2: { Action: 'ADD', Value: { L: [N('1')] } },
      },
      { ReturnValues: 'UPDATED_NEW' },
    );
    await update(
      { l: { Action: 'ADD', Value: { L: [N('2')] } }, n: { Action: 'ADD', Value: N('-0.5') } },
      { ReturnValues: 'ALL_NEW' },
    );
    await update(
      { ss: { Action: 'DELETE', Value: { SS: ['x', 'zz'] } }, gone: { Action: 'DELETE' } },
      { ReturnValues: 'UPDATED_OLD' },
    );
    await update({ ss: { Action: 'DELETE', Value: { SS: ['y'] } } }, { ReturnValues: 'ALL_NEW' });
    await update({ id: { Value: S('b') } });
    await update({ x: { Action: 'PUT' } });
    await update({ x: { Action: 'ADD' } });
    await update({ x: { Action: 'ADD', Value: S('s') } });
    await update({ x: { Action: 'ADD', Value: { M: {} } } });
    await update({ x: { Action: 'DELETE', Value: S('s') } });
    await update({ x: { Action: 'BOGUS', Value: S('s') } });
    await update(
      { x: { Value: S('s') } },
      { UpdateExpression: 'SET y = :v', ExpressionAttributeValues: { ':v': S('x') } },
    );
    await update({ x: { Value: S('s') } }, { ConditionExpression: 'attribute_exists(id)' });
    await update({ x: { Value: S('s') } }, { Expected: { x: { Exists: false } }, ReturnValues: 'ALL_OLD' });
    await update({ x: { Value: S('t') } }, { Expected: { x: { Exists: false } } });
    await update({ x: { Value: S('t') } }, { Expected: { x: { Value: S('s') } }, ReturnValues: 'UPDATED_OLD' });
    await db.both('UpdateItem', {
      TableName: TABLE,
      Key: { id: S('u'), r: N('2') },
      Expected: { x: { Exists: false } },
      ReturnValues: 'ALL_NEW',
    });
    await db.both('GetItem', { TableName: TABLE, Key: { id: S('u'), r: N('1') } });
  });

  it('AttributesToGet on GetItem, BatchGetItem, Query and Scan', async () => {
    const get = (extra: Json) => db.both('GetItem', { TableName: TABLE, Key: { id: S('a'), r: N('3') }, ...extra });
    await get({ AttributesToGet: ['n', 'id', 'missing'] });
    await get({ AttributesToGet: ['n', 'n'] });
    await get({ AttributesToGet: [] });
    await get({ AttributesToGet: ['n'], ProjectionExpression: 'n' });
    await db.both(
      'BatchGetItem',
      {
        RequestItems: {
          [TABLE]: {
            Keys: [
              { id: S('a'), r: N('3') },
              { id: S('b'), r: N('4') },
            ],
            AttributesToGet: ['n'],
          },
        },
      },
      (answer) => {
        const body = answer as { Responses?: Record<string, unknown> };
        return body.Responses ? { ...body, Responses: { [TABLE]: sortItems(body.Responses[TABLE]) } } : body;
      },
    );
    await db.both('BatchGetItem', {
      RequestItems: {
        [TABLE]: { Keys: [{ id: S('a'), r: N('3') }], AttributesToGet: ['n'], ProjectionExpression: 'n' },
      },
    });
    await db.both('Scan', { TableName: TABLE, AttributesToGet: ['s'], ProjectionExpression: 's' });
    await db.both('Scan', { TableName: TABLE, AttributesToGet: ['s'], Select: 'ALL_ATTRIBUTES' });
    await db.both('Scan', { TableName: TABLE, AttributesToGet: ['s'], Select: 'COUNT' });
    await db.both('Scan', { TableName: TABLE, AttributesToGet: ['s', 'odd'] }, unordered);
    await db.both('Scan', { TableName: TABLE, AttributesToGet: ['s'], Select: 'SPECIFIC_ATTRIBUTES' }, unordered);
  });

  it('KeyConditions and QueryFilter', async () => {
    const query = (extra: Json) => db.both('Query', { TableName: TABLE, ...extra });
    const hash = { id: { ComparisonOperator: 'EQ', AttributeValueList: [S('a')] } };
    for (const range of [
      { ComparisonOperator: 'BETWEEN', AttributeValueList: [N('1'), N('2')] },
      { ComparisonOperator: 'GT', AttributeValueList: [N('1')] },
      { ComparisonOperator: 'LE', AttributeValueList: [N('2')] },
      { ComparisonOperator: 'EQ', AttributeValueList: [N('3')] },
      { ComparisonOperator: 'BEGINS_WITH', AttributeValueList: [N('3')] },
      { ComparisonOperator: 'CONTAINS', AttributeValueList: [N('3')] },
      { ComparisonOperator: 'GT', AttributeValueList: [S('3')] },
      { ComparisonOperator: 'GT', AttributeValueList: [] },
    ])
      await query({ KeyConditions: { ...hash, r: range } });
    await query({
      KeyConditions: hash,
      QueryFilter: { n: { ComparisonOperator: 'GT', AttributeValueList: [N('1')] } },
      AttributesToGet: ['n'],
    });
    await query({
      KeyConditions: hash,
      QueryFilter: {
        n: { ComparisonOperator: 'GT', AttributeValueList: [N('4')] },
        odd: { ComparisonOperator: 'NOT_NULL' },
      },
      ConditionalOperator: 'OR',
    });
    await query({
      KeyConditions: hash,
      QueryFilter: { odd: { ComparisonOperator: 'NULL' } },
      ScanIndexForward: false,
      Limit: 3,
    });
    await query({ KeyConditions: hash, Select: 'COUNT' });
    await query({ KeyConditions: { id: { ComparisonOperator: 'GT', AttributeValueList: [S('a')] } } });
    await query({ KeyConditions: { id: { ComparisonOperator: 'EQ', AttributeValueList: [N('1')] } } });
    await query({ KeyConditions: { r: { ComparisonOperator: 'EQ', AttributeValueList: [N('1')] } } });
    await query({ KeyConditions: { ...hash, n: { ComparisonOperator: 'EQ', AttributeValueList: [N('1')] } } });
    await query({
      KeyConditions: hash,
      KeyConditionExpression: 'id = :v',
      ExpressionAttributeValues: { ':v': S('a') },
    });
    await query({
      KeyConditionExpression: 'id = :v',
      QueryFilter: { n: { ComparisonOperator: 'GT', AttributeValueList: [N('1')] } },
      ExpressionAttributeValues: { ':v': S('a') },
    });
    await query({
      KeyConditions: hash,
      QueryFilter: { id: { ComparisonOperator: 'EQ', AttributeValueList: [S('a')] } },
    });
    await query({ KeyConditions: hash, AttributesToGet: ['n'], Select: 'ALL_ATTRIBUTES' });
    await query({ AttributesToGet: ['n'] });
  });

  it('KeyConditions with FilterExpression and ProjectionExpression, which DynamoDB allows', async () => {
    const query = (extra: Json) => db.both('Query', { TableName: TABLE, ...extra });
    const hash = { id: { ComparisonOperator: 'EQ', AttributeValueList: [S('a')] } };
    const range = { r: { ComparisonOperator: 'GE', AttributeValueList: [N('1')] } };
    await query({
      KeyConditions: { ...hash, ...range },
      FilterExpression: 'n > :n',
      ExpressionAttributeValues: { ':n': N('2') },
    });
    await query({ KeyConditions: hash, ProjectionExpression: 'n, #s', ExpressionAttributeNames: { '#s': 's' } });
    await query({
      KeyConditions: { ...hash, ...range },
      FilterExpression: 'attribute_exists(odd)',
      ProjectionExpression: 'r',
      ScanIndexForward: false,
    });
    // Placeholders stay the expressions' own: KeyConditions' values are not among them.
    await query({
      KeyConditions: hash,
      FilterExpression: 'n > :n',
      ExpressionAttributeValues: { ':n': N('1'), ':x': S('a') },
    });
    await query({ KeyConditions: hash, FilterExpression: 'id = :v', ExpressionAttributeValues: { ':v': S('a') } });
    await query({
      KeyConditions: hash,
      QueryFilter: { n: { ComparisonOperator: 'NOT_NULL' } },
      ProjectionExpression: 'n',
    });
    await query({ KeyConditions: hash, ProjectionExpression: 'n', AttributesToGet: ['n'] });
  });

  it('ScanFilter with every comparison operator', async () => {
    for (const [name, ComparisonOperator, AttributeValueList] of [
      ['n', 'EQ', [N('4')]],
      ['n', 'NE', [N('4')]],
      ['zz', 'NE', [S('x')]],
      ['n', 'LE', [N('4')]],
      ['n', 'LT', [N('4')]],
      ['n', 'GE', [N('4')]],
      ['n', 'GT', [N('4')]],
      ['s', 'GT', [S('hello 2')]],
      ['b', 'GE', [B('bin3')]],
      ['odd', 'NOT_NULL', []],
      ['odd', 'NULL', []],
      ['ss', 'CONTAINS', [S('x')]],
      ['ss', 'CONTAINS', [S('y3')]],
      ['s', 'CONTAINS', [S('lo 3')]],
      ['b', 'CONTAINS', [B('in')]],
      ['l', 'CONTAINS', [N('3')]],
      ['ss', 'NOT_CONTAINS', [S('y3')]],
      ['zz', 'NOT_CONTAINS', [S('x')]],
      ['s', 'BEGINS_WITH', [S('hello 1')]],
      ['b', 'BEGINS_WITH', [B('bin')]],
      ['n', 'IN', [N('2'), N('8'), S('x')]],
      ['ss', 'IN', [{ SS: ['x', 'y'] }]],
      ['n', 'BETWEEN', [N('2'), N('6')]],
      ['n', 'BETWEEN', [N('6'), N('2')]],
      ['s', 'BETWEEN', [S('hello 1'), S('hello 3')]],
      ['ss', 'EQ', [{ SS: ['y1', 'x'] }]],
      ['n', 'GT', [S('x')]],
      ['n', 'GT', [N('1'), N('2')]],
      ['n', 'BOGUS', [N('1')]],
    ] as const)
      await scan({ [name]: { ComparisonOperator, AttributeValueList } });
    await scan(
      { ss: { ComparisonOperator: 'CONTAINS', AttributeValueList: [S('x')] }, odd: { ComparisonOperator: 'NULL' } },
      { ConditionalOperator: 'AND' },
    );
    await scan(
      { n: { ComparisonOperator: 'EQ', AttributeValueList: [N('0')] }, odd: { ComparisonOperator: 'NOT_NULL' } },
      { ConditionalOperator: 'OR', AttributesToGet: ['n'] },
    );
    await scan(
      { n: { ComparisonOperator: 'GT', AttributeValueList: [N('1')] } },
      { FilterExpression: 'n > :v', ExpressionAttributeValues: { ':v': N('1') } },
    );
    await db.both('Scan', { TableName: TABLE, ConditionalOperator: 'OR' });
  });
});
