import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { errorXml, parseQuery, resultXml, SQS_NAMESPACE } from '../http/aws-query';
import { listenLoopback, readBody } from '../http/json-server';
import { annotate, logRequests } from '../http/request-log';
import type { LocalPrincipal, PrincipalAuthorizer, SignedRequestVerifier } from '../iam/principals';
import { SignedRequestError } from '../iam/principals';
import { SqsError } from './errors';
import { isRecord, type Json, type Operation, sqsOperations, UNSUPPORTED } from './operations';
import { queryInput, queryResult } from './query';
import type { QueueEngine } from './queue';

/**
 * The local SQS's wire: AWS JSON 1.0 as `@aws-sdk/client-sqs` speaks it
 * (POST /, `X-Amz-Target: AmazonSQS.<Operation>`, query-compatible errors
 * in `x-amzn-query-error`), and the query protocol older clients speak
 * (a form with `Action`, XML answers); SigV4 (`sqs`) on every request, on
 * 127.0.0.1.
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

/** SigV4 refusals under the codes the query protocol uses. */
const QUERY_AUTH_CODES: Record<string, string> = {
  MissingAuthenticationTokenException: 'MissingAuthenticationToken',
  UnrecognizedClientException: 'InvalidClientTokenId',
  InvalidSignatureException: 'SignatureDoesNotMatch',
  IncompleteSignatureException: 'IncompleteSignature',
};

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

  const operationOf = (operation: string): Operation => {
    const run = operations[operation];
    if (run) return run;
    throw UNSUPPORTED.has(operation)
      ? new SqsError(
          'UnsupportedOperation',
          `${operation} is not supported by the local SQS: its queues and their attributes are the ones the backend's templates define.`,
        )
      : new SqsError('InvalidAction', `The action ${operation} is not valid for this endpoint.`);
  };

  /** A long poll ends when the client goes away or the server closes. */
  const signalOf = (res: ServerResponse): AbortSignal => {
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    return AbortSignal.any([gone.signal, closing.signal]);
  };

  /** Which protocol answers an error: the query protocol's requests get XML. */
  const queryRequests = new WeakSet<ServerResponse>();

  const handleQuery = async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> => {
    queryRequests.add(res);
    const url = req.url ?? '/';
    const at = url.indexOf('?');
    const params = new Map([...parseQuery(at < 0 ? '' : url.slice(at + 1)), ...parseQuery(body.toString('utf8'))]);
    const action = params.get('Action') ?? '';
    if (!/^\w{1,64}$/.test(action)) throw new SqsError('InvalidAction', 'The request must contain an Action.');
    annotate(req, { operation: action });
    const principal = options.verify({ method: req.method ?? 'POST', url, headers: req.headers, body }, 'sqs');
    const run = operationOf(action);
    const path = at < 0 ? url : url.slice(0, at);
    const queueUrl = path.length > 1 ? `http://${req.headers.host ?? '127.0.0.1'}${path}` : undefined;
    const output: Json = await run(principal, queryInput(action, params, queueUrl), signalOf(res));
    if (res.destroyed) return;
    res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': requestIdOf(res) });
    res.end(resultXml(SQS_NAMESPACE, action, queryResult(action, output), requestIdOf(res)));
  };

  const requestIds = new WeakMap<ServerResponse, string>();
  const requestIdOf = (res: ServerResponse): string => {
    const id = requestIds.get(res) ?? crypto.randomUUID();
    requestIds.set(res, id);
    return id;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(
      req,
      MAX_BODY_BYTES,
      () => new SqsError('RequestEntityTooLarge', `Request body is larger than ${MAX_BODY_BYTES} bytes.`),
    );
    const contentType = String(req.headers['content-type'] ?? '');
    if (
      req.headers['x-amz-target'] === undefined &&
      (contentType.startsWith('application/x-www-form-urlencoded') || req.method === 'GET')
    )
      return handleQuery(req, res, body);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = TARGET.exec(target)?.[1] ?? '';
    if (req.method !== 'POST' || !operation)
      throw new SqsError(
        'InvalidAction',
        'The local SQS speaks the AWS JSON 1.0 protocol: POST / with X-Amz-Target: AmazonSQS.<Operation>.',
      );
    const principal = options.verify({ method: req.method, url: req.url ?? '/', headers: req.headers, body }, 'sqs');
    const run = operationOf(operation);
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      throw new SqsError('SerializationException', 'The request body is not valid JSON.');
    }
    if (!isRecord(input)) throw new SqsError('SerializationException', 'The request body must be a JSON object.');
    const output = await run(principal, input, signalOf(res));
    if (!res.destroyed) send(res, 200, output);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return;
      if (queryRequests.has(res)) {
        const [status, code, message] =
          error instanceof SqsError
            ? [error.status, error.queryCode, error.message]
            : error instanceof SignedRequestError
              ? [403, QUERY_AUTH_CODES[error.code] ?? error.code, error.message]
              : [500, 'InternalError', 'Internal error'];
        if (status === 500) console.error('local SQS:', error);
        res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestIdOf(res) });
        res.end(errorXml(SQS_NAMESPACE, code, message, requestIdOf(res)));
        return;
      }
      if (error instanceof SqsError) sendError(res, error);
      else if (error instanceof SignedRequestError)
        send(
          res,
          error.status === 400 ? 403 : error.status,
          { __type: `com.amazon.coral.service#${error.code}`, message: error.message },
          { 'x-amzn-query-error': `${QUERY_AUTH_CODES[error.code] ?? error.code};Sender` },
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
