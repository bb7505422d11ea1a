import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Differential, type Json, startDifferential } from './differential';

/**
 * Functions and their argument forms against DynamoDB Local: a value where
 * a path is due (`size(:v)`, `attribute_type(:v, :t)`, `begins_with(:v, …)`,
 * `contains(:v, …)`), a path where a value is due, wrong types and counts,
 * functions where they are not allowed, redundant parentheses, and update
 * paths that do not fit the item.
 */

let db: Differential;
const TABLE = 'Functions';
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
  await db.setup('PutItem', {
    TableName: TABLE,
    Item: {
      ...KEY,
      s: S('hello'),
      n: N('3'),
      l: { L: [S('a'), N('1')] },
      m: { M: { b: S('x'), c: { L: [] } } },
      ss: { SS: ['a', 'b'] },
      bin: { B: 'AAEC' },
    },
  });
}, 120_000);

afterAll(async () => {
  await db?.stop();
});

const VALUES: Json = { ':v': S('x'), ':t': S('S'), ':n': N('2'), ':l': { L: [S('a')] }, ':b': { B: 'AQ==' } };

/** A condition on the stored item (DeleteItem of a missing key when `onMissing`), with the values it names. */
const condition = (ConditionExpression: string, onMissing = false) => {
  const used = Object.fromEntries(
    Object.entries(VALUES).filter(([k]) => new RegExp(`${k}\\b`).test(ConditionExpression)),
  );
  return db.both('DeleteItem', {
    TableName: TABLE,
    Key: onMissing ? { id: S('nobody'), r: N('0') } : { id: S('nobody-else'), r: N('9') },
    ConditionExpression,
    ...(Object.keys(used).length > 0 ? { ExpressionAttributeValues: used } : {}),
  });
};

const filter = (FilterExpression: string) => {
  const used = Object.fromEntries(Object.entries(VALUES).filter(([k]) => new RegExp(`${k}\\b`).test(FilterExpression)));
  return db.both('Query', {
    TableName: TABLE,
    KeyConditionExpression: 'id = :id',
    FilterExpression,
    ExpressionAttributeValues: { ':id': S('p'), ...used },
  });
};

describe('functions and their arguments answer as DynamoDB Local answers', () => {
  it('refuses or evaluates each function with a value where a path is due', async () => {
    for (const expression of [
      'attribute_exists(:v)',
      'attribute_not_exists(:v)',
      'size(:v) = :n',
      'size(:l) > :n',
      'attribute_type(:v, :t)',
      'begins_with(:v, :v)',
      'begins_with(:v, s)',
      'contains(:v, :v)',
      'contains(:l, :v)',
      'contains(:v, s)',
      ':v = :v',
      ':n < :n',
      ':v IN (:v)',
      ':n BETWEEN :n AND :n',
    ])
      await condition(expression);
  });

  it('checks the second argument of each function', async () => {
    for (const expression of [
      'attribute_type(s, :v)',
      'attribute_type(s, :n)',
      'attribute_type(s, s)',
      'attribute_type(s, :t)',
      'begins_with(s, :n)',
      'begins_with(s, s)',
      'begins_with(s, :l)',
      'contains(s, s)',
      'contains(l, :l)',
      'contains(ss, :l)',
      'contains(bin, :b)',
      'size(s) = :v',
      'size(size(s)) = :n',
      'size(s)',
      'attribute_exists(s, s)',
      'attribute_exists()',
      'begins_with(s)',
      'contains(s, :v, :v)',
      'unknown_function(s)',
      'ATTRIBUTE_EXISTS(s)',
      'if_not_exists(s, :v) = :v',
      'list_append(l, :l) = :l',
    ])
      await condition(expression);
  });

  it('evaluates the functions on the stored item in filters', async () => {
    for (const expression of [
      'attribute_type(s, :t)',
      'attribute_type(m.b, :t)',
      'begins_with(s, :v)',
      'contains(l, :v)',
      'contains(ss, :v)',
      'size(l) = :n',
      'size(m) = :n',
      'size(ss) = :n',
      'size(bin) > :n',
      'size(n) = :n',
      'size(missing) = :n',
      'NOT attribute_exists(missing)',
      'attribute_exists(m.c[0])',
    ])
      await filter(expression);
  });

  it('accepts redundant parentheses, and refuses unbalanced ones', async () => {
    for (const expression of [
      '((s = :v))',
      '(((attribute_exists(s))))',
      '(s = :v) AND ((n = :n))',
      'NOT (NOT (s = :v))',
      '(s) = :v',
      '((s = :v)',
      '(s = :v))',
      '()',
      's = (:v)',
    ])
      await condition(expression);
    await db.both('Query', {
      TableName: TABLE,
      KeyConditionExpression: '((id = :id)) AND (r > :n)',
      ExpressionAttributeValues: { ':id': S('p'), ':n': N('0') },
    });
  });

  it('refuses functions in key conditions, except begins_with on the sort key', async () => {
    for (const KeyConditionExpression of [
      'id = :id AND begins_with(r, :n)',
      'begins_with(id, :id)',
      'id = :id AND size(r) > :n',
      'id = :id AND attribute_exists(r)',
      'id = :id AND contains(r, :n)',
      'size(id) = :n',
    ])
      await db.both('Query', {
        TableName: TABLE,
        KeyConditionExpression,
        ExpressionAttributeValues: Object.fromEntries(
          Object.entries({ ':id': S('p'), ':n': N('2') }).filter(([k]) => KeyConditionExpression.includes(k)),
        ),
      });
  });

  it('refuses update paths that do not fit the item', async () => {
    const update = (UpdateExpression: string, values: Json = { ':v': S('x') }) =>
      db.both('UpdateItem', {
        TableName: TABLE,
        Key: KEY,
        UpdateExpression,
        ...(UpdateExpression.includes(':') ? { ExpressionAttributeValues: values } : {}),
        ReturnValues: 'UPDATED_NEW',
      });
    for (const expression of [
      'SET missing.a = :v',
      'SET s.a = :v',
      'SET s[0] = :v',
      'SET m[0] = :v',
      'SET l.a = :v',
      'SET m.c[0].z = :v',
      'SET m.b.c = :v',
      'REMOVE missing.a',
      'REMOVE s[0]',
      'REMOVE l[5]',
      'SET l[1] = size(s)',
      'SET z = size(s)',
      'SET z = attribute_exists(s)',
      'SET z = if_not_exists(:v, :v)',
      'SET z = list_append(:v, l)',
      'SET z = list_append(l, :v)',
      'ADD l :v',
      'ADD missing.a :v',
      'DELETE ss :v',
    ])
      await update(expression);
  });
});
