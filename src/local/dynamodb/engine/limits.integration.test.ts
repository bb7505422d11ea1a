import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Differential, type Json, send, startDifferential } from './differential';

/**
 * DynamoDB's limits, against DynamoDB Local: item nesting, attribute names,
 * expression size, operators, IN operands, path depth and redundant
 * parentheses. No input, however deep, may answer a 500.
 */

let db: Differential;
const TABLE = 'Limits';

/** An attribute value with `depth` maps (or lists) around a string. */
const nest = (depth: number, kind: 'M' | 'L' = 'M'): Json => {
  let value: Json = { S: 'x' };
  for (let i = 0; i < depth; i += 1) value = kind === 'M' ? { M: { a: value } } : { L: [value] };
  return value;
};

beforeAll(async () => {
  db = await startDifferential();
  await db.setup('CreateTable', {
    TableName: TABLE,
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
}, 120_000);

afterAll(async () => {
  await db?.stop();
});

const put = (extra: Json, item: Json = { id: { S: 'p' } }) =>
  db.both('PutItem', { TableName: TABLE, Item: item, ...extra });
const condition = (expression: string) =>
  put({
    ConditionExpression: expression,
    ...(expression.includes(':v') ? { ExpressionAttributeValues: { ':v': { S: 'x' } } } : {}),
  });

describe('the embedded DynamoDB keeps DynamoDB limits as DynamoDB Local does', () => {
  it('refuses items nested deeper than 32 levels, in puts, keys, placeholders and update results', async () => {
    for (const depth of [30, 31, 32, 33]) {
      await put({}, { id: { S: `m${depth}` }, v: nest(depth) });
      await put({}, { id: { S: `l${depth}` }, v: nest(depth, 'L') });
    }
    await put({}, { id: { S: 'm100' }, v: nest(100) });
    // DynamoDB Local's HTTP layer answers these now and then with an HTML error page; DynamoDB with a ValidationException.
    for (const kind of ['M', 'L'] as const) {
      const deep = await send(db.embedded.endpoint, 'PutItem', {
        TableName: TABLE,
        Item: { id: { S: 'deep' }, v: nest(1000, kind) },
      });
      expect(deep.status).toBe(400);
      expect(deep.body.message).toMatch(/^Nesting Levels have exceeded supported limits/);
    }
    await put({}, { id: { S: 'wide' }, v: { M: {} }, w: nest(32) });
    await db.both('GetItem', { TableName: TABLE, Key: { id: nest(40) } });
    for (const depth of [31, 32, 33, 40, 100])
      await db.both('UpdateItem', {
        TableName: TABLE,
        Key: { id: { S: 'u' } },
        UpdateExpression: 'SET w = :v',
        ExpressionAttributeValues: { ':v': nest(depth) },
      });
    await db.both('UpdateItem', {
      TableName: TABLE,
      Key: { id: { S: 'm31' } },
      UpdateExpression: 'SET v.a = :v',
      ExpressionAttributeValues: { ':v': nest(31) },
    });
    await put({ ConditionExpression: 'a = :v', ExpressionAttributeValues: { ':v': nest(40) } });
    await db.both('GetItem', { TableName: TABLE, Key: { id: { S: 'm31' } } });
  });

  it('refuses empty and oversized attribute names', async () => {
    for (const name of ['', 'n'.repeat(65_535), 'n'.repeat(65_536), 'é'.repeat(32_767), 'é'.repeat(32_768)]) {
      await put({}, { id: { S: 'names' }, [name]: { S: 'x' } });
      await put({}, { id: { S: 'names' }, m: { M: { [name]: { S: 'x' } } } });
      await put({
        ConditionExpression: '#n = :v',
        ExpressionAttributeNames: { '#n': name },
        ExpressionAttributeValues: { ':v': { S: 'x' } },
      });
    }
  });

  it('limits expression size, operators, IN operands and path depth', async () => {
    await condition(`attribute_not_exists(${'a'.repeat(4060)})`);
    await condition(`attribute_not_exists(${'a'.repeat(4075)})`);
    await condition(`attribute_not_exists(${'a'.repeat(4080)})`);
    await condition(`attribute_not_exists(id)${' '.repeat(5000)}`);
    await condition(`attribute_not_exists(id)${' OR attribute_not_exists(id)'.repeat(150)}`);
    for (const count of [98, 99, 150, 299]) await condition(`attribute_not_exists(id)${' OR a = :v'.repeat(count)}`);
    for (const count of [298, 299, 300, 1000]) await condition(`${'NOT '.repeat(count)}attribute_not_exists(id)`);
    await condition(`a = :v OR ${'(a = :v OR '.repeat(100)}attribute_not_exists(id)${')'.repeat(100)}`);
    await condition(`a = :v OR ${'(a = :v OR '.repeat(300)}attribute_not_exists(id)${')'.repeat(300)}`);
    for (const count of [100, 101])
      await condition(`a IN (${Array(count).fill(':v').join(',')}) OR attribute_not_exists(id)`);
    for (const levels of [31, 32, 33]) {
      await condition(`a${'.b'.repeat(levels)} = :v OR attribute_not_exists(id)`);
      await db.both('GetItem', {
        TableName: TABLE,
        Key: { id: { S: 'q' } },
        ProjectionExpression: `a${'[0]'.repeat(levels)}`,
      });
      await db.both('UpdateItem', {
        TableName: TABLE,
        Key: { id: { S: 'q' } },
        UpdateExpression: `SET a${'.b'.repeat(levels)} = :v`,
        ExpressionAttributeValues: { ':v': { S: 'x' } },
      });
    }
    await db.both('UpdateItem', {
      TableName: TABLE,
      Key: { id: { S: 'q' } },
      UpdateExpression: `SET ${'a'.repeat(4100)} = :v`,
      ExpressionAttributeValues: { ':v': { S: 'x' } },
    });
    await db.both('UpdateItem', {
      TableName: TABLE,
      Key: { id: { S: 'q' } },
      UpdateExpression: `SET ${Array(301)
        .fill(0)
        .map((_, i) => `a${i} = :v`)
        .join(', ')}`,
      ExpressionAttributeValues: { ':v': { S: 'x' } },
    });
    await db.both('Query', {
      TableName: TABLE,
      KeyConditionExpression: `id = :v AND ${'a'.repeat(4100)}`,
      ExpressionAttributeValues: { ':v': { S: 'x' } },
    });
    await db.both('Scan', { TableName: TABLE, ProjectionExpression: 'a'.repeat(4100) });
    await db.both('Scan', {
      TableName: TABLE,
      FilterExpression: `${'a'.repeat(4100)} = :v`,
      ExpressionAttributeValues: { ':v': { S: 'x' } },
    });
  });

  it('refuses redundant parentheses, however deep, with a ValidationException and not a 500', async () => {
    await condition('(attribute_not_exists(id))');
    await condition('((attribute_not_exists(id)))');
    await condition('((a = :v) OR attribute_not_exists(id))');
    await condition('((a = :v)) OR attribute_not_exists(id)');
    await condition('((a = :v)) OR OR');
    await condition('(a = :v OR (attribute_not_exists(id)))');
    await condition(`(${'NOT '.repeat(301)}attribute_exists(a))`);
    await condition(`((${'NOT '.repeat(301)}attribute_exists(a)))`);
    for (const depth of [100, 1500, 2040])
      await condition(`${'('.repeat(depth)}attribute_exists(id)${')'.repeat(depth)}`);
    // Past the size limit, with unbalanced parentheses: still the service's 400.
    const deep = await send(db.embedded.endpoint, 'PutItem', {
      TableName: TABLE,
      Item: { id: { S: 'p' } },
      ConditionExpression: '('.repeat(100_000),
    });
    expect(deep.status).toBe(400);
    const unbalanced = `${'(a = :v OR '.repeat(2000)}a = :v`;
    const answer = await send(db.embedded.endpoint, 'Scan', {
      TableName: TABLE,
      FilterExpression: unbalanced.slice(0, 4000),
      ExpressionAttributeValues: { ':v': { S: 'x' } },
    });
    expect(answer.status).toBe(400);
    // The store still serves.
    await db.both('GetItem', { TableName: TABLE, Key: { id: { S: 'm31' } } });
  });
});
