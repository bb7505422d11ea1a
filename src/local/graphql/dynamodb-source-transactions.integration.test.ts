import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamoDb } from '../dynamodb/embedded';
import { LOCAL_AWS, type LocalDynamoDb, startDynamoDbLocal } from '../dynamodb/local';
import { type DynamoDbCaller, DynamoDbWire } from '../dynamodb/wire';
import { type DataSourceResult, DynamoDataSource } from './dynamodb-source';

/**
 * AppSync's TransactWriteItems and TransactGetItems through the DynamoDB data
 * source, on three paths: the embedded store in-process (as the resolvers
 * call it), the embedded store over HTTP, and DynamoDB Local. Each path has a
 * store of its own and gets the same requests; the results, and a cancelled
 * transaction's `cancellationReasons`, must be the same on all three.
 */

const TABLE = 'Account';
const LOG = 'Ledger';

let embeddedInProcess: LocalDynamoDb;
let embeddedHttp: LocalDynamoDb;
let local: LocalDynamoDb;
let httpWire: DynamoDbWire;
const paths: Array<{ name: string; caller: () => DynamoDbCaller; db: () => LocalDynamoDb }> = [
  { name: 'embedded, in-process', caller: () => embeddedInProcess.wire, db: () => embeddedInProcess },
  { name: 'embedded, HTTP', caller: () => httpWire, db: () => embeddedHttp },
  { name: 'DynamoDB Local', caller: () => local.wire, db: () => local },
];

beforeAll(async () => {
  [embeddedInProcess, embeddedHttp, local] = await Promise.all([
    startEmbeddedDynamoDb(),
    startEmbeddedDynamoDb(),
    startDynamoDbLocal(),
  ]);
  httpWire = new DynamoDbWire(embeddedHttp.endpoint, {
    accessKeyId: LOCAL_AWS.credentials.accessKeyId,
    region: LOCAL_AWS.region,
  });
  for (const { db } of paths)
    for (const name of [TABLE, LOG])
      await db().client.send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
}, 60_000);

afterAll(async () => {
  httpWire?.destroy();
  await Promise.all([embeddedInProcess?.stop(), embeddedHttp?.stop(), local?.stop()]);
});

/** Runs one request on every path; returns the answers by path name. */
const onEvery = async (request: Record<string, unknown>): Promise<Record<string, DataSourceResult>> => {
  const answers: Record<string, DataSourceResult> = {};
  for (const { name, caller } of paths)
    answers[name] = await new DynamoDataSource(caller(), { tableName: TABLE }).invoke(request);
  return answers;
};

const sameOnEvery = (answers: Record<string, DataSourceResult>): DataSourceResult => {
  const [first, ...rest] = Object.values(answers);
  for (const answer of rest) expect(answer).toEqual(first);
  return first as DataSourceResult;
};

const transfer = (amount: number) => ({
  version: '2018-05-29',
  operation: 'TransactWriteItems',
  transactItems: [
    {
      table: TABLE,
      operation: 'UpdateItem',
      key: { id: { S: 'alice' } },
      update: { expression: 'SET balance = balance - :a', expressionValues: { ':a': { N: String(amount) } } },
      condition: { expression: 'balance >= :a', expressionValues: { ':a': { N: String(amount) } } },
    },
    {
      table: TABLE,
      operation: 'UpdateItem',
      key: { id: { S: 'bob' } },
      update: { expression: 'SET balance = balance + :a', expressionValues: { ':a': { N: String(amount) } } },
    },
    {
      table: LOG,
      operation: 'PutItem',
      key: { id: { S: `transfer-${amount}` } },
      attributeValues: { amount: { N: String(amount) } },
      condition: { expression: 'attribute_not_exists(id)' },
    },
  ],
});

describe('TransactWriteItems and TransactGetItems through the DynamoDB data source', () => {
  it('writes all of a transaction and gives its keys, the same on every path', async () => {
    // Prepare
    const open = await onEvery({
      version: '2018-05-29',
      operation: 'TransactWriteItems',
      transactItems: [
        { table: TABLE, operation: 'PutItem', key: { id: { S: 'alice' } }, attributeValues: { balance: { N: '100' } } },
        { table: TABLE, operation: 'PutItem', key: { id: { S: 'bob' } }, attributeValues: { balance: { N: '0' } } },
      ],
    });
    expect(sameOnEvery(open)).toEqual({
      result: { keys: [{ id: 'alice' }, { id: 'bob' }], cancellationReasons: null },
    });

    // Act
    const done = sameOnEvery(await onEvery(transfer(30)));
    const read = sameOnEvery(
      await onEvery({
        version: '2018-05-29',
        operation: 'TransactGetItems',
        transactItems: [
          { table: TABLE, key: { id: { S: 'alice' } } },
          { table: TABLE, key: { id: { S: 'bob' } } },
          { table: LOG, key: { id: { S: 'nobody' } } },
        ],
      }),
    );

    // Assess
    expect(done.result).toEqual({
      keys: [{ id: 'alice' }, { id: 'bob' }, { id: 'transfer-30' }],
      cancellationReasons: null,
    });
    expect(read).toEqual({
      result: {
        items: [{ id: 'alice', balance: 70 }, { id: 'bob', balance: 30 }, null],
        cancellationReasons: null,
      },
    });
  });

  it('cancels all of it with a reason per item, the item where a condition failed, on every path', async () => {
    // Act: alice has 70 left; 80 fails her condition, and the ledger entry for 30 exists already.
    const overdrawn = sameOnEvery(await onEvery(transfer(80)));
    const again = sameOnEvery(await onEvery(transfer(30)));
    const check = sameOnEvery(
      await onEvery({
        version: '2018-05-29',
        operation: 'TransactWriteItems',
        transactItems: [
          {
            table: TABLE,
            operation: 'ConditionCheck',
            key: { id: { S: 'bob' } },
            condition: {
              expression: 'balance > :z',
              expressionValues: { ':z': { N: '1000' } },
              returnValuesOnConditionCheckFailure: false,
            },
          },
          { table: TABLE, operation: 'DeleteItem', key: { id: { S: 'alice' } } },
        ],
      }),
    );
    const after = sameOnEvery(
      await onEvery({
        version: '2018-05-29',
        operation: 'TransactGetItems',
        transactItems: [
          { table: TABLE, key: { id: { S: 'alice' } } },
          { table: TABLE, key: { id: { S: 'bob' } } },
        ],
      }),
    );

    // Assess
    expect(overdrawn).toEqual({
      result: {
        keys: null,
        cancellationReasons: [
          {
            type: 'ConditionalCheckFailed',
            message: 'The conditional request failed',
            item: { id: 'alice', balance: 70 },
          },
          { type: 'None', message: null },
          { type: 'None', message: null },
        ],
      },
      error: {
        type: 'DynamoDB:TransactionCanceledException',
        message:
          'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None, None]',
      },
    });
    expect(again.result).toEqual({
      keys: null,
      cancellationReasons: [
        { type: 'None', message: null },
        { type: 'None', message: null },
        {
          type: 'ConditionalCheckFailed',
          message: 'The conditional request failed',
          item: { id: 'transfer-30', amount: 30 },
        },
      ],
    });
    expect(check.result).toEqual({
      keys: null,
      cancellationReasons: [
        { type: 'ConditionalCheckFailed', message: 'The conditional request failed.' },
        { type: 'None', message: null },
      ],
    });
    // Nothing of the cancelled transactions was written.
    expect(after.result).toEqual({
      items: [
        { id: 'alice', balance: 70 },
        { id: 'bob', balance: 30 },
      ],
      cancellationReasons: null,
    });
  });
});
