import { randomUUID } from 'node:crypto';
import { HttpError, jsonServer, listenLoopback, parseJson, readBody, sendJson } from '../http/json-server';
import { logRequests, pathOf } from '../http/request-log';
import {
  type LocalPrincipal,
  type PrincipalAuthorizer,
  SignedRequestError,
  type SignedRequestVerifier,
} from '../iam/principals';
import type { Outbox } from '../outbox';

/** APNs and FCM both refuse notification payloads over 4 KB. */
export const PAYLOAD_LIMIT_BYTES = 4096;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The payload each service would receive, so its size is measured the way the service measures it. */
export const servicePayload = (channel: string, config: Record<string, unknown>): unknown => {
  const message = isRecord(channel === 'GCM' ? config.GCMMessage : config.APNSMessage)
    ? channel === 'GCM'
      ? config.GCMMessage
      : config.APNSMessage
    : config.DefaultPushNotificationMessage;
  const m = isRecord(message) ? message : {};
  const data = isRecord(m.Data) ? m.Data : {};
  return channel === 'GCM'
    ? { notification: { title: text(m.Title), body: text(m.Body) }, data }
    : { aps: { alert: { title: text(m.Title), body: text(m.Body) }, sound: text(m.Sound) }, data };
};

export interface LocalPush {
  url: string;
  /** Makes the service report this token as no longer registered (410). */
  markInvalid(token: string): void;
  close(): Promise<void>;
}

/**
 * The `SendMessages` call of Pinpoint / AWS End User Messaging, as
 * `@aws-sdk/client-pinpoint` sends it (POST /v1/apps/{id}/messages), with
 * addresses keyed by device token. Each delivered push is recorded in the outbox.
 */
export const startLocalPush = async (options: {
  outbox: Outbox;
  applicationIds?: string[];
  /** SigV4 (service `mobiletargeting`) and IAM on `arn:aws:mobiletargeting:<region>:<account>:apps/<id>/messages`. */
  access: {
    region: string;
    accountId: string;
    verify: SignedRequestVerifier;
    authorize: PrincipalAuthorizer;
    arnOf(principal: LocalPrincipal): string;
  };
  port?: number;
}): Promise<LocalPush> => {
  const invalid = new Set<string>();
  const server = jsonServer(async (req, res) => {
    const match = /^\/v1\/apps\/([^/]+)\/messages$/.exec(req.url?.split('?')[0] ?? '');
    if (req.method !== 'POST' || !match) throw new HttpError(404, 'NotFoundException', 'Resource not found');
    const appId = decodeURIComponent(match[1] ?? '');
    if (options.applicationIds && !options.applicationIds.includes(appId)) {
      throw new HttpError(404, 'NotFoundException', `Application ${appId} not found`);
    }
    const body = await readBody(req);
    const resource = `arn:aws:mobiletargeting:${options.access.region}:${options.access.accountId}:apps/${appId}/messages`;
    let principal: LocalPrincipal;
    try {
      principal = options.access.verify(
        { method: 'POST', url: req.url ?? '/', headers: req.headers, body },
        'mobiletargeting',
      );
    } catch (error) {
      if (error instanceof SignedRequestError) throw new HttpError(403, error.code, error.message);
      throw error;
    }
    if (options.access.authorize(principal, { action: 'mobiletargeting:SendMessages', resource }) !== 'Allow')
      throw new HttpError(
        403,
        'ForbiddenException',
        `User: ${options.access.arnOf(principal)} is not authorized to perform: mobiletargeting:SendMessages on resource: ${resource}`,
      );
    const request = parseJson(body);
    const addresses = isRecord(request) && isRecord(request.Addresses) ? request.Addresses : undefined;
    const config =
      isRecord(request) && isRecord(request.MessageConfiguration) ? request.MessageConfiguration : undefined;
    if (!addresses || Object.keys(addresses).length === 0 || !config) {
      throw new HttpError(400, 'BadRequestException', 'MessageRequest needs Addresses and MessageConfiguration.');
    }
    const result: Record<string, unknown> = {};
    for (const [token, address] of Object.entries(addresses)) {
      const channel = isRecord(address) ? text(address.ChannelType) : undefined;
      if (channel !== 'APNS' && channel !== 'APNS_SANDBOX' && channel !== 'GCM') {
        result[token] = {
          DeliveryStatus: 'PERMANENT_FAILURE',
          StatusCode: 400,
          StatusMessage: `Unsupported channel ${channel}`,
        };
        continue;
      }
      const payload = servicePayload(channel, config);
      const bytes = Buffer.byteLength(JSON.stringify(payload), 'utf8');
      if (bytes > PAYLOAD_LIMIT_BYTES) {
        result[token] = {
          DeliveryStatus: 'PERMANENT_FAILURE',
          StatusCode: 400,
          StatusMessage: `PayloadTooLarge: ${bytes} bytes, the limit is ${PAYLOAD_LIMIT_BYTES}`,
        };
      } else if (invalid.has(token)) {
        result[token] = {
          DeliveryStatus: 'PERMANENT_FAILURE',
          StatusCode: 410,
          StatusMessage: channel === 'GCM' ? 'UNREGISTERED' : 'Unregistered',
        };
      } else {
        const messageId = randomUUID();
        options.outbox.add({
          channel: 'push',
          to: token,
          kind: channel,
          body: { applicationId: appId, messageId, payload },
        });
        result[token] = { DeliveryStatus: 'SUCCESSFUL', StatusCode: 200, StatusMessage: 'OK', MessageId: messageId };
      }
    }
    sendJson(res, 200, { ApplicationId: appId, RequestId: randomUUID(), Result: result });
  });
  logRequests(server, 'push', (req) =>
    /\/messages$/.test(pathOf(req)) ? 'SendMessages' : `${req.method} ${pathOf(req)}`,
  );
  const listening = await listenLoopback(server, options.port);
  return { ...listening, markInvalid: (token) => invalid.add(token) };
};
