import { describe, expect, it } from 'vitest';
import { Database } from './database';

/** TTL expiry on the store's own clock: what expires, when, and the stream records it leaves. */

const NOW = Date.UTC(2026, 0, 1);
const seconds = (ms: number) => ({ N: String(Math.floor(ms / 1000)) });

const setup = (ttl: boolean) => {
  let now = NOW;
  const db = new Database(undefined, { clock: () => now });
  db.execute('CreateTable', {
    TableName: 'Sessions',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  });
  if (ttl)
    db.execute('UpdateTimeToLive', {
      TableName: 'Sessions',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  const items: Record<string, Record<string, unknown>> = {
    soon: { expiresAt: seconds(NOW + 60_000) },
    later: { expiresAt: seconds(NOW + 3_600_000) },
    text: { expiresAt: { S: String(NOW / 1000) } },
    ancient: { expiresAt: seconds(NOW - 6 * 365 * 24 * 3600 * 1000) },
    forever: {},
  };
  for (const [id, rest] of Object.entries(items))
    db.execute('PutItem', { TableName: 'Sessions', Item: { id: { S: id }, ...rest } });
  const ids = () =>
    ((db.execute('Scan', { TableName: 'Sessions' }).Items ?? []) as Array<{ id: { S: string } }>)
      .map((i) => i.id.S)
      .sort();
  const records = () => {
    const arn = (db.execute('DescribeTable', { TableName: 'Sessions' }).Table as { LatestStreamArn: string })
      .LatestStreamArn;
    const shard = (
      db.execute('DescribeStream', { StreamArn: arn }).StreamDescription as { Shards: Array<{ ShardId: string }> }
    ).Shards[0]?.ShardId;
    const { ShardIterator } = db.execute('GetShardIterator', {
      StreamArn: arn,
      ShardId: shard,
      ShardIteratorType: 'TRIM_HORIZON',
    });
    return db.execute('GetRecords', { ShardIterator }).Records as Array<Record<string, unknown>>;
  };
  return { db, ids, records, advance: (ms: number) => (now += ms) };
};

describe('TTL', () => {
  it('deletes an item once its TTL attribute is in the past, with a REMOVE record from the DynamoDB service', () => {
    // Prepare
    const { ids, records, advance } = setup(true);
    expect(ids()).toEqual(['ancient', 'forever', 'later', 'soon', 'text']);
    // Act
    advance(61_000);
    // Assess
    expect(ids()).toEqual(['ancient', 'forever', 'later', 'text']);
    const removes = records().filter((r) => r.eventName === 'REMOVE');
    expect(removes).toHaveLength(1);
    expect(removes[0]?.userIdentity).toEqual({ type: 'Service', principalId: 'dynamodb.amazonaws.com' });
    expect(removes[0]?.dynamodb).toMatchObject({
      Keys: { id: { S: 'soon' } },
      OldImage: { id: { S: 'soon' }, expiresAt: seconds(NOW + 60_000) },
    });
    advance(3_600_000);
    expect(ids()).toEqual(['ancient', 'forever', 'text']);
  });

  it('deletes nothing while TTL is disabled, and runs at most once a second before an operation', () => {
    const disabled = setup(false);
    disabled.advance(10 * 3_600_000);
    expect(disabled.ids()).toEqual(['ancient', 'forever', 'later', 'soon', 'text']);

    const enabled = setup(true);
    enabled.ids();
    enabled.advance(61_000);
    expect(enabled.db.expire()).toBe(1);
    expect(enabled.db.expire()).toBe(0);
    enabled.db.execute('DeleteItem', { TableName: 'Sessions', Key: { id: { S: 'forever' } } });
    const removes = enabled.records().filter((r) => r.eventName === 'REMOVE');
    expect(removes.map((r) => r.userIdentity)).toEqual([
      { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
      undefined,
    ]);
  });
});
