import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { errorXml, parseQuery, resultXml, SNS_NAMESPACE } from '../http/aws-query';
import { listenLoopback, readBody } from '../http/json-server';
import { annotate, logRequests } from '../http/request-log';
import type { LocalPrincipal, PrincipalAuthorizer, SignedRequestVerifier } from '../iam/principals';
import { SignedRequestError } from '../iam/principals';
import { SnsError } from './errors';
import { snsOperations } from './operations';
import type { TopicEngine } from './topics';

/**
 * The local SNS's wire: the query protocol `@aws-sdk/client-sns` speaks
 * (form-encoded POST with `Action`, XML answers and errors), SigV4 (`sns`)
 * on every request, on 127.0.0.1.
 */

export interface LocalSnsOptions {
  engine: TopicEngine;
  region: string;
  accountId: string;
  verify: SignedRequestVerifier;
  authorize: PrincipalAuthorizer;
  deniedMessage: (principal: LocalPrincipal, action: string, resource: string) => string;
  sms(phoneNumber: string, message: string, messageId: string): void;
  port?: number;
}

export interface LocalSns {
  url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** SigV4 refusals under the codes the query services use. */
const QUERY_CODES: Record<string, string> = {
  MissingAuthenticationTokenException: 'MissingAuthenticationToken',
  UnrecognizedClientException: 'InvalidClientTokenId',
  InvalidSignatureException: 'SignatureDoesNotMatch',
  IncompleteSignatureException: 'IncompleteSignature',
};

const UNSUPPORTED = new Set([
  'CreateTopic',
  'DeleteTopic',
  'SetTopicAttributes',
  'AddPermission',
  'RemovePermission',
  'ConfirmSubscription',
  'TagResource',
  'UntagResource',
  'ListTagsForResource',
]);

export const startLocalSns = async (options: LocalSnsOptions): Promise<LocalSns> => {
  const operations = snsOperations({
    engine: options.engine,
    region: options.region,
    accountId: options.accountId,
    sms: options.sms,
    allow: (principal, action, arn) => {
      if (options.authorize(principal, { action, resource: arn }) !== 'Allow')
        throw new SnsError(
          'AuthorizationError',
          options.deniedMessage(principal, action.replace(/^sns:/, 'SNS:'), arn),
        );
    },
  });

  const send = (res: ServerResponse, status: number, xml: string): void => {
    res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestIdOf(res) });
    res.end(xml);
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
      () => new SnsError('RequestEntityTooLarge', 'Request body is too large.'),
    );
    const url = req.url ?? '/';
    const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
    const params = new Map([...parseQuery(query), ...parseQuery(body.toString('utf8'))]);
    const action = params.get('Action');
    if (!action) throw new SnsError('MissingAction', 'Missing Action');
    if (/^\w{1,64}$/.test(action)) annotate(req, { operation: action });
    const principal = options.verify({ method: req.method ?? 'POST', url, headers: req.headers, body }, 'sns');
    const run = operations[action];
    if (!run)
      throw new SnsError(
        'InvalidAction',
        UNSUPPORTED.has(action)
          ? `${action} is not supported by the local SNS: its topics are the ones the backend's templates define.`
          : `Could not find operation ${action} for version 2010-03-31`,
      );
    send(res, 200, resultXml(SNS_NAMESPACE, action, run(principal, params), requestIdOf(res)));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return;
      if (error instanceof SnsError)
        send(res, error.status, errorXml(SNS_NAMESPACE, error.code, error.message, requestIdOf(res)));
      else if (error instanceof SignedRequestError)
        send(res, 403, errorXml(SNS_NAMESPACE, QUERY_CODES[error.code] ?? error.code, error.message, requestIdOf(res)));
      else {
        console.error('local SNS:', error);
        send(res, 500, errorXml(SNS_NAMESPACE, 'InternalError', 'Internal error', requestIdOf(res)));
      }
    });
  });
  logRequests(server, 'sns', (req) => `${req.method ?? '?'} /`);
  return listenLoopback(server, options.port);
};
