/**
 * The ceiling DynamoDB Local puts on the local backend's write throughput:
 * PutItem calls with 16 in flight straight from the AWS SDK (no GraphQL, no
 * VTL), against the same jar and launcher the backend uses, on disk (as
 * `npm start` runs it, so data persists) and in memory.
 *
 *   npm run bench:dynamodb
 *
 * A versioned create (what createNote runs with conflict detection) writes
 * twice: the item and its DeltaSync record.
 */

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PROJECT_ROOT } from '../src/local/cloud/synth';
import { startDynamoDbLocal } from '../src/local/dynamodb/local';

const N = Number(process.env.BENCH_PUTS ?? 3000);
const CONCURRENCY = 16;
const ROUNDS = 3;

const main = async (): Promise<void> => {
  const dbPath = join(PROJECT_ROOT, '.amplify', 'bench-dynamodb');
  console.log(`PutItem, ${N} per round, ${CONCURRENCY} in flight, ${ROUNDS} rounds (the first warms the JVM)`);
  console.log('| storage | puts/s (last round) | all rounds | SDK client CPU per put |');
  console.log('| --- | --- | --- | --- |');
  for (const mode of ['disk', 'memory'] as const) {
    rmSync(dbPath, { recursive: true, force: true });
    const db = await startDynamoDbLocal(mode === 'disk' ? { dbPath } : {});
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
              await db.client.send(
                new PutItemCommand({
                  TableName: 'BenchTable',
                  Item: { id: { S: `r${round}-${i}` }, headline: { S: 'hello world' }, _version: { N: '1' } },
                  ConditionExpression: 'attribute_not_exists(id)',
                }),
              );
            }
          }),
        );
        rates.push(N / ((performance.now() - started) / 1000));
        const used = process.cpuUsage(cpu);
        cpuPerPut = (used.user + used.system) / 1000 / N;
      }
      console.log(
        `| ${mode} | ${rates.at(-1)?.toFixed(0)} | ${rates.map((r) => r.toFixed(0)).join(', ')} | ${cpuPerPut.toFixed(2)} ms |`,
      );
    } finally {
      await db.stop();
    }
  }
  rmSync(dbPath, { recursive: true, force: true });
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
