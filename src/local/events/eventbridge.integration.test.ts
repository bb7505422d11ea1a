import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  EventBridgeClient,
  ListEventBusesCommand,
  PutEventsCommand,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalCredentials } from '../iam/credentials';
import type { PolicyDocument } from '../iam/policy';
import { type Delivery, LocalEventBridge } from './bus';
import type { EventBuses } from './buses';
import { parseEventPattern } from './pattern';
import { type LocalEventsServer, startLocalEventsServer } from './server';

/**
 * The real EventBridge client against the local endpoint: events go to the
 * default and a custom bus, only matching rules deliver (with the envelope
 * and the target's input transformer), EventBridge's own errors, and a caller
 * is authenticated (SigV4) and authorized by its role's policies.
 */

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const PUBLISHER = `arn:aws:iam::${ACCOUNT}:role/publisherRole`;
const OUTSIDER = `arn:aws:iam::${ACCOUNT}:role/outsiderRole`;
const POLICIES = new Map<string, PolicyDocument[]>([
  [
    PUBLISHER,
    [
      {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'events:PutEvents',
            Resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/orders`,
          },
        ],
      },
    ],
  ],
  [OUTSIDER, [{ Statement: [{ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: '*' }] }]],
]);

const target = (functionId: string, extra: Partial<Delivery['target']> = {}): Delivery['target'] => ({
  id: functionId,
  functionId,
  transform: {},
  maximumRetryAttempts: 185,
  maximumEventAgeMs: 86_400_000,
  ...extra,
});

const CONFIG: EventBuses = {
  buses: new Set(['default', 'orders']),
  rules: [
    {
      logicalId: 'BigOrders',
      name: 'big-orders',
      arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/orders/big-orders`,
      bus: 'orders',
      pattern: parseEventPattern(JSON.stringify({ source: ['shop'], detail: { total: [{ numeric: ['>=', 100] }] } })),
      enabled: true,
      targets: [
        target('notifier'),
        target('summary', {
          transform: {
            inputTransformer: {
              inputPathsMap: { total: '$.detail.total', kind: '$.detail-type' },
              inputTemplate: '{"line": "<kind>: <total>", "total": <total>, "rule": "<aws.events.rule-name>"}',
            },
          },
        }),
      ],
    },
    {
      logicalId: 'Anything',
      name: 'anything-on-default',
      arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/anything-on-default`,
      bus: 'default',
      pattern: parseEventPattern(JSON.stringify({ source: [{ prefix: '' }] })),
      enabled: true,
      targets: [target('auditor')],
    },
    {
      logicalId: 'Off',
      name: 'off',
      arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/orders/off`,
      bus: 'orders',
      pattern: parseEventPattern(JSON.stringify({ source: ['shop'] })),
      enabled: false,
      targets: [target('never')],
    },
  ],
};

let dir: string;
let credentials: LocalCredentials;
let server: LocalEventsServer;
const deliveries: Delivery[] = [];
const clients: EventBridgeClient[] = [];

const clientAs = (credential: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) => {
  const client = new EventBridgeClient({
    endpoint: server.url,
    region: REGION,
    credentials: credential,
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'local-eventbridge-'));
  credentials = new LocalCredentials({
    file: join(dir, 'admin-credentials.json'),
    region: REGION,
    accountId: ACCOUNT,
    policies: () => POLICIES,
  });
  const bridge = new LocalEventBridge({
    account: { region: REGION, accountId: ACCOUNT },
    config: () => CONFIG,
    deliver: (delivery) => deliveries.push(delivery),
  });
  server = await startLocalEventsServer({
    bridge,
    verify: credentials.verify,
    authorize: credentials.authorize,
    deniedMessage: (principal, action, resource) =>
      credentials.deniedMessage(principal, action, resource, 'ImplicitDeny'),
  });
});

beforeEach(() => {
  deliveries.length = 0;
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the local EventBridge', () => {
  it('delivers a matching event on a custom bus to each target, with the envelope EventBridge builds', async () => {
    // Prepare
    const client = clientAs(credentials.forFunction('publisher', PUBLISHER));
    // Act
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'orders',
            Source: 'shop',
            DetailType: 'Order Placed',
            Detail: JSON.stringify({ total: 120, id: 'o-1' }),
            Resources: ['arn:aws:shop:::order/o-1'],
            Time: new Date('2026-12-01T10:00:00.250Z'),
          },
          // Below the rule's threshold: accepted, delivered nowhere.
          { EventBusName: 'orders', Source: 'shop', DetailType: 'Order Placed', Detail: '{"total": 5}' },
        ],
      }),
    );
    // Assess
    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries?.map((e) => typeof e.EventId)).toEqual(['string', 'string']);
    expect(deliveries.map((d) => [d.rule.name, d.target.functionId])).toEqual([
      ['big-orders', 'notifier'],
      ['big-orders', 'summary'],
    ]);
    expect(deliveries[0]?.payload).toEqual({
      version: '0',
      id: result.Entries?.[0]?.EventId,
      'detail-type': 'Order Placed',
      source: 'shop',
      account: ACCOUNT,
      time: '2026-12-01T10:00:00Z',
      region: REGION,
      resources: ['arn:aws:shop:::order/o-1'],
      detail: { total: 120, id: 'o-1' },
    });
    expect(deliveries[1]?.payload).toEqual({ line: 'Order Placed: 120', total: 120, rule: 'big-orders' });
  });

  it('puts to the default bus when no bus is named, and by ARN', async () => {
    // Prepare
    const client = clientAs(credentials.admin);
    // Act
    await client.send(new PutEventsCommand({ Entries: [{ Source: 'app', DetailType: 'Ping', Detail: '{}' }] }));
    await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/orders`,
            Source: 'shop',
            DetailType: 'Order Placed',
            Detail: '{"total": 300}',
          },
        ],
      }),
    );
    // Assess
    expect(deliveries.map((d) => [d.rule.name, d.target.functionId])).toEqual([
      ['anything-on-default', 'auditor'],
      ['big-orders', 'notifier'],
      ['big-orders', 'summary'],
    ]);
  });

  it("reports each bad entry with EventBridge's error code and still puts the others", async () => {
    // Prepare
    const client = clientAs(credentials.admin);
    // Act
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          { DetailType: 'x', Detail: '{}' },
          { Source: 'app', Detail: '{}' },
          { Source: 'app', DetailType: 'x' },
          { Source: 'app', DetailType: 'x', Detail: '[1, 2]' },
          { Source: 'app', DetailType: 'x', Detail: '{not json' },
          { Source: 'aws.s3', DetailType: 'x', Detail: '{}' },
          { Source: 'app', DetailType: 'ok', Detail: '{}' },
        ],
      }),
    );
    // Assess
    expect(result.FailedEntryCount).toBe(6);
    expect(result.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'InvalidArgument',
      'InvalidArgument',
      'InvalidArgument',
      'MalformedDetail',
      'MalformedDetail',
      'NotAuthorizedForSourceException',
      'ok',
    ]);
    expect(result.Entries?.[0]?.ErrorMessage).toBe(
      'Parameter Source is not valid. Reason: Source is a required argument.',
    );
    expect(deliveries).toHaveLength(1);
  });

  it('refuses a request with no entries, more than 10, or more than 256 KB, as a ValidationException', async () => {
    // Prepare
    const client = clientAs(credentials.admin);
    const entry = { Source: 'app', DetailType: 'x', Detail: '{}' };
    // Act / Assess
    await expect(client.send(new PutEventsCommand({ Entries: [] }))).rejects.toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(client.send(new PutEventsCommand({ Entries: Array(11).fill(entry) }))).rejects.toThrow(
      /less than or equal to 10/,
    );
    const big = { ...entry, Detail: JSON.stringify({ text: 'x'.repeat(130 * 1024) }) };
    await expect(client.send(new PutEventsCommand({ Entries: [big, big] }))).rejects.toThrow(/over the limit/);
    expect(deliveries).toHaveLength(0);
  });

  it('tests an event pattern, and refuses an invalid one', async () => {
    // Prepare
    const client = clientAs(credentials.admin);
    const event = JSON.stringify({
      id: '1',
      account: ACCOUNT,
      source: 'shop',
      time: '2026-12-01T10:00:00Z',
      region: REGION,
      'detail-type': 'Order Placed',
      resources: [],
      detail: { state: 'PAID' },
    });
    // Act
    const yes = await client.send(
      new TestEventPatternCommand({ Event: event, EventPattern: '{"detail": {"state": [{"anything-but": "NEW"}]}}' }),
    );
    const no = await client.send(new TestEventPatternCommand({ Event: event, EventPattern: '{"source": ["bank"]}' }));
    // Assess
    expect([yes.Result, no.Result]).toEqual([true, false]);
    await expect(
      client.send(new TestEventPatternCommand({ Event: event, EventPattern: '{"source": "shop"}' })),
    ).rejects.toMatchObject({ name: 'InvalidEventPatternException' });
    const buses = await client.send(new ListEventBusesCommand({}));
    expect(buses.EventBuses?.map((b) => b.Name)).toEqual(['default', 'orders']);
  });

  it('refuses an unsigned request, a bad signature, and a role whose policies do not allow the bus', async () => {
    // Prepare
    const publisher = clientAs(credentials.forFunction('publisher', PUBLISHER));
    const outsider = clientAs(credentials.forFunction('outsider', OUTSIDER));
    const forged = clientAs({ ...credentials.admin, secretAccessKey: 'not-the-secret' });
    const entry = { Source: 'app', DetailType: 'x', Detail: '{}' };
    // Act
    const unsigned = await fetch(server.url, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ Entries: [entry] }),
    });
    // Assess
    expect(unsigned.status).toBeGreaterThanOrEqual(400);
    expect(unsigned.status).toBeLessThan(500);
    expect(await unsigned.json()).toMatchObject({
      __type: expect.stringMatching(/MissingAuthenticationToken|IncompleteSignature/),
    });
    await expect(forged.send(new PutEventsCommand({ Entries: [entry] }))).rejects.toMatchObject({
      name: expect.stringMatching(/SignatureDoesNotMatch|InvalidSignature/),
    });
    // Allowed on the orders bus only: the default bus is denied, with IAM's message.
    await expect(publisher.send(new PutEventsCommand({ Entries: [entry] }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining(
        `events:PutEvents on resource: arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`,
      ),
    });
    await expect(
      outsider.send(new PutEventsCommand({ Entries: [{ ...entry, EventBusName: 'orders' }] })),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(
      publisher.send(new TestEventPatternCommand({ Event: '{}', EventPattern: '{}' })),
    ).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
    expect(deliveries).toHaveLength(0);
  });

  it('answers an unknown operation and bad JSON with its own errors, and keeps serving', async () => {
    // Act
    const unknown = await fetch(server.url, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSEvents.PutRule' },
      body: '{}',
    });
    const client = clientAs(credentials.admin);
    const after = await client.send(
      new PutEventsCommand({ Entries: [{ Source: 'app', DetailType: 'x', Detail: '{}' }] }),
    );
    // Assess
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });
    expect(after.FailedEntryCount).toBe(0);
  });

  it('answers signed requests with wrong types, bad JSON or a huge body with a 4xx in its format, and keeps serving', async () => {
    // Prepare: each body signed with the SDK's own signer, as the admin.
    const signedPost = async (body: string) => {
      const target = new URL(server.url);
      const signer = new SignatureV4({
        credentials: credentials.admin,
        region: REGION,
        service: 'events',
        sha256: Sha256,
      });
      const request = await signer.sign({
        method: 'POST',
        protocol: 'http:',
        hostname: target.hostname,
        port: Number(target.port),
        path: '/',
        headers: {
          host: target.host,
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'AWSEvents.PutEvents',
        },
        body,
      });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(request.headers)) headers[k] = String(v);
      return fetch(server.url, { method: 'POST', headers, body });
    };
    const bodies = [
      '{"Entries": "x"}',
      '{"Entries": [1, 2]}',
      '{"Entries": null}',
      '[]',
      '{not json',
      '{"Entries": [{"Source": 7, "DetailType": [], "Detail": {"a": 1}, "Resources": "r", "Time": "later"}]}',
      '{"Entries": [{"Source": "app", "DetailType": "x", "Detail": "{}", "Time": "not a time"}]}',
      JSON.stringify({ Entries: [{ Source: 'app', DetailType: 'x', Detail: 'y'.repeat(1024 * 1024) }] }),
    ];
    // Act
    const answers = [];
    for (const body of bodies) {
      const response = await signedPost(body);
      answers.push({ status: response.status, body: await response.json() });
    }
    const client = clientAs(credentials.admin);
    const after = await client.send(
      new PutEventsCommand({ Entries: [{ Source: 'app', DetailType: 'x', Detail: '{}' }] }),
    );
    // Assess: request-wide errors are 4xx with __type; an entry's own errors come back in its result.
    for (const answer of answers) {
      if (answer.status === 200) expect(answer.body).toMatchObject({ FailedEntryCount: 1 });
      else {
        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
        expect(answer.body).toMatchObject({ __type: expect.any(String), message: expect.any(String) });
      }
    }
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 400, 400, 200, 200, 413]);
    expect(after.FailedEntryCount).toBe(0);
    expect(deliveries).toHaveLength(1);
  });
});
