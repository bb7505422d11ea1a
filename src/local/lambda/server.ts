import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type Listening, listenLoopback, readBody } from '../http/json-server';
import { logRequests } from '../http/request-log';
import type { Decision } from '../iam/policy';
import type { LocalPrincipal, PrincipalAuthorizer, SignedRequestVerifier } from '../iam/principals';
import { SignedRequestError } from '../iam/principals';
import { LambdaError } from './errors';
import type { FunctionNames } from './functions';
import {
  getFunction,
  getFunctionConfiguration,
  invoke,
  type LambdaAnswer,
  type LambdaContext,
  type LambdaFunctions,
  listFunctions,
  SYNC_PAYLOAD_LIMIT,
} from './operations';

/**
 * Lambda's wire: REST-JSON under `/2015-03-31/functions`, every request
 * SigV4-signed for `lambda` and authorized with the signer's role policies;
 * errors as `x-amzn-errortype` and `{ Type, message }`. Nothing a request
 * sends escapes as a throw.
 */

export interface LocalLambdaOptions extends LambdaFunctions {
  names: FunctionNames;
  verify: SignedRequestVerifier;
  authorize: PrincipalAuthorizer;
  deniedMessage: (principal: LocalPrincipal, action: string, resource: string, decision: Decision) => string;
  port?: number;
}

export type LocalLambda = Listening;

const ROUTES: Array<{ method: string; path: RegExp; operation: string }> = [
  { method: 'POST', path: /^\/2015-03-31\/functions\/([^/]+)\/invocations$/, operation: 'Invoke' },
  { method: 'GET', path: /^\/2015-03-31\/functions\/([^/]+)\/configuration$/, operation: 'GetFunctionConfiguration' },
  { method: 'GET', path: /^\/2015-03-31\/functions\/?$/, operation: 'ListFunctions' },
  { method: 'GET', path: /^\/2015-03-31\/functions\/([^/]+)$/, operation: 'GetFunction' },
];

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const send = (res: ServerResponse, answer: LambdaAnswer): void => {
  const body = answer.payload ?? Buffer.from(answer.json === undefined ? '' : JSON.stringify(answer.json));
  res.writeHead(answer.status, {
    'content-type': 'application/json',
    'x-amzn-requestid': crypto.randomUUID(),
    ...answer.headers,
  });
  res.end(body);
};

const operationOf = (req: IncomingMessage): string => {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  return ROUTES.find((r) => r.method === req.method && r.path.test(path))?.operation ?? 'Unknown';
};

export const startLocalLambda = async (options: LocalLambdaOptions): Promise<LocalLambda> => {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(
      req,
      SYNC_PAYLOAD_LIMIT,
      () =>
        new LambdaError(
          'RequestTooLargeException',
          `Request must be smaller than ${SYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation`,
          413,
        ),
    );
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = ROUTES.map((r) => ({ ...r, match: r.method === req.method ? r.path.exec(url.pathname) : null })).find(
      (r) => r.match,
    );
    if (!route?.match)
      throw new LambdaError(
        'UnknownOperationException',
        `${req.method} ${url.pathname} is not supported by the local Lambda (it serves Invoke, GetFunction, GetFunctionConfiguration and ListFunctions).`,
        404,
      );
    const principal = options.verify(
      { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body },
      'lambda',
    );
    const context: LambdaContext = {
      ...options,
      allow: (action, resource) => {
        const decision = options.authorize(principal, { action, resource });
        if (decision !== 'Allow')
          throw new LambdaError(
            'AccessDeniedException',
            options.deniedMessage(principal, action, resource, decision),
            403,
          );
      },
    };
    let name = '';
    try {
      name = decodeURIComponent(route.match[1] ?? '');
    } catch {
      throw new LambdaError('ValidationException', 'The function name is not validly percent-encoded.');
    }
    const qualifier = url.searchParams.get('Qualifier') ?? undefined;
    switch (route.operation) {
      case 'Invoke':
        return send(
          res,
          await invoke(context, {
            functionName: name,
            qualifier,
            invocationType: header(req, 'x-amz-invocation-type') ?? 'RequestResponse',
            logType: header(req, 'x-amz-log-type') ?? 'None',
            payload: body,
          }),
        );
      case 'GetFunctionConfiguration':
        return send(res, getFunctionConfiguration(context, name, qualifier));
      case 'GetFunction':
        return send(res, getFunction(context, name, qualifier));
      default:
        return send(
          res,
          listFunctions(
            context,
            url.searchParams.get('Marker') ?? undefined,
            url.searchParams.get('MaxItems') ?? undefined,
          ),
        );
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return;
      const known =
        error instanceof LambdaError
          ? error
          : error instanceof SignedRequestError
            ? new LambdaError(error.code, error.message, 403)
            : undefined;
      if (!known) console.error('local Lambda:', error);
      const answer = known ?? new LambdaError('ServiceException', 'Internal error', 500, 'Service');
      res.writeHead(answer.status, {
        'content-type': 'application/json',
        'x-amzn-errortype': answer.type,
        'x-amzn-requestid': crypto.randomUUID(),
      });
      res.end(JSON.stringify({ Type: answer.kind, message: answer.message }));
    });
  });
  logRequests(server, 'lambda', operationOf);
  return listenLoopback(server, options.port);
};
