import type { EndpointMessageResult, SendMessagesRequest } from '@aws-sdk/client-pinpoint';
import { describe, expect, it } from 'vitest';
import { RecordError } from '../shared/errors';
import { type Item, streamRecord } from '../shared/test-events';
import {
  buildSendMessagesRequest,
  type DeviceItem,
  deliverMessage,
  fitBody,
  isInvalidToken,
  type MessageItem,
  PUSH_PAYLOAD_MAX_BYTES,
  type PushDependencies,
  payloadBytes,
  toDevice,
  toMessage,
  truncateUtf8,
} from './core';

const messageItem = (overrides: Item = {}): Item => ({
  id: 'msg-1',
  __typename: 'Message',
  sender: 'sub-1::alice',
  recipient: 'sub-2::bob',
  body: 'Hello Bob',
  createdAt: '2024-01-01T10:00:00.000Z',
  _version: 1,
  ...overrides,
});

const message = (overrides: Partial<MessageItem> = {}): MessageItem => ({
  id: 'msg-1',
  sender: 'sub-1::alice',
  recipient: 'sub-2::bob',
  body: 'Hello Bob',
  ...overrides,
});

const device = (id: string, token: string, platform: DeviceItem['platform'] = 'APNS'): DeviceItem => ({
  id,
  token,
  platform,
  _version: 1,
});

const result = (overrides: Partial<EndpointMessageResult> = {}): EndpointMessageResult => ({
  DeliveryStatus: 'SUCCESSFUL',
  StatusCode: 200,
  ...overrides,
});

const fakeDependencies = (
  devices: DeviceItem[],
  respond: (request: SendMessagesRequest) => Promise<Record<string, EndpointMessageResult>>,
) => {
  const lookedUp: string[] = [];
  const sent: SendMessagesRequest[] = [];
  const removed: string[] = [];
  const deps: PushDependencies = {
    findDevices: async (owner) => {
      lookedUp.push(owner);
      return devices;
    },
    send: (request) => {
      sent.push(request);
      return respond(request);
    },
    removeDevice: async (found) => {
      removed.push(found.id);
      return true;
    },
  };
  return { deps, lookedUp, sent, removed };
};

const utf8Bytes = (value: string): number => Buffer.byteLength(value, 'utf8');

/** Whether a string survives a UTF-8 round trip, i.e. has no lone surrogate from a split character. */
const isWholeUtf8 = (value: string): boolean => Buffer.from(value, 'utf8').toString('utf8') === value;

describe('toMessage', () => {
  it('reads the message of an INSERT', () => {
    // Prepare
    const record = streamRecord({ eventName: 'INSERT', newImage: messageItem(), seq: '1' });

    // Act & Assess
    expect(toMessage(record)).toEqual({
      id: 'msg-1',
      sender: 'sub-1::alice',
      recipient: 'sub-2::bob',
      body: 'Hello Bob',
    });
  });

  it.each(['MODIFY', 'REMOVE'] as const)('rejects a %s', (eventName) => {
    // Prepare
    const record = streamRecord({ eventName, newImage: messageItem(), oldImage: messageItem(), seq: '7' });

    // Act & Assess
    expect(() => toMessage(record)).toThrow(RecordError);
    expect(() => toMessage(record)).toThrow(`record 7: expected an INSERT with a new image, got ${eventName}`);
  });

  it('rejects an INSERT without a new image', () => {
    // Act & Assess
    expect(() => toMessage(streamRecord({ eventName: 'INSERT', seq: '8' }))).toThrow(/record 8: expected an INSERT/);
  });

  it.each(['id', 'sender', 'recipient', 'body'])('rejects a message without %s', (field) => {
    // Prepare
    const record = streamRecord({ eventName: 'INSERT', newImage: messageItem({ [field]: undefined }), seq: '9' });

    // Act & Assess
    expect(() => toMessage(record)).toThrow('record 9: message lacks id, sender, recipient or body');
  });

  it('rejects a message whose body is not a string', () => {
    // Prepare
    const record = streamRecord({ eventName: 'INSERT', newImage: messageItem({ body: 42 }), seq: '10' });

    // Act & Assess
    expect(() => toMessage(record)).toThrow(RecordError);
  });
});

describe('toDevice', () => {
  it.each(['APNS', 'APNS_SANDBOX', 'FCM'] as const)('parses a %s device', (platform) => {
    // Act & Assess
    expect(toDevice({ id: 'd1', token: 'tok', platform, owner: 'sub-2::bob', _version: 4 })).toEqual({
      id: 'd1',
      token: 'tok',
      platform,
      _version: 4,
    });
  });

  it('skips a soft-deleted device', () => {
    // Act & Assess
    expect(toDevice({ id: 'd1', token: 'tok', platform: 'APNS', _deleted: true })).toBeNull();
  });

  it('keeps a device whose _deleted flag is false', () => {
    // Act & Assess
    expect(toDevice({ id: 'd1', token: 'tok', platform: 'FCM', _deleted: false, _version: 1 })).toEqual(
      device('d1', 'tok', 'FCM'),
    );
  });

  it.each([
    ['an unknown platform', { id: 'd1', token: 'tok', platform: 'WNS' }],
    ['a lower-case platform', { id: 'd1', token: 'tok', platform: 'apns' }],
    ['an empty token', { id: 'd1', token: '', platform: 'APNS' }],
    ['no token', { id: 'd1', platform: 'APNS' }],
    ['no id', { token: 'tok', platform: 'APNS' }],
    ['no _version (not written through the versioned API)', { id: 'd1', token: 'tok', platform: 'APNS' }],
  ])('skips a device with %s', (_label, item) => {
    // Act & Assess
    expect(toDevice(item)).toBeNull();
  });
});

describe('truncateUtf8', () => {
  it('returns a string that fits unchanged', () => {
    // Act & Assess
    expect(truncateUtf8('héllo 😀', 100)).toBe('héllo 😀');
    expect(truncateUtf8('abc', 3)).toBe('abc');
  });

  it('never splits an emoji', () => {
    // Prepare: each emoji is 4 bytes (a surrogate pair in UTF-16).
    const emoji = '😀🎉🚀';

    // Act
    const results = [0, 1, 3, 4, 5, 7, 8, 11].map((max) => truncateUtf8(emoji, max));

    // Assess
    expect(results).toEqual(['', '', '', '😀', '😀', '😀', '😀🎉', '😀🎉']);
    for (const value of results) expect(isWholeUtf8(value)).toBe(true);
  });

  it('never splits an accented character', () => {
    // Prepare: é and ü are 2 bytes each, € is 3.
    const text = 'aé€ü';

    // Act
    const results = [1, 2, 3, 4, 5, 6, 7].map((max) => truncateUtf8(text, max));

    // Assess
    expect(results).toEqual(['a', 'a', 'aé', 'aé', 'aé', 'aé€', 'aé€']);
  });

  it('respects the byte limit on long mixed text', () => {
    // Prepare
    const text = 'Ça va? 😀 Ünïcödé €uro 你好 '.repeat(200);

    // Act & Assess
    for (const max of [1, 17, 255, 1000, 4093]) {
      const cut = truncateUtf8(text, max);
      expect(utf8Bytes(cut)).toBeLessThanOrEqual(max);
      // No room was wasted: the next character would not have fitted.
      const next = [...text.slice(cut.length)][0] ?? '';
      expect(utf8Bytes(cut) + utf8Bytes(next)).toBeGreaterThan(max);
      expect(text.startsWith(cut)).toBe(true);
      expect(isWholeUtf8(cut)).toBe(true);
    }
  });
});

describe('fitBody', () => {
  const data = { messageId: 'msg-1', sender: 'sub-1::alice' };

  it('keeps a short body unchanged', () => {
    // Act & Assess
    expect(fitBody('New message', 'Hello Bob', data)).toBe('Hello Bob');
  });

  it.each([
    ['a 10,000-character body', 'a'.repeat(10_000)],
    ['a body of 3,000 emoji', '😀'.repeat(3_000)],
    ['a body of accented text', 'é'.repeat(5_000)],
    ['a body of characters JSON escapes', '"\\\u0001'.repeat(2_000)],
  ])('shortens %s, with an ellipsis, until the payload fits', (_label, body) => {
    // Prepare
    expect(payloadBytes('New message', body, data)).toBeGreaterThan(PUSH_PAYLOAD_MAX_BYTES);

    // Act
    const fitted = fitBody('New message', body, data);

    // Assess
    expect(payloadBytes('New message', fitted, data)).toBeLessThanOrEqual(PUSH_PAYLOAD_MAX_BYTES);
    expect(fitted.endsWith('…')).toBe(true);
    expect(body.startsWith(fitted.slice(0, -1))).toBe(true);
    expect(isWholeUtf8(fitted)).toBe(true);
    // It keeps most of the room: the body is cut close to the limit, not emptied.
    expect(fitted.length).toBeGreaterThan(100);
  });

  it('keeps a body whose payload is exactly at the limit', () => {
    // Prepare
    const overhead = payloadBytes('New message', '', data);
    const body = 'b'.repeat(PUSH_PAYLOAD_MAX_BYTES - overhead);

    // Act & Assess
    expect(payloadBytes('New message', body, data)).toBe(PUSH_PAYLOAD_MAX_BYTES);
    expect(fitBody('New message', body, data)).toBe(body);
  });
});

describe('buildSendMessagesRequest', () => {
  it('addresses every device by token with its channel and carries both message forms', () => {
    // Prepare
    const devices = [
      device('d1', 'apns-token', 'APNS'),
      device('d2', 'sandbox-token', 'APNS_SANDBOX'),
      device('d3', 'fcm-token', 'FCM'),
    ];

    // Act
    const request = buildSendMessagesRequest('app-123', message(), devices);

    // Assess
    expect(request.ApplicationId).toBe('app-123');
    expect(request.MessageRequest?.Addresses).toEqual({
      'apns-token': { ChannelType: 'APNS' },
      'sandbox-token': { ChannelType: 'APNS_SANDBOX' },
      'fcm-token': { ChannelType: 'GCM' },
    });
    const data = { messageId: 'msg-1', sender: 'sub-1::alice' };
    expect(request.MessageRequest?.MessageConfiguration?.APNSMessage).toMatchObject({
      Title: 'New message',
      Body: 'Hello Bob',
      Data: data,
      Action: 'OPEN_APP',
    });
    expect(request.MessageRequest?.MessageConfiguration?.GCMMessage).toMatchObject({
      Title: 'New message',
      Body: 'Hello Bob',
      Data: data,
      Action: 'OPEN_APP',
    });
  });

  it('uses the fitted body in both message forms', () => {
    // Prepare
    const long = message({ body: '😀'.repeat(3_000) });

    // Act
    const request = buildSendMessagesRequest('app-123', long, [device('d1', 'tok')]);

    // Assess
    const apnsBody = request.MessageRequest?.MessageConfiguration?.APNSMessage?.Body ?? '';
    const gcmBody = request.MessageRequest?.MessageConfiguration?.GCMMessage?.Body ?? '';
    expect(apnsBody.endsWith('…')).toBe(true);
    expect(gcmBody).toBe(apnsBody);
    expect(payloadBytes('New message', apnsBody, { messageId: 'msg-1', sender: 'sub-1::alice' })).toBeLessThanOrEqual(
      PUSH_PAYLOAD_MAX_BYTES,
    );
  });
});

describe('isInvalidToken', () => {
  it.each([
    ['status 410', result({ DeliveryStatus: 'PERMANENT_FAILURE', StatusCode: 410 }), true],
    [
      'BadDeviceToken',
      result({ DeliveryStatus: 'PERMANENT_FAILURE', StatusCode: 400, StatusMessage: 'BadDeviceToken' }),
      true,
    ],
    [
      'Unregistered',
      result({ DeliveryStatus: 'PERMANENT_FAILURE', StatusCode: 400, StatusMessage: 'Unregistered' }),
      true,
    ],
    [
      'NotRegistered',
      result({ DeliveryStatus: 'PERMANENT_FAILURE', StatusCode: 400, StatusMessage: 'NotRegistered' }),
      true,
    ],
    [
      'a permanent failure for another reason',
      result({ DeliveryStatus: 'PERMANENT_FAILURE', StatusCode: 400, StatusMessage: 'PayloadTooLarge' }),
      false,
    ],
    [
      'a temporary failure naming a token',
      result({ DeliveryStatus: 'TEMPORARY_FAILURE', StatusCode: 429, StatusMessage: 'BadDeviceToken' }),
      false,
    ],
    ['a success', result(), false],
  ])('is %s -> %s', (_label, value, expected) => {
    // Act & Assess
    expect(isInvalidToken(value)).toBe(expected);
  });
});

describe('deliverMessage', () => {
  it('does not call send when the recipient has no devices', async () => {
    // Prepare
    const fake = fakeDependencies([], async () => ({}));

    // Act
    const report = await deliverMessage(message(), 'app-123', fake.deps);

    // Assess
    expect(fake.lookedUp).toEqual(['sub-2::bob']);
    expect(fake.sent).toHaveLength(0);
    expect(report).toEqual({ messageId: 'msg-1', addressed: 0, delivered: 0, removedDevices: [], failed: [] });
  });

  it('counts successful deliveries', async () => {
    // Prepare
    const devices = [device('d1', 't1', 'APNS'), device('d2', 't2', 'FCM')];
    const fake = fakeDependencies(devices, async () => ({ t1: result(), t2: result() }));

    // Act
    const report = await deliverMessage(message(), 'app-123', fake.deps);

    // Assess
    expect(fake.sent).toHaveLength(1);
    expect(fake.sent[0]?.ApplicationId).toBe('app-123');
    expect(report).toEqual({ messageId: 'msg-1', addressed: 2, delivered: 2, removedDevices: [], failed: [] });
    expect(fake.removed).toEqual([]);
  });

  it('forgets every device whose token the service reports as invalid', async () => {
    // Prepare: t-gone is registered twice (two Device items), t-bad once.
    const devices = [
      device('d1', 't-gone', 'APNS'),
      device('d2', 't-bad', 'APNS'),
      device('d3', 't-gone', 'APNS'),
      device('d4', 't-ok', 'FCM'),
    ];
    const fake = fakeDependencies(devices, async () => ({
      't-gone': result({ DeliveryStatus: 'PERMANENT_FAILURE', StatusCode: 410, StatusMessage: 'Unregistered' }),
      't-bad': result({ DeliveryStatus: 'PERMANENT_FAILURE', StatusCode: 400, StatusMessage: 'BadDeviceToken' }),
      't-ok': result(),
    }));

    // Act
    const report = await deliverMessage(message(), 'app-123', fake.deps);

    // Assess
    expect([...fake.removed].sort()).toEqual(['d1', 'd2', 'd3']);
    expect([...report.removedDevices].sort()).toEqual(['d1', 'd2', 'd3']);
    expect(report.delivered).toBe(1);
    expect(report.addressed).toBe(3);
    expect(report.failed).toEqual([]);
  });

  it('does not report a device as removed when it changed since it was read (the removal kept it)', async () => {
    // Prepare
    const fake = fakeDependencies([device('d1', 't-gone')], async () => ({
      't-gone': result({ DeliveryStatus: 'PERMANENT_FAILURE', StatusCode: 410, StatusMessage: 'Unregistered' }),
    }));
    fake.deps.removeDevice = async () => false;

    // Act
    const report = await deliverMessage(message(), 'app-123', fake.deps);

    // Assess
    expect(report.removedDevices).toEqual([]);
  });

  it('reports a temporary failure without forgetting the device', async () => {
    // Prepare
    const fake = fakeDependencies([device('d1', 't1')], async () => ({
      t1: result({ DeliveryStatus: 'TEMPORARY_FAILURE', StatusCode: 429, StatusMessage: 'Throttled' }),
    }));

    // Act
    const report = await deliverMessage(message(), 'app-123', fake.deps);

    // Assess
    expect(fake.removed).toEqual([]);
    expect(report.failed).toEqual([{ token: 't1', status: 'TEMPORARY_FAILURE', message: 'Throttled' }]);
    expect(report.delivered).toBe(0);
  });

  it('reports a token the service returned no result for', async () => {
    // Prepare
    const fake = fakeDependencies([device('d1', 't1')], async () => ({}));

    // Act
    const report = await deliverMessage(message(), 'app-123', fake.deps);

    // Assess
    expect(report.failed).toEqual([
      { token: 't1', status: 'NO_RESULT', message: 'the service returned no result for this token' },
    ]);
    expect(fake.removed).toEqual([]);
  });

  it('addresses a token registered by several devices once', async () => {
    // Prepare
    const devices = [device('d1', 'shared', 'APNS'), device('d2', 'shared', 'APNS'), device('d3', 'other', 'FCM')];
    const fake = fakeDependencies(devices, async () => ({ shared: result(), other: result() }));

    // Act
    const report = await deliverMessage(message(), 'app-123', fake.deps);

    // Assess
    expect(fake.sent).toHaveLength(1);
    expect(Object.keys(fake.sent[0]?.MessageRequest?.Addresses ?? {}).sort()).toEqual(['other', 'shared']);
    expect(report.addressed).toBe(2);
    expect(report.delivered).toBe(2);
  });

  it('propagates a failed send so that the record is retried', async () => {
    // Prepare
    const fake = fakeDependencies([device('d1', 't1')], () => Promise.reject(new Error('Pinpoint is down')));

    // Act
    const delivery = deliverMessage(message(), 'app-123', fake.deps);

    // Assess
    await expect(delivery).rejects.toThrow('Pinpoint is down');
    expect(fake.removed).toEqual([]);
  });
});
