import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLoopback, readBody } from '../http/json-server';
import { logRequests } from '../http/request-log';
import type { LocalPrincipal, PrincipalAuthorizer, SignedRequestVerifier } from '../iam/principals';
import { SignedRequestError } from '../iam/principals';
import { SqsError } from './errors';
import { isRecord, sqsOperations, UNSUPPORTED } from './operations';
import type { QueueEngine } from './queue';

/**
 * The local SQS's wire: AWS JSON 1.0 as `@aws-sdk/client-sqs` speaks it
 * (POST /, `X-Amz-Target: AmazonSQS.<Operation>`, query-compatible errors
 * in `x-amzn-query-error`), SigV4 (`sqs`) on every request, on 127.0.0.1.
 */

export interface LocalSqsOptions {
  engine: QueueEngine;
  region: string;
  accountId: string;
  verify: SignedRequestVerifier;
  authorize: PrincipalAuthorizer;
  deniedMessage: (principal: LocalPrincipal, action: string, resource: string) => string;
  port?: number;
  /** The longest a ReceiveMessage waits (SQS's 20 s). */
  maxWaitMs?: number;
}

export interface LocalSqs {
  url: string;
  close(): Promise<void>;
}

/** SQS's own limit on a request (1 MiB of messages, and the rest of the request). */
const MAX_BODY_BYTES = 2 * 1024 * 1024;
const TARGET = /^AmazonSQS\.(\w+)$/;

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-requestid': crypto.randomUUID(),
    ...headers,
  });
  res.end(JSON.stringify(body));
};

const sendError = (res: ServerResponse, error: SqsError): void =>
  send(
    res,
    error.status,
    { __type: error.type, message: error.message },
    { 'x-amzn-query-error': `${error.queryCode};Sender` },
  );

export const startLocalSqs = async (options: LocalSqsOptions): Promise<LocalSqs> => {
  const closing = new AbortController();
  const operations = sqsOperations({
    engine: options.engine,
    region: options.region,
    accountId: options.accountId,
    ...(options.maxWaitMs !== undefined ? { maxWaitMs: options.maxWaitMs } : {}),
    allow: (principal, action, arn) => {
      if (options.authorize(principal, { action, resource: arn }) !== 'Allow')
        throw new SqsError('AccessDenied', options.deniedMessage(principal, action.toLowerCase(), arn));
    },
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(
      req,
      MAX_BODY_BYTES,
      () => new SqsError('RequestEntityTooLarge', `Request body is larger than ${MAX_BODY_BYTES} bytes.`),
    );
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = TARGET.exec(target)?.[1] ?? '';
    if (req.method !== 'POST' || !operation)
      throw new SqsError(
        'InvalidAction',
        'The local SQS speaks the AWS JSON 1.0 protocol: POST / with X-Amz-Target: AmazonSQS.<Operation>.',
      );
    const principal = options.verify({ method: req.method, url: req.url ?? '/', headers: req.headers, body }, 'sqs');
    const run = operations[operation];
    if (!run) {
      throw UNSUPPORTED.has(operation)
        ? new SqsError(
            'UnsupportedOperation',
            `${operation} is not supported by the local SQS: its queues and their attributes are the ones the backend's templates define.`,
          )
        : new SqsError('InvalidAction', `The action ${operation} is not valid for this endpoint.`);
    }
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      throw new SqsError('SerializationException', 'The request body is not valid JSON.');
    }
    if (!isRecord(input)) throw new SqsError('SerializationException', 'The request body must be a JSON object.');
    // A long poll ends when the client goes away or the server closes.
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    const signal = AbortSignal.any([gone.signal, closing.signal]);
    const output = await run(principal, input, signal);
    if (!res.destroyed) send(res, 200, output);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return;
      if (error instanceof SqsError) sendError(res, error);
      else if (error instanceof SignedRequestError)
        send(
          res,
          error.status === 400 ? 403 : error.status,
          { __type: `com.amazon.coral.service#${error.code}`, message: error.message },
          { 'x-amzn-query-error': `${error.code.replace(/Exception$/, '')};Sender` },
        );
      else {
        console.error('local SQS:', error);
        send(res, 500, { __type: 'com.amazon.coral.service#InternalFailure', message: 'Internal error' });
      }
    });
  });
  logRequests(server, 'sqs');
  const listening = await listenLoopback(server, options.port);
  return {
    url: listening.url,
    close: async () => {
      closing.abort();
      options.engine.wakeAll();
      await listening.close();
    },
  };
};
