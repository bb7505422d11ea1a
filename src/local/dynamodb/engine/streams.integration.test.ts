import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Differential, type Json, send, startDifferential } from './differential';

/** Stream paging and the stream checks of CreateTable, UpdateTable and GetShardIterator, against DynamoDB Local. */

let db: Differential;
const TABLES = ['StreamA', 'StreamB', 'StreamC'];

const table = (TableName: string, StreamSpecification?: Json): Json => ({
  TableName,
  AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  BillingMode: 'PAY_PER_REQUEST',
  ...(StreamSpecification ? { StreamSpecification } : {}),
});

/** Labels and shard ids carry the creation time, which differs between the stores; iterators are opaque. */
const timeless = (answer: unknown): unknown =>
  JSON.parse(
    JSON.stringify(answer, (key, v) =>
      ['CreationRequestDateTime', 'CreationDateTime', 'LastUpdateToPayPerRequestDateTime', 'TableSizeBytes'].includes(
        key,
      )
        ? 'any'
        : key === 'ShardIterator'
          ? 'iterator'
          : typeof v === 'string'
            ? v.replace(/\d{4}-\d\d-\d\dT[\d:.]+/g, 'label').replace(/shardId-\d+-[0-9a-f]+/, 'shard')
            : v,
    ),
  );

/** The same stream or shard in each store, found by its table. */
const arns = async (endpoint: string) => {
  const { body } = await send(endpoint, 'ListStreams', {}, 'DynamoDBStreams');
  return Object.fromEntries((body.Streams as Json[]).map((s) => [String(s.TableName), String(s.StreamArn)]));
};

const streams = async (
  operation: string,
  input: (arn: Record<string, string>, shard: Record<string, string>) => Json,
) => {
  const context = async (endpoint: string) => {
    const arn = await arns(endpoint);
    const shard: Record<string, string> = {};
    for (const [name, streamArn] of Object.entries(arn)) {
      const { body } = await send(endpoint, 'DescribeStream', { StreamArn: streamArn }, 'DynamoDBStreams');
      shard[name] = String((body.StreamDescription as { Shards: Json[] }).Shards[0]?.ShardId);
    }
    return { arn, shard };
  };
  const [expected, actual] = await Promise.all([context(db.local.endpoint), context(db.embedded.endpoint)]);
  const [want, got] = await Promise.all([
    send(db.local.endpoint, operation, input(expected.arn, expected.shard), 'DynamoDBStreams'),
    send(db.embedded.endpoint, operation, input(actual.arn, actual.shard), 'DynamoDBStreams'),
  ]);
  return { want, got };
};

beforeAll(async () => {
  db = await startDifferential();
  for (const name of TABLES) {
    await db.setup('CreateTable', table(name, { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' }));
    // Creation times order the streams: keep them apart.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}, 120_000);

afterAll(async () => {
  await db?.stop();
});

const compare = async (
  operation: string,
  input: (arn: Record<string, string>, shard: Record<string, string>) => Json,
) => {
  const { want, got } = await streams(operation, input);
  const shaped = (answer: { status: number; body: Json }) => {
    const { __type, message, Message, ...rest } = answer.body;
    return timeless(
      answer.status < 300 ? rest : { error: String(__type).replace(/.*#/, ''), message: message ?? Message },
    );
  };
  db.counts.cases += 1;
  const label = `${operation} ${JSON.stringify(input({}, {}))}`;
  if (JSON.stringify(shaped(want)) === JSON.stringify(shaped(got))) db.counts.matched += 1;
  expect.soft({ label, answer: shaped(got) }).toEqual({ label, answer: shaped(want) });
};

describe('streams answer as DynamoDB Local answers', () => {
  it('pages ListStreams with Limit and ExclusiveStartStreamArn', async () => {
    await compare('ListStreams', () => ({}));
    for (const Limit of [1, 2, 3, 4, 0, 101]) await compare('ListStreams', () => ({ Limit }));
    for (const start of TABLES) {
      await compare('ListStreams', (arn) => ({ ExclusiveStartStreamArn: arn[start] }));
      await compare('ListStreams', (arn) => ({ ExclusiveStartStreamArn: arn[start], Limit: 1 }));
    }
    await compare('ListStreams', () => ({ TableName: 'StreamB', Limit: 1 }));
  });

  it('pages DescribeStream with ExclusiveStartShardId, and checks its Limit', async () => {
    await compare('DescribeStream', (arn) => ({ StreamArn: arn.StreamA }));
    await compare('DescribeStream', (arn, shard) => ({ StreamArn: arn.StreamA, ExclusiveStartShardId: shard.StreamA }));
    for (const Limit of [0, 1, 101]) await compare('DescribeStream', (arn) => ({ StreamArn: arn.StreamA, Limit }));
  });

  it('checks GetShardIterator arguments', async () => {
    for (const ShardIteratorType of ['LATEST', 'TRIM_HORIZON', 'AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER']) {
      await compare('GetShardIterator', (arn, shard) => ({
        StreamArn: arn.StreamA,
        ShardId: shard.StreamA,
        ShardIteratorType,
        SequenceNumber: '000000000000000000100',
      }));
      await compare('GetShardIterator', (arn, shard) => ({
        StreamArn: arn.StreamA,
        ShardId: shard.StreamA,
        ShardIteratorType,
      }));
    }
    await compare('GetShardIterator', (arn, shard) => ({
      StreamArn: arn.StreamA,
      ShardId: shard.StreamA,
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      SequenceNumber: 'abc',
    }));
  });

  it('checks StreamSpecification in CreateTable and UpdateTable', async () => {
    const update = (name: string, extra: Json) => db.both('UpdateTable', { TableName: name, ...extra }, timeless);
    await update('StreamA', { StreamSpecification: { StreamEnabled: true, StreamViewType: 'BOGUS' } });
    await update('StreamA', { StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' } });
    await update('StreamA', { StreamSpecification: { StreamEnabled: true } });
    await update('StreamB', { StreamSpecification: { StreamEnabled: false, StreamViewType: 'KEYS_ONLY' } });
    await update('StreamC', {});
    await db.both('CreateTable', table('StreamD', { StreamEnabled: true, StreamViewType: 'BOGUS' }), timeless);
    await db.both('CreateTable', table('StreamD', { StreamEnabled: true }), timeless);
    await db.both('CreateTable', table('StreamD', { StreamEnabled: false, StreamViewType: 'KEYS_ONLY' }), timeless);
    await db.both('CreateTable', table('StreamE'), timeless);
    await update('StreamE', { StreamSpecification: { StreamEnabled: false } });
  });
});
