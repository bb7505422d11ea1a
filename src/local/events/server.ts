import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLoopback, readBody } from '../http/json-server';
import { logRequests } from '../http/request-log';
import type { LocalPrincipal, PrincipalAuthorizer, SignedRequestVerifier } from '../iam/principals';
import { SignedRequestError } from '../iam/principals';
import type { LocalEventBridge } from './bus';
import { eventsOperations } from './operations';
import { EventsRequestError } from './put-events';

/**
 * EventBridge's wire on 127.0.0.1: AWS JSON 1.1 (`X-Amz-Target:
 * AWSEvents.<Operation>`), SigV4 (`events`) on every request, errors as
 * `{__type, message}` with EventBridge's codes.
 */

export interface LocalEventsServerOptions {
  bridge: LocalEventBridge;
  verify: SignedRequestVerifier;
  authorize: PrincipalAuthorizer;
  deniedMessage: (principal: LocalPrincipal, action: string, resource: string) => string;
  port?: number;
}

export interface LocalEventsServer {
  url: string;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Above PutEvents' 256 KB of entries, with room for the JSON around them. */
const MAX_BODY_BYTES = 1024 * 1024;
const TARGET = /^AWSEvents\.(\w+)$/;

const send = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': crypto.randomUUID() });
  res.end(JSON.stringify(body));
};

export const startLocalEventsServer = async (options: LocalEventsServerOptions): Promise<LocalEventsServer> => {
  const operations = eventsOperations(options.bridge, (principal, action, resource) => {
    if (options.authorize(principal, { action, resource }) !== 'Allow')
      throw new EventsRequestError('AccessDeniedException', options.deniedMessage(principal, action, resource));
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(
      req,
      MAX_BODY_BYTES,
      () => new EventsRequestError('ValidationException', 'Request body exceeds 1 MB.', 413),
    );
    if (req.method !== 'POST')
      throw new EventsRequestError('UnknownOperationException', 'Use POST with an X-Amz-Target header.', 404);
    const operation = TARGET.exec(String(req.headers['x-amz-target'] ?? ''))?.[1] ?? '';
    const run = operations[operation];
    if (!run)
      throw new EventsRequestError(
        'UnknownOperationException',
        `${operation || 'That operation'} is not supported by the local EventBridge (it serves ${Object.keys(operations).join(', ')}).`,
      );
    const principal = options.verify({ method: req.method, url: req.url ?? '/', headers: req.headers, body }, 'events');
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      throw new EventsRequestError('SerializationException', 'The request body is not valid JSON.');
    }
    if (!isRecord(input))
      throw new EventsRequestError('SerializationException', 'The request body must be a JSON object.');
    send(res, 200, run(principal, input));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return;
      if (error instanceof EventsRequestError) send(res, error.status, { __type: error.type, message: error.message });
      else if (error instanceof SignedRequestError)
        send(res, error.status, { __type: error.code, message: error.message });
      else {
        console.error('local EventBridge:', error);
        send(res, 500, { __type: 'InternalException', message: 'Internal error' });
      }
    });
  });
  logRequests(server, 'eventbridge');
  return listenLoopback(server, options.port);
};
