import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PinpointClient, SendMessagesCommand } from '@aws-sdk/client-pinpoint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeviceItem, deliverMessage, type PushDependencies } from '../../../amplify/functions/push/core';
import { LocalCredentials } from '../iam/credentials';
import type { PolicyDocument } from '../iam/policy';
import { Outbox } from '../outbox';
import { type LocalPush, startLocalPush } from './server';

const APP_ID = 'localpushapp';
const outbox = new Outbox();
let push: LocalPush;
let client: PinpointClient;

const MESSAGES = `arn:aws:mobiletargeting:us-east-1:000000000000:apps/${APP_ID}/messages`;
const PUSH_ROLE = 'arn:aws:iam::000000000000:role/pushRole';
/** The push function's role policy, as the template writes it. */
const POLICIES = new Map<string, PolicyDocument[]>([
  [PUSH_ROLE, [{ Statement: { Effect: 'Allow', Action: 'mobiletargeting:SendMessages', Resource: MESSAGES } }]],
]);
const dir = mkdtempSync(join(tmpdir(), 'local-push-'));
const credentials = new LocalCredentials({
  file: join(dir, 'admin-credentials.json'),
  region: 'us-east-1',
  accountId: '000000000000',
  policies: () => POLICIES,
});
const clientWith = (creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) =>
  new PinpointClient({ endpoint: push.url, region: 'us-east-1', credentials: creds });

beforeAll(async () => {
  push = await startLocalPush({
    outbox,
    applicationIds: [APP_ID],
    access: {
      region: 'us-east-1',
      accountId: '000000000000',
      verify: credentials.verify,
      authorize: credentials.authorize,
      arnOf: (p) => credentials.arnOf(p),
    },
  });
  // The push function signs with its own role's credentials.
  client = clientWith(credentials.forFunction('push', PUSH_ROLE));
});

afterAll(async () => {
  client.destroy();
  await push.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('local SendMessages with the real Pinpoint client and the push function core', () => {
  it('delivers to every valid device, records each push, and removes the tokens the service reports invalid', async () => {
    // Prepare
    const devices: DeviceItem[] = [
      { id: 'd1', token: 'a'.repeat(64), platform: 'APNS', _version: 1 },
      { id: 'd2', token: 'fcm-token-valid', platform: 'FCM', _version: 1 },
      { id: 'd3', token: 'fcm-token-gone', platform: 'FCM', _version: 1 },
    ];
    push.markInvalid('fcm-token-gone');
    const removed: string[] = [];
    const deps: PushDependencies = {
      findDevices: async () => devices,
      send: async (request) => (await client.send(new SendMessagesCommand(request))).MessageResponse?.Result ?? {},
      removeDevice: async ({ id }) => {
        removed.push(id);
        return true;
      },
    };
    // Act
    const report = await deliverMessage(
      { id: 'm1', sender: 'sub-1', recipient: 'sub-2::sub-2', body: '🙂'.repeat(3000) },
      APP_ID,
      deps,
    );
    // Assess
    expect(report).toMatchObject({ addressed: 3, delivered: 2, removedDevices: ['d3'], failed: [] });
    expect(removed).toEqual(['d3']);
    const pushes = outbox.list().filter((m) => m.channel === 'push');
    expect(pushes.map((m) => m.to).sort()).toEqual(['a'.repeat(64), 'fcm-token-valid']);
    for (const message of pushes) {
      const payload =
        typeof message.body === 'object' && message.body !== null && 'payload' in message.body
          ? message.body.payload
          : null;
      expect(payload).not.toBeNull();
      expect(Buffer.byteLength(JSON.stringify(payload))).toBeLessThanOrEqual(4096);
    }
  });

  it('refuses a payload over 4 KB, per address', async () => {
    const response = await client.send(
      new SendMessagesCommand({
        ApplicationId: APP_ID,
        MessageRequest: {
          Addresses: { 'big-one': { ChannelType: 'APNS' } },
          MessageConfiguration: { APNSMessage: { Title: 'x', Body: 'x'.repeat(5000) } },
        },
      }),
    );
    expect(response.MessageResponse?.Result?.['big-one']).toMatchObject({
      DeliveryStatus: 'PERMANENT_FAILURE',
      StatusCode: 400,
    });
    expect(outbox.list('big-one')).toEqual([]);
  });

  it('answers an unknown application and an empty request with AWS errors', async () => {
    await expect(
      client.send(
        new SendMessagesCommand({
          ApplicationId: 'nope',
          MessageRequest: { Addresses: { t: { ChannelType: 'GCM' } }, MessageConfiguration: {} },
        }),
      ),
    ).rejects.toMatchObject({ name: 'NotFoundException' });
    await expect(
      client.send(
        new SendMessagesCommand({ ApplicationId: APP_ID, MessageRequest: { Addresses: {}, MessageConfiguration: {} } }),
      ),
    ).rejects.toMatchObject({ name: 'BadRequestException' });
  });

  it('refuses unsigned requests, unknown keys and a role without SendMessages, and sends nothing', async () => {
    const before = outbox.list().length;
    const request = {
      ApplicationId: APP_ID,
      MessageRequest: {
        Addresses: { 'fcm-token-valid': { ChannelType: 'GCM' as const } },
        MessageConfiguration: { GCMMessage: { Title: 'x', Body: 'y' } },
      },
    };
    const unsigned = await fetch(`${push.url}/v1/apps/${APP_ID}/messages`, { method: 'POST', body: '{}' });
    expect(unsigned.status).toBe(403);
    const forged = clientWith({ accessKeyId: 'local', secretAccessKey: 'local' });
    await expect(forged.send(new SendMessagesCommand(request))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    const other = clientWith(credentials.forFunction('other', 'arn:aws:iam::000000000000:role/otherRole'));
    await expect(other.send(new SendMessagesCommand(request))).rejects.toMatchObject({ name: 'ForbiddenException' });
    forged.destroy();
    other.destroy();
    expect(outbox.list()).toHaveLength(before);
  });
});
