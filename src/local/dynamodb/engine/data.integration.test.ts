import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Differential, type Json, sortItems, startDifferential } from './differential';

/**
 * What the embedded store used to answer wrongly, against DynamoDB Local:
 * list writes past the end, contains() on binaries, an LSI read for all
 * attributes, a GSI backfill over empty keys; and ReturnConsumedCapacity.
 */

let db: Differential;
const TABLE = 'Data';
const S = (s: string) => ({ S: s });
const N = (n: string) => ({ N: n });
const B = (text: string) => ({ B: Buffer.from(text).toString('base64') });
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
      { AttributeName: 'g', AttributeType: 'S' },
      { AttributeName: 'lr', AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: 'id', KeyType: 'HASH' },
      { AttributeName: 'r', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'byG',
        KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
    LocalSecondaryIndexes: [
      {
        IndexName: 'byLr',
        KeySchema: [
          { AttributeName: 'id', KeyType: 'HASH' },
          { AttributeName: 'lr', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  });
}, 120_000);

afterAll(async () => {
  await db?.stop();
});

describe('the embedded store answers what DynamoDB Local answers', () => {
  it('writes list elements past the end in the order of their indexes', async () => {
    const key = { id: S('l'), r: N('1') };
    await db.both('PutItem', {
      TableName: TABLE,
      Item: { ...key, l: { L: [S('a'), S('b'), S('c')] }, m: { M: { l: { L: [] } } } },
    });
    await db.both('UpdateItem', {
      TableName: TABLE,
      Key: key,
      UpdateExpression: 'SET l[84] = :x, l[37] = :y, l[1] = :z, m.l[5] = :x, m.l[2] = :y',
      ExpressionAttributeValues: { ':x': S('x'), ':y': S('y'), ':z': S('z') },
      ReturnValues: 'ALL_NEW',
    });
    await db.both('UpdateItem', {
      TableName: TABLE,
      Key: key,
      UpdateExpression: 'SET l[9] = :x, l[8] = :y REMOVE l[0]',
      ExpressionAttributeValues: { ':x': S('x2'), ':y': S('y2') },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('finds bytes in a binary with contains()', async () => {
    await db.setup('CreateTable', {
      TableName: 'Binary',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    await db.both('PutItem', {
      TableName: 'Binary',
      Item: { id: S('b'), b: B('hello bytes'), bs: { BS: [B('one').B] } },
    });
    for (const [expression, value] of [
      ['contains(b, :v)', B('lo by')],
      ['contains(b, :v)', B('nope')],
      ['contains(b, :v)', S('lo')],
      ['contains(bs, :v)', B('one')],
      ['begins_with(b, :v)', B('hell')],
    ] as const)
      await db.both(
        'Scan',
        { TableName: 'Binary', FilterExpression: expression, ExpressionAttributeValues: { ':v': value } },
        unordered,
      );
  });

  it('reads all attributes through an LSI, and refuses it through a GSI that does not project them', async () => {
    await db.both('PutItem', {
      TableName: TABLE,
      Item: { id: S('i'), r: N('1'), lr: N('5'), g: S('x'), other: S('o') },
    });
    for (const Select of [undefined, 'ALL_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES', 'COUNT'])
      await db.both('Query', {
        TableName: TABLE,
        IndexName: 'byLr',
        KeyConditionExpression: 'id = :i',
        ExpressionAttributeValues: { ':i': S('i') },
        ...(Select ? { Select } : {}),
      });
    await db.both('Query', {
      TableName: TABLE,
      IndexName: 'byG',
      KeyConditionExpression: 'g = :g',
      ExpressionAttributeValues: { ':g': S('x') },
      Select: 'ALL_ATTRIBUTES',
    });
  });

  it('fetches from the table the attributes an LSI does not project when they are asked for by name', async () => {
    await db.both('PutItem', {
      TableName: TABLE,
      Item: { id: S('j'), r: N('1'), lr: N('5'), g: S('x'), other: S('o'), more: { M: { a: S('x'), b: N('2') } } },
    });
    const read = { TableName: TABLE, IndexName: 'byLr' };
    const values = { ':i': S('j') };
    for (const projection of [
      { ProjectionExpression: 'other' },
      { ProjectionExpression: 'other, lr, more.b', Select: 'SPECIFIC_ATTRIBUTES' },
      { ProjectionExpression: '#m', ExpressionAttributeNames: { '#m': 'more' } },
    ]) {
      await db.both('Query', {
        ...read,
        KeyConditionExpression: 'id = :i',
        ...projection,
        ExpressionAttributeValues: values,
      });
      await db.both('Scan', { ...read, ...projection }, unordered);
    }
    await db.both('Query', {
      ...read,
      KeyConditions: { id: { ComparisonOperator: 'EQ', AttributeValueList: [S('j')] } },
      AttributesToGet: ['other', 'g'],
    });
    // A GSI has no table to fetch from: what it does not project is not there.
    await db.both('Query', {
      TableName: TABLE,
      IndexName: 'byG',
      KeyConditionExpression: 'g = :g',
      ExpressionAttributeValues: { ':g': S('x') },
      ProjectionExpression: 'other, id',
    });
  });

  it('leaves out of a new index the items whose key is empty or of another type', async () => {
    await db.setup('CreateTable', {
      TableName: 'Backfill',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    for (const [id, status] of [
      ['1', S('open')],
      ['2', S('')],
      ['3', N('1')],
      ['4', S('open')],
    ] as const)
      await db.setup('PutItem', { TableName: 'Backfill', Item: { id: S(id), status } });
    await db.setup('UpdateTable', {
      TableName: 'Backfill',
      AttributeDefinitions: [{ AttributeName: 'status', AttributeType: 'S' }],
      GlobalSecondaryIndexUpdates: [
        {
          Create: {
            IndexName: 'byStatus',
            KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        },
      ],
    });
    for (let i = 0; i < 50; i += 1) {
      const { body } = await import('./differential').then(({ send }) =>
        send(db.local.endpoint, 'DescribeTable', { TableName: 'Backfill' }),
      );
      const indexes = ((body.Table as Json).GlobalSecondaryIndexes ?? []) as Json[];
      if (indexes.every((index) => index.IndexStatus === 'ACTIVE')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await db.both('Scan', { TableName: 'Backfill', IndexName: 'byStatus' }, unordered);
    await db.both(
      'Query',
      {
        TableName: 'Backfill',
        IndexName: 'byStatus',
        KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': S('open') },
      },
      unordered,
    );
  });

  it('answers ReturnConsumedCapacity with TOTAL and INDEXES', async () => {
    const big = S('x'.repeat(5000));
    for (const ReturnConsumedCapacity of ['TOTAL', 'INDEXES']) {
      await db.both('PutItem', {
        TableName: TABLE,
        Item: { id: S('c'), r: N('1'), g: S('x'), lr: N('5'), big },
        ReturnConsumedCapacity,
      });
      await db.both('PutItem', {
        TableName: TABLE,
        Item: { id: S('c'), r: N('2'), g: S('x'), lr: N('6') },
        ReturnConsumedCapacity,
      });
      await db.both('PutItem', { TableName: TABLE, Item: { id: S('c'), r: N('3') }, ReturnConsumedCapacity });
      await db.both('GetItem', { TableName: TABLE, Key: { id: S('c'), r: N('1') }, ReturnConsumedCapacity });
      await db.both('GetItem', {
        TableName: TABLE,
        Key: { id: S('c'), r: N('1') },
        ReturnConsumedCapacity,
        ConsistentRead: true,
      });
      await db.both('GetItem', { TableName: TABLE, Key: { id: S('c'), r: N('9') }, ReturnConsumedCapacity });
      await db.both('UpdateItem', {
        TableName: TABLE,
        Key: { id: S('c'), r: N('2') },
        UpdateExpression: 'SET z = :z',
        ExpressionAttributeValues: { ':z': S('z') },
        ReturnConsumedCapacity,
      });
      await db.both('Query', {
        TableName: TABLE,
        KeyConditionExpression: 'id = :c',
        ExpressionAttributeValues: { ':c': S('c') },
        ReturnConsumedCapacity,
      });
      await db.both('Query', {
        TableName: TABLE,
        IndexName: 'byLr',
        KeyConditionExpression: 'id = :c',
        ExpressionAttributeValues: { ':c': S('c') },
        ReturnConsumedCapacity,
      });
      await db.both('Scan', { TableName: TABLE, IndexName: 'byG', ReturnConsumedCapacity }, unordered);
      await db.both('BatchWriteItem', {
        RequestItems: { [TABLE]: [{ PutRequest: { Item: { id: S('w'), r: N('1') } } }] },
        ReturnConsumedCapacity,
      });
      await db.both(
        'BatchGetItem',
        {
          RequestItems: {
            [TABLE]: {
              Keys: [
                { id: S('c'), r: N('3') },
                { id: S('w'), r: N('1') },
              ],
            },
          },
          ReturnConsumedCapacity,
        },
        (answer) => {
          const body = answer as { Responses?: Record<string, unknown> };
          return body.Responses ? { ...body, Responses: { [TABLE]: sortItems(body.Responses[TABLE]) } } : body;
        },
      );
      await db.both('TransactWriteItems', {
        TransactItems: [{ Put: { TableName: TABLE, Item: { id: S('t'), r: N('1') } } }],
        ReturnConsumedCapacity,
      });
      await db.both('TransactGetItems', {
        TransactItems: [{ Get: { TableName: TABLE, Key: { id: S('t'), r: N('1') } } }],
        ReturnConsumedCapacity,
      });
      await db.both('DeleteItem', { TableName: TABLE, Key: { id: S('c'), r: N('2') }, ReturnConsumedCapacity });
      await db.both('DeleteItem', { TableName: TABLE, Key: { id: S('c'), r: N('2') }, ReturnConsumedCapacity });
    }
  });
});
