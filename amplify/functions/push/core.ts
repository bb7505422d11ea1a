import type { ChannelType, EndpointMessageResult, SendMessagesRequest } from '@aws-sdk/client-pinpoint';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { RecordError } from '../shared/errors';

/** APNs and FCM both cap a notification payload at 4 KB. */
export const PUSH_PAYLOAD_MAX_BYTES = 4096;
const TITLE = 'New message';

export interface MessageItem {
  id: string;
  sender: string;
  recipient: string;
  body: string;
}

export interface DeviceItem {
  id: string;
  token: string;
  platform: 'APNS' | 'APNS_SANDBOX' | 'FCM';
  /** The version read; a removal applies only if the device is still at it. */
  _version: number;
}

export interface PushDependencies {
  /** The recipient's registered devices (the Device table's owner index). */
  findDevices(owner: string): Promise<DeviceItem[]>;
  send(request: SendMessagesRequest): Promise<Record<string, EndpointMessageResult>>;
  /**
   * Soft-deletes the device as the API does (DataStore learns of it by delta
   * sync); false when it changed since it was read, and so is kept.
   */
  removeDevice(device: DeviceItem): Promise<boolean>;
}

export interface DeliveryReport {
  messageId: string;
  addressed: number;
  delivered: number;
  removedDevices: string[];
  failed: Array<{ token: string; status: string; message: string }>;
}

const CHANNEL: Record<DeviceItem['platform'], ChannelType> = { APNS: 'APNS', APNS_SANDBOX: 'APNS_SANDBOX', FCM: 'GCM' };

const isPlatform = (value: unknown): value is DeviceItem['platform'] =>
  value === 'APNS' || value === 'APNS_SANDBOX' || value === 'FCM';

/** The Message a stream INSERT carries, or an error naming what is missing. */
export const toMessage = (record: DynamoDBRecord): MessageItem => {
  const sequenceNumber = record.dynamodb?.SequenceNumber ?? 'unknown';
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || !image) {
    throw new RecordError(`record ${sequenceNumber}: expected an INSERT with a new image, got ${record.eventName}`);
  }
  // The aws-lambda and SDK AttributeValue types describe the same wire shape.
  const item = unmarshall(image as Parameters<typeof unmarshall>[0]);
  const { id, sender, recipient, body } = item;
  if (
    typeof id !== 'string' ||
    typeof sender !== 'string' ||
    typeof recipient !== 'string' ||
    typeof body !== 'string'
  ) {
    throw new RecordError(`record ${sequenceNumber}: message lacks id, sender, recipient or body`);
  }
  return { id, sender, recipient, body };
};

/** Parses a Device item read from DynamoDB; deleted and malformed devices yield nothing. */
export const toDevice = (item: Record<string, unknown>): DeviceItem | null => {
  if (item._deleted === true) return null;
  const { id, token, platform, _version } = item;
  if (typeof id !== 'string' || typeof token !== 'string' || token.length === 0 || !isPlatform(platform)) return null;
  // Every device the versioned API writes has a _version; one without it was not written through the API.
  if (typeof _version !== 'number' || !Number.isInteger(_version)) return null;
  return { id, token, platform, _version };
};

/** Cuts a string to at most `maxBytes` of UTF-8 without splitting a character. */
export const truncateUtf8 = (value: string, maxBytes: number): string => {
  if (Buffer.byteLength(value, 'utf8') <= maxBytes) return value;
  let out = '';
  let bytes = 0;
  for (const char of value) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > maxBytes) break;
    out += char;
    bytes += size;
  }
  return out;
};

/** The size of the largest payload the services will build from these parts (the APNs form). */
export const payloadBytes = (title: string, body: string, data: Record<string, string>): number =>
  Buffer.byteLength(JSON.stringify({ aps: { alert: { title, body }, sound: 'default' }, data }), 'utf8');

/** Shortens the body, with an ellipsis, until the payload fits the 4 KB limit. */
export const fitBody = (title: string, body: string, data: Record<string, string>): string => {
  if (payloadBytes(title, body, data) <= PUSH_PAYLOAD_MAX_BYTES) return body;
  const overhead = payloadBytes(title, '', data);
  // JSON escaping can grow a character up to 6 bytes; leave room for the ellipsis.
  let budget = PUSH_PAYLOAD_MAX_BYTES - overhead - 3;
  let candidate = `${truncateUtf8(body, budget)}…`;
  while (payloadBytes(title, candidate, data) > PUSH_PAYLOAD_MAX_BYTES && budget > 0) {
    budget -= 64;
    candidate = `${truncateUtf8(body, Math.max(budget, 0))}…`;
  }
  return candidate;
};

/** One SendMessages request addressed by device token; no Pinpoint endpoints or segments. */
export const buildSendMessagesRequest = (
  applicationId: string,
  message: MessageItem,
  devices: readonly DeviceItem[],
): SendMessagesRequest => {
  const data = { messageId: message.id, sender: message.sender };
  const body = fitBody(TITLE, message.body, data);
  const addresses = Object.fromEntries(
    devices.map((device) => [device.token, { ChannelType: CHANNEL[device.platform] }]),
  );
  return {
    ApplicationId: applicationId,
    MessageRequest: {
      Addresses: addresses,
      MessageConfiguration: {
        APNSMessage: { Action: 'OPEN_APP', Title: TITLE, Body: body, Data: data, Sound: 'default', Priority: 'high' },
        GCMMessage: { Action: 'OPEN_APP', Title: TITLE, Body: body, Data: data, Priority: 'high' },
      },
    },
  };
};

const INVALID_TOKEN =
  /unregistered|baddevicetoken|devicetokennotfortopic|invalidregistration|notregistered|invalid.*token/i;

/** Whether the service says the token will never work again, so the device should be forgotten. */
export const isInvalidToken = (result: EndpointMessageResult): boolean =>
  result.StatusCode === 410 ||
  (result.DeliveryStatus === 'PERMANENT_FAILURE' && INVALID_TOKEN.test(result.StatusMessage ?? ''));

/**
 * Sends one message to every device of its recipient and forgets the devices
 * whose tokens the service reports as invalid. A failed SendMessages call
 * throws, so the record is retried; per-token failures are reported, not retried,
 * because a retry would repeat the push on the devices that did receive it.
 */
export const deliverMessage = async (
  message: MessageItem,
  applicationId: string,
  deps: PushDependencies,
): Promise<DeliveryReport> => {
  const report: DeliveryReport = { messageId: message.id, addressed: 0, delivered: 0, removedDevices: [], failed: [] };
  const devices = await deps.findDevices(message.recipient);
  const byToken = new Map<string, DeviceItem[]>();
  for (const device of devices) byToken.set(device.token, [...(byToken.get(device.token) ?? []), device]);
  if (byToken.size === 0) return report;
  report.addressed = byToken.size;
  const unique = [...byToken.values()].flatMap((group) => group.slice(0, 1));
  const results = await deps.send(buildSendMessagesRequest(applicationId, message, unique));
  for (const [token, group] of byToken) {
    const result = results[token];
    if (result?.DeliveryStatus === 'SUCCESSFUL') {
      report.delivered += 1;
    } else if (result && isInvalidToken(result)) {
      for (const device of group) {
        if (await deps.removeDevice(device)) report.removedDevices.push(device.id);
      }
    } else {
      report.failed.push({
        token,
        status: result?.DeliveryStatus ?? 'NO_RESULT',
        message: result?.StatusMessage ?? 'the service returned no result for this token',
      });
    }
  }
  return report;
};
