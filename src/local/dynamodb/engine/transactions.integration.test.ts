import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamoDb } from '../embedded';
import { type Differential, type Json, send, sortItems, startDifferential } from './differential';

/**
 * TransactWriteItems and TransactGetItems against DynamoDB Local: all or
 * nothing, cancellation reasons, idempotency tokens and the request checks;
 * then conflicting transactions at once, and a kill -9 in the middle of
 * transactions, which must leave each one whole or absent.
 */

let db: Differential;
const TABLE = 'Transactions';
const S = (s: string) => ({ S: s });
const N = (n: string) => ({ N: n });

beforeAll(async () => {
  db = await startDifferential();
  await db.setup('CreateTable', {
    TableName: TABLE,
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  });
}, 120_000);

afterAll(async () => {
  await db?.stop();
});

const write = (TransactItems: unknown, extra: Json = {}) => db.both('TransactWriteItems', { TransactItems, ...extra });
const get = (TransactItems: unknown) => db.both('TransactGetItems', { TransactItems });
const put = (id: string, extra: Json = {}, item: Json = {}) => ({
  Put: { TableName: TABLE, Item: { id: S(id), ...item }, ...extra },
});

describe('transactions answer as DynamoDB Local answers', () => {
  it('writes all or nothing, with a reason for each item', async () => {
    await write([put('a', {}, { v: N('1') }), put('b')]);
    await write([
      put('c'),
      put('a', { ConditionExpression: 'attribute_not_exists(id)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
    ]);
    await write([put('c'), put('a', { ConditionExpression: 'attribute_not_exists(id)' })]);
    await db.both('GetItem', { TableName: TABLE, Key: { id: S('c') } });
    await write([
      {
        ConditionCheck: {
          TableName: TABLE,
          Key: { id: S('a') },
          ConditionExpression: 'v = :two',
          ExpressionAttributeValues: { ':two': N('2') },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      {
        Update: {
          TableName: TABLE,
          Key: { id: S('b') },
          UpdateExpression: 'SET w = :w',
          ExpressionAttributeValues: { ':w': S('x') },
        },
      },
    ]);
    await write([
      {
        ConditionCheck: {
          TableName: TABLE,
          Key: { id: S('a') },
          ConditionExpression: 'v = :one',
          ExpressionAttributeValues: { ':one': N('1') },
        },
      },
      {
        Update: {
          TableName: TABLE,
          Key: { id: S('b') },
          UpdateExpression: 'SET w = :w',
          ExpressionAttributeValues: { ':w': S('x') },
          ConditionExpression: 'attribute_exists(id)',
        },
      },
      { Delete: { TableName: TABLE, Key: { id: S('gone') } } },
      { Delete: { TableName: TABLE, Key: { id: S('c') } } },
      put('d', {}, { n: N('1.50') }),
    ]);
    await db.both('Scan', { TableName: TABLE }, (answer) => {
      const body = answer as Json;
      return { ...body, Items: sortItems(body.Items) };
    });
    await write([
      put('e', { ConditionExpression: 'attribute_not_exists(id)' }),
      {
        Delete: {
          TableName: TABLE,
          Key: { id: S('b') },
          ConditionExpression: 'attribute_not_exists(id)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
    ]);
    await write([put('a', { ConditionExpression: 'attribute_not_exists(id)' }), put('f', {}, { id: N('1') })]);
    await write([{ Put: { TableName: TABLE, Item: { id: N('1') } } }]);
    await write([{ Delete: { TableName: TABLE, Key: { id: S('a'), x: S('y') } } }]);
    await write([
      {
        Update: {
          TableName: TABLE,
          Key: { id: S('d') },
          UpdateExpression: 'ADD n :s',
          ExpressionAttributeValues: { ':s': S('x') },
        },
      },
    ]);
    await write([put('q', { ReturnValues: 'ALL_OLD' })]);
    await db.both('GetItem', { TableName: TABLE, Key: { id: S('e') } });
  });

  it('refuses what DynamoDB refuses before it reads an item', async () => {
    await write([put('a'), { Delete: { TableName: TABLE, Key: { id: S('a') } } }]);
    await write([]);
    await db.both('TransactWriteItems', {});
    await write(Array.from({ length: 101 }, (_, i) => put(`x${i}`)));
    await write([{ ...put('a'), Delete: { TableName: TABLE, Key: { id: S('a') } } }]);
    await write([{}]);
    await write([{ Put: { TableName: 'Missing', Item: { id: S('a') } } }]);
    await write([{ ConditionCheck: { TableName: TABLE, Key: { id: S('a') } } }]);
    await write([put('a', { ConditionExpression: 'attribute_not_exists(' })]);
    await write([put('a', { ConditionExpression: 'v = :v' })]);
    await write([put('a', {}, { bad: { SS: [] } })]);
    await write([
      {
        Update: {
          TableName: TABLE,
          Key: { id: S('a') },
          UpdateExpression: 'SET id = :v',
          ExpressionAttributeValues: { ':v': S('x') },
        },
      },
    ]);
    await write([put('a')], { ClientRequestToken: 'x'.repeat(37) });
  });

  it('does a request with the same ClientRequestToken once, and refuses the token for another request', async () => {
    const increment = (by: string) => [
      {
        Update: {
          TableName: TABLE,
          Key: { id: S('ctr') },
          UpdateExpression: 'ADD n :by',
          ExpressionAttributeValues: { ':by': N(by) },
        },
      },
    ];
    await write(increment('1'), { ClientRequestToken: 'token-1' });
    await write(increment('1'), { ClientRequestToken: 'token-1' });
    await db.both('GetItem', { TableName: TABLE, Key: { id: S('ctr') } });
    await write(increment('2'), { ClientRequestToken: 'token-1' });
    await write(increment('1'), { ClientRequestToken: 'token-2' });
    await write(increment('1'), { ClientRequestToken: '' });
    await db.both('GetItem', { TableName: TABLE, Key: { id: S('ctr') } });
  });

  it('reads up to 100 items at once, and refuses the same item twice', async () => {
    await get([
      { Get: { TableName: TABLE, Key: { id: S('a') } } },
      { Get: { TableName: TABLE, Key: { id: S('nope') } } },
      {
        Get: {
          TableName: TABLE,
          Key: { id: S('b') },
          ProjectionExpression: '#w',
          ExpressionAttributeNames: { '#w': 'w' },
        },
      },
      { Get: { TableName: TABLE, Key: { id: S('d') }, ProjectionExpression: 'zz' } },
    ]);
    await get([{ Get: { TableName: TABLE, Key: { id: S('a') } } }, { Get: { TableName: TABLE, Key: { id: S('a') } } }]);
    await get([]);
    await get([{}]);
    await get(Array.from({ length: 101 }, (_, i) => ({ Get: { TableName: TABLE, Key: { id: S(`x${i}`) } } })));
    await get(Array.from({ length: 100 }, (_, i) => ({ Get: { TableName: TABLE, Key: { id: S(`x${i}`) } } })));
    await get([{ Get: { TableName: 'Missing', Key: { id: S('a') } } }]);
    await get([{ Get: { TableName: TABLE, Key: { id: N('1') } } }]);
  });

  it('streams one record per item a transaction writes', async () => {
    const records = async (endpoint: string) => {
      const { body: table } = await send(endpoint, 'DescribeTable', { TableName: TABLE });
      const arn = (table.Table as Json).LatestStreamArn;
      const { body: stream } = await send(endpoint, 'DescribeStream', { StreamArn: arn }, 'DynamoDBStreams');
      const shards = (stream.StreamDescription as { Shards: Array<{ ShardId: string }> }).Shards;
      const all: unknown[] = [];
      for (const shard of shards) {
        const { body: it } = await send(
          endpoint,
          'GetShardIterator',
          { StreamArn: arn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' },
          'DynamoDBStreams',
        );
        const { body } = await send(endpoint, 'GetRecords', { ShardIterator: it.ShardIterator }, 'DynamoDBStreams');
        for (const r of body.Records as Json[]) {
          const { Keys, NewImage, OldImage } = r.dynamodb as Json;
          all.push({ eventName: r.eventName, Keys, NewImage, OldImage });
        }
      }
      return all;
    };
    const [expected, actual] = await Promise.all([records(db.local.endpoint), records(db.embedded.endpoint)]);
    expect(expected.length).toBeGreaterThan(5);
    expect(actual).toEqual(expected);
  });
});

/** Conflicting transactions at once: each read-then-write on a counter either wins or is cancelled, never both. */
const conflicting = async (endpoint: string, table: string) => {
  const counter = { id: S('counter') };
  await send(endpoint, 'PutItem', { TableName: table, Item: { ...counter, v: N('0') } });
  let won = 0;
  let cancelled = 0;
  const worker = async (w: number) => {
    for (let attempt = 0; attempt < 15; attempt += 1) {
      const { body } = await send(endpoint, 'GetItem', { TableName: table, Key: counter, ConsistentRead: true });
      const seen = String(((body.Item as Json).v as Json).N);
      const answer = await send(endpoint, 'TransactWriteItems', {
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: counter,
              UpdateExpression: 'SET v = v + :one',
              ConditionExpression: 'v = :seen',
              ExpressionAttributeValues: { ':one': N('1'), ':seen': N(seen) },
            },
          },
          {
            Put: {
              TableName: table,
              Item: { id: S(`claim-${seen}`), by: N(String(w)) },
              ConditionExpression: 'attribute_not_exists(id)',
            },
          },
        ],
      });
      if (answer.status === 200) won += 1;
      else {
        expect(answer.body.__type).toMatch(/TransactionCanceledException|TransactionConflictException/);
        cancelled += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
  const { body } = await send(endpoint, 'GetItem', { TableName: table, Key: counter, ConsistentRead: true });
  const { body: scan } = await send(endpoint, 'Scan', { TableName: table, Select: 'COUNT', ConsistentRead: true });
  return { won, cancelled, counter: Number(((body.Item as Json).v as Json).N), claims: Number(scan.Count) - 1 };
};

describe('transactions under load', () => {
  it('serializes conflicting transactions: the counter equals the winners, one claim each', async () => {
    await db.setup('CreateTable', {
      TableName: 'Conflicts',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    for (const endpoint of [db.local.endpoint, db.embedded.endpoint]) {
      const result = await conflicting(endpoint, 'Conflicts');
      expect(result.won + result.cancelled).toBe(8 * 15);
      expect(result.won).toBeGreaterThan(0);
      expect(result.cancelled).toBeGreaterThan(0);
      expect(result.counter).toBe(result.won);
      expect(result.claims).toBe(result.won);
      // Start the next store from the same state.
      await send(endpoint, 'DeleteTable', { TableName: 'Conflicts' });
      await send(endpoint, 'CreateTable', {
        TableName: 'Conflicts',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      });
    }
  });

  it('keeps each transaction whole or absent when the process is killed during transactions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'transactions-'));
    let child: ChildProcess | undefined;
    try {
      const module = fileURLToPath(new URL('../embedded.ts', import.meta.url));
      child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          `const { startEmbeddedDynamoDb } = await import(${JSON.stringify(module)});
           const db = await startEmbeddedDynamoDb({ dbPath: ${JSON.stringify(dir)} });
           console.log('endpoint ' + db.endpoint);`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const running = child;
      const endpoint = await new Promise<string>((resolve, reject) => {
        let output = '';
        running.stdout?.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const match = /endpoint (\S+)/.exec(output);
          if (match?.[1]) resolve(match[1]);
        });
        running.on('exit', (code) => reject(new Error(`the store exited with ${code}: ${output}`)));
      });
      await send(endpoint, 'CreateTable', {
        TableName: 'Whole',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      });
      const acknowledged = new Set<number>();
      let next = 0;
      let killed = false;
      const padding = S('p'.repeat(2000));
      const sender = async () => {
        while (!killed && next < 2000) {
          const t = next++;
          try {
            const answer = await send(endpoint, 'TransactWriteItems', {
              TransactItems: Array.from({ length: 100 }, (_, i) => ({
                Put: { TableName: 'Whole', Item: { id: S(`t${t}-${i}`), t: N(String(t)), padding } },
              })),
            });
            if (answer.status === 200) acknowledged.add(t);
          } catch {
            return; // the connection died with the process
          }
        }
      };
      const senders = Array.from({ length: 4 }, sender);
      while (acknowledged.size < 20) await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        killed = true;
        running.kill('SIGKILL');
      });
      await Promise.all(senders);

      const restarted = await startEmbeddedDynamoDb({ dbPath: dir });
      try {
        const sizes = new Map<number, number>();
        let start: unknown;
        do {
          const { body } = await send(restarted.endpoint, 'Scan', {
            TableName: 'Whole',
            ProjectionExpression: 't',
            ...(start ? { ExclusiveStartKey: start } : {}),
          });
          for (const item of body.Items as Json[]) {
            const t = Number((item.t as Json).N);
            sizes.set(t, (sizes.get(t) ?? 0) + 1);
          }
          start = body.LastEvaluatedKey;
        } while (start);
        for (const t of acknowledged) expect(sizes.get(t)).toBe(100);
        for (const [t, size] of sizes) expect({ t, size }).toEqual({ t, size: 100 });
      } finally {
        await restarted.stop();
      }
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
