import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCredentials } from '../iam/credentials';
import type { PolicyDocument } from '../iam/policy';
import { md5Hex, md5OfMessageAttributes } from './md5';
import { type QueueConfig, QueueEngine } from './queue';
import { type LocalSqs, startLocalSqs } from './server';
import { fileQueueStore } from './store';

/**
 * The local SQS through the real `@aws-sdk/client-sqs` (AWS JSON 1.0):
 * every operation, visibility, long polls, redrive, FIFO, the bad-input
 * matrix in SQS's own errors, SigV4 and IAM, and persistence across a
 * restart.
 */

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/senderRole`;
const arnOf = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const POLICIES = new Map<string, PolicyDocument[]>([
  [ROLE, [{ Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arnOf('jobs') }] }]],
]);

let dir: string;
let credentials: LocalCredentials;
let engine: QueueEngine;
let sqs: LocalSqs;
let admin: SQSClient;
let base: string;

const queue = (name: string, extra: Partial<QueueConfig> = {}): QueueConfig => ({
  name,
  arn: arnOf(name),
  url: `${base}/${ACCOUNT}/${name}`,
  fifo: name.endsWith('.fifo'),
  contentBasedDeduplication: false,
  visibilityTimeoutSeconds: 30,
  delaySeconds: 0,
  retentionSeconds: 345_600,
  maximumMessageSize: 1_048_576,
  receiveWaitTimeSeconds: 0,
  ...extra,
});

const queues = () => [
  queue('jobs'),
  queue('other'),
  queue('short', { visibilityTimeoutSeconds: 1 }),
  queue('work', { redrive: { deadLetterTargetArn: arnOf('work-dlq'), maxReceiveCount: 2 } }),
  queue('work-dlq'),
  queue('orders.fifo', { contentBasedDeduplication: true }),
  queue('scratch'),
];

const startServer = async (port = 0) => {
  engine = new QueueEngine(fileQueueStore(join(dir, 'sqs', 'queues.json')));
  sqs = await startLocalSqs({
    engine,
    port,
    region: REGION,
    accountId: ACCOUNT,
    verify: credentials.verify,
    authorize: credentials.authorize,
    deniedMessage: (principal, action, resource) =>
      credentials.deniedMessage(principal, action, resource, 'ImplicitDeny'),
  });
  base = sqs.url;
  engine.setQueues(queues());
};

const clientWith = (credential: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) =>
  new SQSClient({ endpoint: base, region: REGION, credentials: credential });

const urlOf = (name: string) => `${base}/${ACCOUNT}/${name}`;

/** Sends a body as it is, signed with the admin credential unless `unsigned`. */
const signedFetch = async (init: {
  path?: string;
  contentType: string;
  target?: string;
  body: string;
  unsigned?: boolean;
}) => {
  const url = new URL(base);
  const path = init.path ?? '/';
  let headers: Record<string, string> = {
    'content-type': init.contentType,
    host: url.host,
    ...(init.target ? { 'x-amz-target': init.target } : {}),
  };
  if (!init.unsigned) {
    const signer = new SignatureV4({ credentials: credentials.admin, region: REGION, service: 'sqs', sha256: Sha256 });
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path,
      headers,
      body: init.body,
    });
    headers = signed.headers;
  }
  return fetch(`${base}${path}`, { method: 'POST', headers, body: init.body });
};

const raw = async (init: { target?: string; body: string; unsigned?: boolean }) => {
  const response = await signedFetch({ ...init, contentType: 'application/x-amz-json-1.0' });
  return { status: response.status, headers: response.headers, body: await response.json() };
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'local-sqs-'));
  credentials = new LocalCredentials({
    file: join(dir, 'admin-credentials.json'),
    accountId: ACCOUNT,
    region: REGION,
    policies: () => POLICIES,
  });
  await startServer();
  admin = clientWith(credentials.admin);
});

afterAll(async () => {
  admin?.destroy();
  await sqs?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('local SQS operations', () => {
  it('lists queues, finds a queue URL and reports its attributes', async () => {
    // Act
    const listed = await admin.send(new ListQueuesCommand({ QueueNamePrefix: 'work' }));
    const url = await admin.send(new GetQueueUrlCommand({ QueueName: 'work' }));
    const attributes = await admin.send(
      new GetQueueAttributesCommand({ QueueUrl: url.QueueUrl, AttributeNames: ['All'] }),
    );
    // Assess
    expect(listed.QueueUrls).toEqual([urlOf('work'), urlOf('work-dlq')]);
    expect(url.QueueUrl).toBe(urlOf('work'));
    expect(attributes.Attributes).toMatchObject({
      QueueArn: arnOf('work'),
      VisibilityTimeout: '30',
      ApproximateNumberOfMessages: '0',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf('work-dlq'), maxReceiveCount: 2 }),
    });
  });

  it('sends and receives a message with its attributes and the MD5s SQS computes, then deletes it', async () => {
    // Prepare
    const MessageAttributes = {
      color: { DataType: 'String', StringValue: 'blue' },
      count: { DataType: 'Number', StringValue: '3' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
    };
    // Act
    const sent = await admin.send(
      new SendMessageCommand({ QueueUrl: urlOf('jobs'), MessageBody: 'hello ✓', MessageAttributes }),
    );
    const received = await admin.send(
      new ReceiveMessageCommand({
        QueueUrl: urlOf('jobs'),
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const message = received.Messages?.[0];
    await admin.send(new DeleteMessageCommand({ QueueUrl: urlOf('jobs'), ReceiptHandle: message?.ReceiptHandle }));
    const after = await admin.send(new ReceiveMessageCommand({ QueueUrl: urlOf('jobs') }));
    // Assess
    expect(sent.MD5OfMessageBody).toBe(md5Hex('hello ✓'));
    expect(sent.MD5OfMessageAttributes).toBe(md5OfMessageAttributes(MessageAttributes));
    expect(message).toMatchObject({
      MessageId: sent.MessageId,
      Body: 'hello ✓',
      MD5OfBody: md5Hex('hello ✓'),
      MD5OfMessageAttributes: sent.MD5OfMessageAttributes,
      Attributes: { ApproximateReceiveCount: '1', SenderId: ACCOUNT },
      MessageAttributes: {
        color: { DataType: 'String', StringValue: 'blue' },
        count: { DataType: 'Number', StringValue: '3' },
        blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
      },
    });
    expect(after.Messages).toBeUndefined();
  });

  it('sends and deletes in batches, reporting a bad entry without failing the others', async () => {
    // Act
    const sent = await admin.send(
      new SendMessageBatchCommand({
        QueueUrl: urlOf('scratch'),
        Entries: [
          { Id: 'a', MessageBody: 'one' },
          { Id: 'b', MessageBody: 'two', DelaySeconds: 901 },
          { Id: 'c', MessageBody: 'three' },
        ],
      }),
    );
    const received = await admin.send(
      new ReceiveMessageCommand({ QueueUrl: urlOf('scratch'), MaxNumberOfMessages: 10 }),
    );
    const deleted = await admin.send(
      new DeleteMessageBatchCommand({
        QueueUrl: urlOf('scratch'),
        Entries: [
          ...(received.Messages ?? []).map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle })),
          { Id: 'bad', ReceiptHandle: 'not-a-handle' },
        ],
      }),
    );
    // Assess
    expect(sent.Successful?.map((s) => s.Id)).toEqual(['a', 'c']);
    expect(sent.Failed).toEqual([
      expect.objectContaining({ Id: 'b', SenderFault: true, Code: 'InvalidParameterValue' }),
    ]);
    expect(received.Messages?.map((m) => m.Body).sort()).toEqual(['one', 'three']);
    expect(deleted.Successful?.map((s) => s.Id)).toEqual(['m0', 'm1']);
    expect(deleted.Failed).toEqual([expect.objectContaining({ Id: 'bad', Code: 'ReceiptHandleIsInvalid' })]);
  });

  it('hides a received message for its visibility timeout, and ChangeMessageVisibility shows it again', async () => {
    // Prepare
    await admin.send(new SendMessageCommand({ QueueUrl: urlOf('short'), MessageBody: 'v' }));
    // Act
    const first = await admin.send(new ReceiveMessageCommand({ QueueUrl: urlOf('short') }));
    const hidden = await admin.send(new ReceiveMessageCommand({ QueueUrl: urlOf('short') }));
    await new Promise((r) => setTimeout(r, 1100));
    const again = await admin.send(
      new ReceiveMessageCommand({ QueueUrl: urlOf('short'), MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    await admin.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: urlOf('short'),
        ReceiptHandle: again.Messages?.[0]?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const third = await admin.send(new ReceiveMessageCommand({ QueueUrl: urlOf('short'), VisibilityTimeout: 60 }));
    const stale = admin.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: urlOf('short'),
        ReceiptHandle: first.Messages?.[0]?.ReceiptHandle,
        VisibilityTimeout: 5,
      }),
    );
    // Assess
    expect(first.Messages).toHaveLength(1);
    expect(hidden.Messages).toBeUndefined();
    expect(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(third.Messages?.[0]?.Body).toBe('v');
    await expect(stale).rejects.toMatchObject({ name: 'MessageNotInflight', $metadata: { httpStatusCode: 400 } });
  });

  it('long-polls: answers as soon as a message arrives, and after WaitTimeSeconds when none does', async () => {
    // Act
    const started = Date.now();
    const waiting = admin.send(new ReceiveMessageCommand({ QueueUrl: urlOf('other'), WaitTimeSeconds: 10 }));
    setTimeout(() => void admin.send(new SendMessageCommand({ QueueUrl: urlOf('other'), MessageBody: 'late' })), 300);
    const received = await waiting;
    const answeredMs = Date.now() - started;
    const emptyStarted = Date.now();
    const empty = await admin.send(new ReceiveMessageCommand({ QueueUrl: urlOf('other'), WaitTimeSeconds: 1 }));
    const emptyMs = Date.now() - emptyStarted;
    // Assess
    expect(received.Messages?.[0]?.Body).toBe('late');
    expect(answeredMs).toBeGreaterThanOrEqual(250);
    expect(answeredMs).toBeLessThan(3000);
    expect(empty.Messages).toBeUndefined();
    expect(emptyMs).toBeGreaterThanOrEqual(950);
    expect(emptyMs).toBeLessThan(3000);
  });

  it('moves a message received maxReceiveCount times to the dead-letter queue', async () => {
    // Prepare
    const sent = await admin.send(new SendMessageCommand({ QueueUrl: urlOf('work'), MessageBody: 'poison' }));
    // Act
    const receives = [];
    for (let i = 0; i < 3; i++)
      receives.push(await admin.send(new ReceiveMessageCommand({ QueueUrl: urlOf('work'), VisibilityTimeout: 0 })));
    const dead = await admin.send(
      new ReceiveMessageCommand({ QueueUrl: urlOf('work-dlq'), MessageSystemAttributeNames: ['All'] }),
    );
    // Assess
    expect(receives.map((r) => r.Messages?.length ?? 0)).toEqual([1, 1, 0]);
    expect(dead.Messages?.[0]).toMatchObject({
      MessageId: sent.MessageId,
      Body: 'poison',
      Attributes: { DeadLetterQueueSourceArn: arnOf('work'), ApproximateReceiveCount: '1' },
    });
  });

  it('keeps FIFO order within a group, one group in flight at a time, and drops duplicates', async () => {
    // Act
    const first = await admin.send(
      new SendMessageCommand({ QueueUrl: urlOf('orders.fifo'), MessageBody: 'a1', MessageGroupId: 'a' }),
    );
    const duplicate = await admin.send(
      new SendMessageCommand({ QueueUrl: urlOf('orders.fifo'), MessageBody: 'a1', MessageGroupId: 'a' }),
    );
    await admin.send(
      new SendMessageCommand({ QueueUrl: urlOf('orders.fifo'), MessageBody: 'a2', MessageGroupId: 'a' }),
    );
    await admin.send(
      new SendMessageCommand({ QueueUrl: urlOf('orders.fifo'), MessageBody: 'b1', MessageGroupId: 'b' }),
    );
    const batch = await admin.send(
      new ReceiveMessageCommand({ QueueUrl: urlOf('orders.fifo'), MaxNumberOfMessages: 10 }),
    );
    const blocked = await admin.send(
      new ReceiveMessageCommand({ QueueUrl: urlOf('orders.fifo'), MaxNumberOfMessages: 10 }),
    );
    // Assess
    expect(duplicate.MessageId).toBe(first.MessageId);
    expect(first.SequenceNumber).toMatch(/^\d{20}$/);
    expect(batch.Messages?.map((m) => m.Body)).toEqual(['a1', 'a2', 'b1']);
    expect(blocked.Messages).toBeUndefined();
  });

  it('purges a queue once a minute', async () => {
    // Prepare
    await admin.send(new SendMessageCommand({ QueueUrl: urlOf('scratch'), MessageBody: 'x' }));
    // Act
    await admin.send(new PurgeQueueCommand({ QueueUrl: urlOf('scratch') }));
    const again = await admin.send(new PurgeQueueCommand({ QueueUrl: urlOf('scratch') })).catch((e: unknown) => e);
    const after = await admin.send(
      new GetQueueAttributesCommand({ QueueUrl: urlOf('scratch'), AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    // Assess
    expect(again).toMatchObject({ name: 'PurgeQueueInProgress', $metadata: { httpStatusCode: 403 } });
    expect(after.Attributes).toEqual({ ApproximateNumberOfMessages: '0' });
  });
});

describe('local SQS refusals', () => {
  it("answers bad input with SQS's own errors, keeps serving, and loses nothing", async () => {
    // Prepare
    await admin.send(new SendMessageCommand({ QueueUrl: urlOf('other'), MessageBody: 'canary' }));
    const cases: Array<[Promise<unknown>, string, number]> = [
      [admin.send(new SendMessageCommand({ QueueUrl: urlOf('nope'), MessageBody: 'x' })), 'QueueDoesNotExist', 400],
      [admin.send(new GetQueueUrlCommand({ QueueName: 'nope' })), 'QueueDoesNotExist', 400],
      [admin.send(new SendMessageCommand({ QueueUrl: urlOf('jobs'), MessageBody: '' })), 'MissingParameter', 400],
      [
        admin.send(new SendMessageCommand({ QueueUrl: urlOf('jobs'), MessageBody: 'a\u0001b' })),
        'InvalidMessageContents',
        400,
      ],
      [
        admin.send(
          new SendMessageCommand({
            QueueUrl: urlOf('jobs'),
            MessageBody: 'x',
            MessageAttributes: { a: { DataType: 'Text', StringValue: 'v' } },
          }),
        ),
        'InvalidParameterValue',
        400,
      ],
      [
        admin.send(new SendMessageCommand({ QueueUrl: urlOf('jobs'), MessageBody: 'x'.repeat(1_048_577) })),
        'InvalidParameterValue',
        400,
      ],
      [
        admin.send(new SendMessageCommand({ QueueUrl: urlOf('orders.fifo'), MessageBody: 'x' })),
        'MissingParameter',
        400,
      ],
      [
        admin.send(new ReceiveMessageCommand({ QueueUrl: urlOf('jobs'), MaxNumberOfMessages: 11 })),
        'InvalidParameterValue',
        400,
      ],
      [
        admin.send(new ReceiveMessageCommand({ QueueUrl: urlOf('jobs'), WaitTimeSeconds: 21 })),
        'InvalidParameterValue',
        400,
      ],
      [
        admin.send(new DeleteMessageCommand({ QueueUrl: urlOf('jobs'), ReceiptHandle: 'garbage' })),
        'ReceiptHandleIsInvalid',
        404,
      ],
      [admin.send(new SendMessageBatchCommand({ QueueUrl: urlOf('jobs'), Entries: [] })), 'EmptyBatchRequest', 400],
      [
        admin.send(
          new SendMessageBatchCommand({
            QueueUrl: urlOf('jobs'),
            Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x' })),
          }),
        ),
        'TooManyEntriesInBatchRequest',
        400,
      ],
      [
        admin.send(
          new SendMessageBatchCommand({
            QueueUrl: urlOf('jobs'),
            Entries: [
              { Id: 'same', MessageBody: 'x' },
              { Id: 'same', MessageBody: 'y' },
            ],
          }),
        ),
        'BatchEntryIdsNotDistinct',
        400,
      ],
      [
        admin.send(
          new SendMessageBatchCommand({ QueueUrl: urlOf('jobs'), Entries: [{ Id: 'no spaces', MessageBody: 'x' }] }),
        ),
        'InvalidBatchEntryId',
        400,
      ],
      [
        admin.send(new GetQueueAttributesCommand({ QueueUrl: urlOf('jobs'), AttributeNames: JSON.parse('["Nope"]') })),
        'InvalidAttributeName',
        400,
      ],
      [admin.send(new CreateQueueCommand({ QueueName: 'new' })), 'UnsupportedOperation', 400],
    ];
    // Act
    const outcomes = await Promise.all(
      cases.map(([call]) =>
        call.then(
          () => undefined,
          (error: { name: string; $metadata?: { httpStatusCode?: number } }) => error,
        ),
      ),
    );
    const badJson = await raw({ target: 'AmazonSQS.SendMessage', body: '{' });
    const unknown = await raw({ target: 'AmazonSQS.Frobnicate', body: '{}' });
    const canary = await admin.send(new ReceiveMessageCommand({ QueueUrl: urlOf('other') }));
    // Assess
    expect(outcomes.map((o) => [o?.name, o?.$metadata?.httpStatusCode])).toEqual(
      cases.map(([, name, status]) => [name, status]),
    );
    expect(badJson).toMatchObject({ status: 400, body: { __type: 'com.amazon.coral.service#SerializationException' } });
    expect(unknown).toMatchObject({ status: 400, body: { __type: 'com.amazonaws.sqs#InvalidAction' } });
    expect(unknown.headers.get('x-amzn-query-error')).toBe('InvalidAction;Sender');
    expect(canary.Messages?.[0]?.Body).toBe('canary');
    await admin.send(
      new DeleteMessageCommand({ QueueUrl: urlOf('other'), ReceiptHandle: canary.Messages?.[0]?.ReceiptHandle }),
    );
  });

  it('refuses unsigned and badly signed requests, and what the role does not allow', async () => {
    // Prepare
    const sender = clientWith(credentials.forFunction('sender', ROLE));
    const wrong = clientWith({ ...credentials.admin, secretAccessKey: 'not-the-secret' });
    const stranger = clientWith({ accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'x' });
    // Act
    const unsigned = await raw({ target: 'AmazonSQS.ListQueues', body: '{}', unsigned: true });
    const allowed = await sender.send(
      new SendMessageCommand({ QueueUrl: urlOf('jobs'), MessageBody: 'from a function' }),
    );
    const outcomes = await Promise.all(
      [
        sender.send(new SendMessageCommand({ QueueUrl: urlOf('other'), MessageBody: 'x' })),
        sender.send(new ReceiveMessageCommand({ QueueUrl: urlOf('jobs') })),
        wrong.send(new ListQueuesCommand({})),
        stranger.send(new ListQueuesCommand({})),
      ].map((p) =>
        p.then(
          () => undefined,
          (e: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => e,
        ),
      ),
    );
    // Assess
    expect(unsigned.status).toBe(403);
    expect(unsigned.body.__type).toMatch(/MissingAuthenticationToken/);
    expect(allowed.MessageId).toBeDefined();
    expect(outcomes.map((o) => [o?.name, o?.$metadata?.httpStatusCode])).toEqual([
      ['AccessDenied', 403],
      ['AccessDenied', 403],
      ['SignatureDoesNotMatch', 403],
      ['InvalidClientTokenId', 403],
    ]);
    expect(outcomes[1]?.message).toContain('is not authorized to perform: sqs:receivemessage');
    sender.destroy();
    wrong.destroy();
    stranger.destroy();
  });

  it('keeps every message across a restart', async () => {
    // Prepare
    const sent = await admin.send(new SendMessageCommand({ QueueUrl: urlOf('scratch'), MessageBody: 'kept' }));
    const port = Number(new URL(base).port);
    // Act
    await sqs.close();
    await startServer(port);
    const received = await admin.send(new ReceiveMessageCommand({ QueueUrl: urlOf('scratch') }));
    // Assess
    expect(received.Messages?.[0]).toMatchObject({ MessageId: sent.MessageId, Body: 'kept' });
  });
});

describe('the query protocol', () => {
  const form = (fields: Record<string, string>) => new URLSearchParams({ Version: '2012-11-05', ...fields }).toString();
  const query = async (fields: Record<string, string>, options: { path?: string; unsigned?: boolean } = {}) => {
    const response = await signedFetch({
      contentType: 'application/x-www-form-urlencoded',
      body: form(fields),
      ...options,
    });
    return { status: response.status, xml: await response.text() };
  };

  it('sends, receives and deletes with the same operations, answering in XML', async () => {
    // Act
    const sent = await query({
      Action: 'SendMessage',
      QueueUrl: urlOf('scratch'),
      MessageBody: 'by query',
      'MessageAttribute.1.Name': 'color',
      'MessageAttribute.1.Value.DataType': 'String',
      'MessageAttribute.1.Value.StringValue': 'red',
    });
    // The queue named by the request's path, as older clients address it.
    const received = await query(
      { Action: 'ReceiveMessage', 'AttributeName.1': 'All', 'MessageAttributeName.1': 'All' },
      { path: `/${ACCOUNT}/scratch` },
    );
    const handle = /<ReceiptHandle>([^<]+)<\/ReceiptHandle>/.exec(received.xml)?.[1] ?? '';
    const deleted = await query({ Action: 'DeleteMessage', QueueUrl: urlOf('scratch'), ReceiptHandle: handle });
    const after = await query({ Action: 'GetQueueAttributes', QueueUrl: urlOf('scratch'), 'AttributeName.1': 'All' });
    // Assess
    expect(sent.status).toBe(200);
    expect(sent.xml).toContain(`<MD5OfMessageBody>${md5Hex('by query')}</MD5OfMessageBody>`);
    expect(sent.xml).toContain(
      `<MD5OfMessageAttributes>${md5OfMessageAttributes({ color: { DataType: 'String', StringValue: 'red' } })}</MD5OfMessageAttributes>`,
    );
    expect(received.xml).toMatch(
      /^<ReceiveMessageResponse xmlns="http:\/\/queue\.amazonaws\.com\/doc\/2012-11-05\/"><ReceiveMessageResult><Message>/,
    );
    expect(received.xml).toContain('<Body>by query</Body>');
    expect(received.xml).toContain('<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>');
    expect(received.xml).toContain(
      '<MessageAttribute><Name>color</Name><Value><StringValue>red</StringValue><DataType>String</DataType></Value></MessageAttribute>',
    );
    expect(deleted).toMatchObject({
      status: 200,
      xml: expect.stringMatching(/^<DeleteMessageResponse[^>]*><ResponseMetadata>/),
    });
    expect(after.xml).toContain('<Attribute><Name>ApproximateNumberOfMessages</Name><Value>0</Value></Attribute>');
  });

  it("refuses in SQS's XML errors", async () => {
    // Act
    const missing = await query({ Action: 'GetQueueUrl', QueueName: 'nope' });
    const unsigned = await query({ Action: 'ListQueues' }, { unsigned: true });
    const unknown = await query({ Action: 'Frobnicate' });
    // Assess
    expect(missing.status).toBe(400);
    expect(missing.xml).toContain(
      '<Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified queue does not exist.</Message>',
    );
    expect(unsigned.status).toBe(403);
    expect(unsigned.xml).toContain('<Code>MissingAuthenticationToken</Code>');
    expect(unknown).toMatchObject({ status: 400, xml: expect.stringContaining('<Code>InvalidAction</Code>') });
  });
});
