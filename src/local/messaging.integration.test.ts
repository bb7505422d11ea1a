import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  CreateTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListSubscriptionsCommand,
  ListTopicsCommand,
  PublishBatchCommand,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFunction } from './functions/runner';
import { LocalCredentials } from './iam/credentials';
import type { PolicyDocument } from './iam/policy';
import { snsDeliverer } from './messaging';
import type { SubscriptionConfig, TopicConfig } from './settings/messaging';
import { type LocalSns, startLocalSns } from './sns/server';
import { fileSubscriptionStore, TopicEngine } from './sns/topics';
import { QueueMappings } from './sqs/mapping';
import { type QueueConfig, QueueEngine } from './sqs/queue';
import { type LocalSqs, startLocalSqs } from './sqs/server';
import { fileQueueStore } from './sqs/store';
import { DeadLetterQueue } from './streams';

/**
 * The local SNS through the real `@aws-sdk/client-sns` (query protocol,
 * XML), delivering to a real function process, to queues of the local SQS
 * (raw and enveloped, filtered) and to the outbox; and an SQS → function
 * mapping with partial batch failures and redrive to a dead-letter queue.
 */

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/publisherRole`;
const topicArn = (name: string) => `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`;
const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:Consumer`;
const POLICIES = new Map<string, PolicyDocument[]>([
  [ROLE, [{ Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: topicArn('events') }] }]],
]);

let dir: string;
let logFile: string;
let credentials: LocalCredentials;
let queues: QueueEngine;
let sqsServer: LocalSqs;
let sns: LocalSns;
let topics: TopicEngine;
let fn: LocalFunction;
let mappings: QueueMappings;
let snsClient: SNSClient;
let sqsClient: SQSClient;

const queue = (name: string, extra: Partial<QueueConfig> = {}): QueueConfig => ({
  name,
  arn: queueArn(name),
  url: `${sqsServer.url}/${ACCOUNT}/${name}`,
  fifo: false,
  contentBasedDeduplication: false,
  visibilityTimeoutSeconds: 30,
  delaySeconds: 0,
  retentionSeconds: 345_600,
  maximumMessageSize: 1_048_576,
  receiveWaitTimeSeconds: 0,
  ...extra,
});

const TOPICS: TopicConfig[] = [
  { name: 'events', arn: topicArn('events'), fifo: false, contentBasedDeduplication: false },
  { name: 'other', arn: topicArn('other'), fifo: false, contentBasedDeduplication: false },
];
const subscription = (id: string, protocol: string, endpoint: string, extra: Partial<SubscriptionConfig> = {}) => ({
  arn: `${topicArn('events')}:${id}`,
  topicArn: topicArn('events'),
  protocol,
  endpoint,
  filterPolicyScope: 'MessageAttributes' as const,
  rawMessageDelivery: false,
  ...extra,
});
const SUBSCRIPTIONS: SubscriptionConfig[] = [
  subscription('ToFunction', 'lambda', FUNCTION_ARN, { functionId: 'Consumer' }),
  subscription('ToOrders', 'sqs', queueArn('orders'), { rawMessageDelivery: true, filterPolicy: { kind: ['order'] } }),
  subscription('ToAudit', 'sqs', queueArn('audit')),
  subscription('ToPeople', 'email', 'ops@example.com'),
];

const startSns = async (port = 0) => {
  topics = new TopicEngine(fileSubscriptionStore(join(dir, 'sns', 'subscriptions.json')), (s, n) =>
    snsDeliverer({
      url: sns.url,
      queues,
      functionOf: (id) => (id === 'Consumer' ? fn : undefined),
      deadLetters: new DeadLetterQueue(),
      outbox: join(dir, 'sns-outbox.jsonl'),
    })(s, n),
  );
  topics.setTopics(TOPICS, SUBSCRIPTIONS);
  sns = await startLocalSns({
    engine: topics,
    port,
    region: REGION,
    accountId: ACCOUNT,
    verify: credentials.verify,
    authorize: credentials.authorize,
    deniedMessage: (principal, action, resource) =>
      credentials.deniedMessage(principal, action, resource, 'ImplicitDeny'),
    sms: () => {},
  });
};

/** The function's events, as it logged them. */
const events = (): Array<{ Records: Array<Record<string, unknown>> }> =>
  existsSync(logFile)
    ? readFileSync(logFile, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
    : [];

const until = async <T>(check: () => T | undefined, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

const receiveAll = async (name: string) =>
  (
    await sqsClient.send(
      new ReceiveMessageCommand({
        QueueUrl: `${sqsServer.url}/${ACCOUNT}/${name}`,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    )
  ).Messages ?? [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'local-messaging-'));
  logFile = join(dir, 'consumer.log');
  credentials = new LocalCredentials({
    file: join(dir, 'admin-credentials.json'),
    accountId: ACCOUNT,
    region: REGION,
    policies: () => POLICIES,
  });
  queues = new QueueEngine(fileQueueStore(join(dir, 'sqs', 'queues.json')));
  sqsServer = await startLocalSqs({
    engine: queues,
    region: REGION,
    accountId: ACCOUNT,
    verify: credentials.verify,
    authorize: credentials.authorize,
    deniedMessage: (principal, action, resource) =>
      credentials.deniedMessage(principal, action, resource, 'ImplicitDeny'),
  });
  queues.setQueues([
    queue('orders'),
    queue('audit'),
    queue('filtered'),
    queue('tasks', {
      visibilityTimeoutSeconds: 1,
      redrive: { deadLetterTargetArn: queueArn('tasks-dlq'), maxReceiveCount: 2 },
    }),
    queue('tasks-dlq'),
  ]);
  fn = new LocalFunction({
    name: 'Consumer',
    entry: resolve('src/local/test-fixtures/queue-handler.mjs'),
    handler: 'queue-handler.handler',
    timeoutSeconds: 10,
    env: { AWS_REGION: REGION, LOG_FILE: logFile, PATH: process.env.PATH ?? '' },
    log: () => {},
  });
  await startSns();
  mappings = new QueueMappings(queues, (id) => (id === 'Consumer' ? fn : undefined), REGION);
  snsClient = new SNSClient({ endpoint: sns.url, region: REGION, credentials: credentials.admin });
  sqsClient = new SQSClient({ endpoint: sqsServer.url, region: REGION, credentials: credentials.admin });
}, 60_000);

afterAll(async () => {
  snsClient?.destroy();
  sqsClient?.destroy();
  await mappings?.stop();
  await fn?.stop();
  await sns?.close();
  await sqsServer?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('local SNS topics and subscriptions', () => {
  it("lists the template's topics and subscriptions and reports a topic's attributes", async () => {
    // Act
    const listed = await snsClient.send(new ListTopicsCommand({}));
    const attributes = await snsClient.send(new GetTopicAttributesCommand({ TopicArn: topicArn('events') }));
    const all = await snsClient.send(new ListSubscriptionsCommand({}));
    const byTopic = await snsClient.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn('other') }));
    // Assess
    expect(listed.Topics).toEqual([{ TopicArn: topicArn('events') }, { TopicArn: topicArn('other') }]);
    expect(attributes.Attributes).toMatchObject({ TopicArn: topicArn('events'), SubscriptionsConfirmed: '4' });
    expect(all.Subscriptions?.map((s) => [s.Protocol, s.Endpoint])).toEqual([
      ['lambda', FUNCTION_ARN],
      ['sqs', queueArn('orders')],
      ['sqs', queueArn('audit')],
      ['email', 'ops@example.com'],
    ]);
    expect(byTopic.Subscriptions).toEqual([]);
  });

  it('delivers a publish to the function, to queues raw and enveloped as their filters allow, and to the outbox', async () => {
    // Act
    const order = await snsClient.send(
      new PublishCommand({
        TopicArn: topicArn('events'),
        Subject: 'New order',
        Message: '{"id":1}',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'order' } },
      }),
    );
    const other = await snsClient.send(
      new PublishCommand({
        TopicArn: topicArn('events'),
        Message: 'not an order',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'refund' } },
      }),
    );
    const delivered = await until(() => {
      const got = events().filter((e) => e.Records[0]?.EventSource === 'aws:sns');
      return got.length === 2 ? got : undefined;
    });
    const orders = await receiveAll('orders');
    const audit = await receiveAll('audit');
    const outbox = readFileSync(join(dir, 'sns-outbox.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // Assess
    expect(delivered.map((e) => e.Records[0])).toContainEqual({
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: `${topicArn('events')}:ToFunction`,
      Sns: expect.objectContaining({
        Type: 'Notification',
        MessageId: order.MessageId,
        TopicArn: topicArn('events'),
        Subject: 'New order',
        Message: '{"id":1}',
        MessageAttributes: { kind: { Type: 'String', Value: 'order' } },
      }),
    });
    expect(orders.map((m) => [m.Body, m.MessageAttributes?.kind?.StringValue])).toEqual([['{"id":1}', 'order']]);
    expect(audit.map((m) => JSON.parse(m.Body ?? '{}'))).toEqual([
      expect.objectContaining({
        Type: 'Notification',
        MessageId: order.MessageId,
        Subject: 'New order',
        Message: '{"id":1}',
      }),
      expect.objectContaining({ MessageId: other.MessageId, Message: 'not an order' }),
    ]);
    expect(outbox).toEqual([
      expect.objectContaining({ protocol: 'email', endpoint: 'ops@example.com', MessageId: order.MessageId }),
      expect.objectContaining({ protocol: 'email', MessageId: other.MessageId }),
    ]);
  });

  it('subscribes with a body filter policy, changes it, keeps it across a restart, and unsubscribes', async () => {
    // Prepare
    const created = await snsClient.send(
      new SubscribeCommand({
        TopicArn: topicArn('other'),
        Protocol: 'sqs',
        Endpoint: queueArn('filtered'),
        Attributes: {
          FilterPolicyScope: 'MessageBody',
          FilterPolicy: JSON.stringify({ total: [{ numeric: ['>=', 100] }] }),
          RawMessageDelivery: 'true',
        },
      }),
    );
    // Act
    await snsClient.send(new PublishCommand({ TopicArn: topicArn('other'), Message: '{"total":150}' }));
    await snsClient.send(new PublishCommand({ TopicArn: topicArn('other'), Message: '{"total":5}' }));
    const first = await receiveAll('filtered');
    await snsClient.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn: created.SubscriptionArn,
        AttributeName: 'FilterPolicy',
        AttributeValue: JSON.stringify({ total: [{ numeric: ['<', 10] }] }),
      }),
    );
    const port = Number(new URL(sns.url).port);
    await sns.close();
    await startSns(port);
    const kept = await snsClient.send(
      new GetSubscriptionAttributesCommand({ SubscriptionArn: created.SubscriptionArn }),
    );
    await snsClient.send(new PublishCommand({ TopicArn: topicArn('other'), Message: '{"total":5}' }));
    const second = await receiveAll('filtered');
    await snsClient.send(new UnsubscribeCommand({ SubscriptionArn: created.SubscriptionArn }));
    const after = await snsClient.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn('other') }));
    // Assess
    expect(first.map((m) => m.Body)).toEqual(['{"total":150}']);
    expect(kept.Attributes).toMatchObject({ FilterPolicyScope: 'MessageBody', RawMessageDelivery: 'true' });
    expect(second.map((m) => m.Body)).toEqual(['{"total":5}']);
    expect(after.Subscriptions).toEqual([]);
  });

  it('publishes in batches, reporting a bad entry without failing the others', async () => {
    // Act
    const result = await snsClient.send(
      new PublishBatchCommand({
        TopicArn: topicArn('other'),
        PublishBatchRequestEntries: [
          { Id: 'good', Message: 'one' },
          { Id: 'bad', Message: '' },
          { Id: 'also', Message: 'two', MessageAttributes: { n: { DataType: 'Number', StringValue: '2' } } },
        ],
      }),
    );
    // Assess
    expect(result.Successful?.map((s) => s.Id)).toEqual(['good', 'also']);
    expect(result.Failed).toEqual([
      expect.objectContaining({ Id: 'bad', Code: 'InvalidParameter', SenderFault: true }),
    ]);
  });
});

describe('local SNS refusals', () => {
  it("answers bad input with SNS's own errors and keeps serving", async () => {
    // Prepare
    const cases: Array<[Promise<unknown>, string, number]> = [
      [snsClient.send(new PublishCommand({ TopicArn: topicArn('missing'), Message: 'x' })), 'NotFoundException', 404],
      [snsClient.send(new PublishCommand({ TopicArn: 'not-an-arn', Message: 'x' })), 'InvalidParameterException', 400],
      [
        snsClient.send(new PublishCommand({ TopicArn: topicArn('events'), Message: '' })),
        'InvalidParameterException',
        400,
      ],
      [snsClient.send(new PublishCommand({ Message: 'x' })), 'InvalidParameterException', 400],
      [
        snsClient.send(
          new PublishCommand({ TopicArn: topicArn('events'), Message: '{"sqs":"x"}', MessageStructure: 'json' }),
        ),
        'InvalidParameterException',
        400,
      ],
      [
        snsClient.send(
          new PublishCommand({
            TopicArn: topicArn('events'),
            Message: 'x',
            MessageAttributes: { a: { DataType: 'Text', StringValue: 'v' } },
          }),
        ),
        'InvalidParameterValueException',
        400,
      ],
      [
        snsClient.send(new PublishCommand({ TopicArn: topicArn('events'), Message: 'x'.repeat(262_145) })),
        'InvalidParameterException',
        400,
      ],
      [
        snsClient.send(
          new SubscribeCommand({ TopicArn: topicArn('events'), Protocol: 'carrier-pigeon', Endpoint: 'x' }),
        ),
        'InvalidParameterException',
        400,
      ],
      [
        snsClient.send(
          new SubscribeCommand({
            TopicArn: topicArn('events'),
            Protocol: 'sqs',
            Endpoint: queueArn('audit'),
            Attributes: { FilterPolicy: '{"a":[{"numeric":[">>",1]}]}' },
          }),
        ),
        'InvalidParameterException',
        400,
      ],
      [
        snsClient.send(new UnsubscribeCommand({ SubscriptionArn: `${topicArn('events')}:nope` })),
        'NotFoundException',
        404,
      ],
      [
        snsClient.send(new PublishBatchCommand({ TopicArn: topicArn('events'), PublishBatchRequestEntries: [] })),
        'EmptyBatchRequestException',
        400,
      ],
      [
        snsClient.send(
          new PublishBatchCommand({
            TopicArn: topicArn('events'),
            PublishBatchRequestEntries: [
              { Id: 'x', Message: 'a' },
              { Id: 'x', Message: 'b' },
            ],
          }),
        ),
        'BatchEntryIdsNotDistinctException',
        400,
      ],
      [snsClient.send(new CreateTopicCommand({ Name: 'new' })), 'InvalidAction', 400],
    ];
    // Act
    const outcomes = await Promise.all(
      cases.map(([call]) =>
        call.then(
          () => undefined,
          (e: { name: string; $metadata?: { httpStatusCode?: number } }) => e,
        ),
      ),
    );
    const listed = await snsClient.send(new ListTopicsCommand({}));
    // Assess
    expect(outcomes.map((o) => [o?.name, o?.$metadata?.httpStatusCode])).toEqual(
      cases.map(([, name, status]) => [name, status]),
    );
    expect(listed.Topics).toHaveLength(2);
    // The wire's own XML, which the SDK names `<Code>Exception`.
    const raw = await fetch(sns.url, { method: 'POST', body: 'Version=2010-03-31' });
    expect(raw.status).toBe(400);
    expect(await raw.text()).toContain('<Code>MissingAction</Code>');
  });

  it('refuses unsigned and badly signed requests, and what the role does not allow', async () => {
    // Prepare
    const publisher = new SNSClient({
      endpoint: sns.url,
      region: REGION,
      credentials: credentials.forFunction('p', ROLE),
    });
    const wrong = new SNSClient({
      endpoint: sns.url,
      region: REGION,
      credentials: { ...credentials.admin, secretAccessKey: 'wrong' },
    });
    // Act
    const unsigned = await fetch(sns.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=ListTopics&Version=2010-03-31',
    });
    const unsignedBody = await unsigned.text();
    const allowed = await publisher.send(new PublishCommand({ TopicArn: topicArn('events'), Message: 'ok' }));
    const outcomes = await Promise.all(
      [
        publisher.send(new PublishCommand({ TopicArn: topicArn('other'), Message: 'x' })),
        publisher.send(new SubscribeCommand({ TopicArn: topicArn('events'), Protocol: 'email', Endpoint: 'a@b.c' })),
        wrong.send(new ListTopicsCommand({})),
      ].map((p) =>
        p.then(
          () => undefined,
          (e: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => e,
        ),
      ),
    );
    // Assess
    expect(unsigned.status).toBe(403);
    expect(unsignedBody).toMatch(
      /<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>MissingAuthenticationToken<\/Code>/,
    );
    expect(allowed.MessageId).toBeDefined();
    expect(outcomes.map((o) => [o?.name, o?.$metadata?.httpStatusCode])).toEqual([
      ['AuthorizationErrorException', 403],
      ['AuthorizationErrorException', 403],
      ['SignatureDoesNotMatch', 403],
    ]);
    expect(outcomes[0]?.message).toContain('is not authorized to perform: SNS:Publish');
    publisher.destroy();
    wrong.destroy();
  });
});

describe('SQS → function mapping', () => {
  it("does not poll for a role that may not consume the queue, as Lambda's poller does not", async () => {
    // Prepare
    const before = events().length;
    const refusing = new QueueMappings(
      queues,
      () => fn,
      REGION,
      () => 'no sqs:ReceiveMessage',
    );
    await sqsClient.send(
      new SendMessageBatchCommand({
        QueueUrl: `${sqsServer.url}/${ACCOUNT}/audit`,
        Entries: [{ Id: 'a', MessageBody: 'kept' }],
      }),
    );
    const waiting = queues.counts(queues.find('audit') ?? queue('x')).visible;
    // Act
    await refusing.update([
      {
        id: 'Refused',
        queueArn: queueArn('audit'),
        functionId: 'Consumer',
        batchSize: 10,
        batchingWindowMs: 0,
        reportBatchItemFailures: false,
        enabled: true,
        filters: [],
      },
    ]);
    await new Promise((r) => setTimeout(r, 300));
    const refused = refusing.list()[0]?.refused;
    await refusing.stop();
    // Assess
    expect(refused).toBe('no sqs:ReceiveMessage');
    expect(queues.counts(queues.find('audit') ?? queue('x')).visible).toBe(waiting);
    expect(events().length).toBe(before);
  });

  it('invokes the function with batches, deletes successes, and sends a failing message to the DLQ after maxReceiveCount', async () => {
    // Prepare
    const before = events().length;
    const url = `${sqsServer.url}/${ACCOUNT}/tasks`;
    await sqsClient.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', MessageBody: 'ok-1', MessageAttributes: { n: { DataType: 'Number', StringValue: '1' } } },
          { Id: 'b', MessageBody: 'fail-2' },
          { Id: 'c', MessageBody: 'ok-3' },
        ],
      }),
    );
    // Act
    await mappings.update([
      {
        id: 'TasksMapping',
        queueArn: queueArn('tasks'),
        functionId: 'Consumer',
        batchSize: 5,
        batchingWindowMs: 200,
        reportBatchItemFailures: true,
        enabled: true,
        filters: [],
      },
    ]);
    const dead = await until(() => {
      const counts = queues.counts(queues.find('tasks-dlq') ?? queue('x'));
      return counts.visible > 0 ? counts : undefined;
    }, 15_000);
    const batches = events().slice(before);
    const remaining = queues.counts(queues.find('tasks') ?? queue('x'));
    const letters = await receiveAll('tasks-dlq');
    // Assess
    expect(dead.visible).toBe(1);
    expect(batches[0]?.Records.map((r) => r.body)).toEqual(['ok-1', 'fail-2', 'ok-3']);
    expect(batches.slice(1).map((b) => b.Records.map((r) => r.body))).toEqual([['fail-2']]);
    expect(batches[0]?.Records[0]).toMatchObject({
      messageId: expect.any(String),
      receiptHandle: expect.any(String),
      body: 'ok-1',
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: expect.any(String), SenderId: ACCOUNT },
      messageAttributes: { n: { stringValue: '1', stringListValues: [], binaryListValues: [], dataType: 'Number' } },
      md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/),
      md5OfMessageAttributes: expect.stringMatching(/^[0-9a-f]{32}$/),
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn('tasks'),
      awsRegion: REGION,
    });
    expect(remaining).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(letters.map((m) => [m.Body, m.Attributes?.DeadLetterQueueSourceArn])).toEqual([
      ['fail-2', queueArn('tasks')],
    ]);
  }, 30_000);
});
