/**
 * The ceiling each DynamoDB puts on the local backend's write throughput:
 * conditional PutItem calls with 16 in flight (no GraphQL, no VTL), against
 * - DynamoDB Local (the jar and launcher the backend uses with
 *   --dynamodb=local), on disk (as `npm start` runs it) and in memory, through
 *   the AWS SDK;
 * - the embedded DynamoDB on disk, through the AWS SDK over HTTP (as functions
 *   reach it) and in-process (as the resolvers reach it).
 * CPU per put is this process's: for the embedded store it includes the store.
 *
 *   npm run bench:dynamodb
 *
 * A versioned create (what createNote runs with conflict detection) writes
 * twice: the item and its DeltaSync record. Then TransactWriteItems of two
 * conditional puts (an item and its DeltaSync-like record), on the same
 * paths: through the AWS SDK, or the in-process caller the resolvers use.
 */

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTableCommand, PutItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { PROJECT_ROOT } from '../src/local/cloud/synth';
import { startEmbeddedDynamoDb } from '../src/local/dynamodb/embedded';
import { type LocalDynamoDb, startDynamoDbLocal } from '../src/local/dynamodb/local';

type Mode = { name: string; start: (dbPath: string) => Promise<LocalDynamoDb>; inProcess?: true };

const MODES: Mode[] = [
  { name: 'DynamoDB Local, disk, SDK', start: (dbPath) => startDynamoDbLocal({ dbPath }) },
  { name: 'DynamoDB Local, memory, SDK', start: () => startDynamoDbLocal() },
  { name: 'embedded, disk, SDK over HTTP', start: (dbPath) => startEmbeddedDynamoDb({ dbPath }) },
  { name: 'embedded, disk, in-process', start: (dbPath) => startEmbeddedDynamoDb({ dbPath }), inProcess: true },
];

const N = Number(process.env.BENCH_PUTS ?? 3000);
const CONCURRENCY = 16;
const ROUNDS = 3;

const main = async (): Promise<void> => {
  const dbPath = join(PROJECT_ROOT, '.amplify', 'bench-dynamodb');
  console.log(`PutItem, ${N} per round, ${CONCURRENCY} in flight, ${ROUNDS} rounds (the first warms the JVM)`);
  console.log('| store, storage, path | puts/s (last round) | all rounds | CPU of this process per put |');
  console.log('| --- | --- | --- | --- |');
  for (const mode of MODES) {
    rmSync(dbPath, { recursive: true, force: true });
    const db = await mode.start(dbPath);
    try {
      await db.client.send(
        new CreateTableCommand({
          TableName: 'BenchTable',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
          StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
        }),
      );
      const rates: number[] = [];
      let cpuPerPut = 0;
      for (let round = 0; round < ROUNDS; round += 1) {
        let next = 0;
        const started = performance.now();
        const cpu = process.cpuUsage();
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (next < N) {
              const i = next++;
              const input = {
                TableName: 'BenchTable',
                Item: { id: { S: `r${round}-${i}` }, headline: { S: 'hello world' }, _version: { N: '1' } },
                ConditionExpression: 'attribute_not_exists(id)',
              };
              if (mode.inProcess) await db.wire.call('PutItem', input);
              else await db.client.send(new PutItemCommand(input));
            }
          }),
        );
        rates.push(N / ((performance.now() - started) / 1000));
        const used = process.cpuUsage(cpu);
        cpuPerPut = (used.user + used.system) / 1000 / N;
      }
      console.log(
        `| ${mode.name} | ${rates.at(-1)?.toFixed(0)} | ${rates.map((r) => r.toFixed(0)).join(', ')} | ${cpuPerPut.toFixed(2)} ms |`,
      );
      transactions.push(`| ${mode.name} | ${(await transact(db, mode.inProcess === true)).toFixed(0)} |`);
    } finally {
      await db.stop();
    }
  }
  rmSync(dbPath, { recursive: true, force: true });
  console.log(
    `\nTransactWriteItems of 2 conditional puts, ${TRANSACTIONS} after the puts above, ${CONCURRENCY} in flight`,
  );
  console.log('| store, storage, path | transactions/s |');
  console.log('| --- | --- |');
  for (const line of transactions) console.log(line);
};

const TRANSACTIONS = Math.ceil(N / 2);
const transactions: string[] = [];

/** Transactions per second on a store whose BenchTable exists. */
const transact = async (db: LocalDynamoDb, inProcess: boolean): Promise<number> => {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < TRANSACTIONS) {
        const i = next++;
        const put = (id: string) => ({
          Put: {
            TableName: 'BenchTable',
            Item: { id: { S: id }, headline: { S: 'hello world' }, _version: { N: '1' } },
            ConditionExpression: 'attribute_not_exists(id)',
          },
        });
        const input = { TransactItems: [put(`t${i}`), put(`t${i}-delta`)] };
        if (inProcess) await db.wire.call('TransactWriteItems', input);
        else await db.client.send(new TransactWriteItemsCommand(input));
      }
    }),
  );
  return TRANSACTIONS / ((performance.now() - started) / 1000);
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
