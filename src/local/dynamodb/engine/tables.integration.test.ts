import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Differential, type Json, startDifferential } from './differential';

/** The table checks of CreateTable, UpdateTable and ListTables, and the ProvisionedThroughput echo, against DynamoDB Local. */

let db: Differential;
const A = (AttributeName: string, AttributeType = 'S') => ({ AttributeName, AttributeType });
const K = (AttributeName: string, KeyType = 'HASH') => ({ AttributeName, KeyType });
const ON_DEMAND = { BillingMode: 'PAY_PER_REQUEST' };

/** Timestamps and sizes differ between any two stores. */
const timeless = (answer: unknown): unknown =>
  JSON.parse(
    JSON.stringify(answer, (key, v) =>
      ['CreationDateTime', 'LastUpdateToPayPerRequestDateTime', 'TableSizeBytes'].includes(key) ? 'any' : v,
    ),
  );

beforeAll(async () => {
  db = await startDifferential();
}, 120_000);

afterAll(async () => {
  await db?.stop();
});

const create = (input: Json) => db.both('CreateTable', input, timeless);

describe('table checks answer as DynamoDB Local answers', () => {
  it('refuses LSIs on hash tables or with another hash key, duplicate and unused definitions', async () => {
    const lsi = (KeySchema: Json[]) => [{ IndexName: 'lsi', KeySchema, Projection: { ProjectionType: 'ALL' } }];
    await create({
      ...ON_DEMAND,
      TableName: 'LsiNoSort',
      AttributeDefinitions: [A('id'), A('x')],
      KeySchema: [K('id')],
      LocalSecondaryIndexes: lsi([K('id'), K('x', 'RANGE')]),
    });
    await create({
      ...ON_DEMAND,
      TableName: 'LsiOtherHash',
      AttributeDefinitions: [A('id'), A('r'), A('x')],
      KeySchema: [K('id'), K('r', 'RANGE')],
      LocalSecondaryIndexes: lsi([K('x'), K('r', 'RANGE')]),
    });
    await create({
      ...ON_DEMAND,
      TableName: 'DupDef',
      AttributeDefinitions: [A('id'), A('id', 'N')],
      KeySchema: [K('id')],
    });
    await create({
      ...ON_DEMAND,
      TableName: 'Unused',
      AttributeDefinitions: [A('id'), A('extra')],
      KeySchema: [K('id')],
    });
    await create({
      ...ON_DEMAND,
      TableName: 'LsiOk',
      AttributeDefinitions: [A('id'), A('r'), A('x')],
      KeySchema: [K('id'), K('r', 'RANGE')],
      LocalSecondaryIndexes: lsi([K('id'), K('x', 'RANGE')]),
    });
  });

  it('echoes ProvisionedThroughput, requires it for provisioned tables, and checks UpdateTable', async () => {
    const throughput = { ReadCapacityUnits: 5, WriteCapacityUnits: 7 };
    await create({
      TableName: 'Provisioned',
      AttributeDefinitions: [A('id')],
      KeySchema: [K('id')],
      ProvisionedThroughput: throughput,
    });
    await create({ TableName: 'NoThroughput', AttributeDefinitions: [A('id')], KeySchema: [K('id')] });
    await create({
      ...ON_DEMAND,
      TableName: 'OnDemandWithThroughput',
      AttributeDefinitions: [A('id')],
      KeySchema: [K('id')],
      ProvisionedThroughput: throughput,
    });
    await db.both('DescribeTable', { TableName: 'Provisioned' }, timeless);
    await db.both('UpdateTable', { TableName: 'Provisioned', AttributeDefinitions: [A('id', 'N')] }, timeless);
    await db.both('UpdateTable', { TableName: 'Provisioned', ProvisionedThroughput: throughput }, timeless);
    await db.both(
      'UpdateTable',
      { TableName: 'Provisioned', ProvisionedThroughput: { ReadCapacityUnits: 6, WriteCapacityUnits: 7 } },
      timeless,
    );
    await db.both('UpdateTable', { TableName: 'Provisioned' }, timeless);
  });

  it('pages ListTables within its limits', async () => {
    for (const Limit of [0, 101, 1, 2, 100]) await db.both('ListTables', { Limit });
    await db.both('ListTables', { ExclusiveStartTableName: 'LsiOk', Limit: 2 });
  });
});
