import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type Listening, listenLoopback, readBody } from '../http/json-server';
import { logRequests } from '../http/request-log';
import type { Decision } from '../iam/policy';
import type { LocalPrincipal, PrincipalAuthorizer, SignedRequestVerifier } from '../iam/principals';
import { SignedRequestError } from '../iam/principals';
import type { SecretsEngine } from './engine';
import { SecretsManagerError } from './errors';
import { OPERATIONS } from './operations';

/**
 * Secrets Manager's wire: AWS JSON 1.1 (`POST /`, `X-Amz-Target:
 * secretsmanager.<Operation>`), every request SigV4-signed for
 * `secretsmanager` and authorized with the signer's role policies; errors
 * as `{"__type", "Message"}`. Nothing a request sends escapes as a throw.
 */

export interface LocalSecretsManagerOptions {
  engine: SecretsEngine;
  verify: SignedRequestVerifier;
  authorize: PrincipalAuthorizer;
  deniedMessage: (principal: LocalPrincipal, action: string, resource: string, decision: Decision) => string;
  port?: number;
}

export type LocalSecretsManager = Listening;

const MAX_BODY_BYTES = 1024 * 1024;
const TARGET = /^secretsmanager\.(\w+)$/;

const send = (res: ServerResponse, status: number, body: unknown, errorType?: string): void => {
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': crypto.randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(JSON.stringify(body));
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const startLocalSecretsManager = async (options: LocalSecretsManagerOptions): Promise<LocalSecretsManager> => {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(
      req,
      MAX_BODY_BYTES,
      () => new SecretsManagerError('ValidationException', 'Request body exceeds 1 MB.', 413),
    );
    if (req.method !== 'POST')
      throw new SecretsManagerError('UnknownOperationException', 'Use POST with an X-Amz-Target header.', 404);
    const operation = TARGET.exec(String(req.headers['x-amz-target'] ?? ''))?.[1] ?? '';
    const run = OPERATIONS[operation];
    if (!run)
      throw new SecretsManagerError(
        'UnknownOperationException',
        `${operation || 'That operation'} is not supported by the local Secrets Manager (it serves ${Object.keys(OPERATIONS).join(', ')}).`,
      );
    const principal = options.verify(
      { method: req.method, url: req.url ?? '/', headers: req.headers, body },
      'secretsmanager',
    );
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      throw new SecretsManagerError('SerializationException', 'The request body is not valid JSON.');
    }
    if (!isRecord(input))
      throw new SecretsManagerError('SerializationException', 'The request body must be a JSON object.');
    const decide = (action: string, resource: string) => options.authorize(principal, { action, resource });
    const result = run(
      {
        engine: options.engine,
        allow: (action, resource) => {
          const decision = decide(action, resource);
          if (decision !== 'Allow')
            throw new SecretsManagerError(
              'AccessDeniedException',
              options.deniedMessage(principal, action, resource, decision),
            );
        },
        allowed: (action, resource) => decide(action, resource) === 'Allow',
      },
      input,
    );
    send(res, 200, result);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return;
      if (error instanceof SecretsManagerError)
        send(res, error.status, { __type: error.type, Message: error.message }, error.type);
      else if (error instanceof SignedRequestError)
        send(res, error.status, { __type: error.code, Message: error.message }, error.code);
      else {
        console.error('local Secrets Manager:', error);
        send(res, 500, { __type: 'InternalServiceError', Message: 'Internal error' }, 'InternalServiceError');
      }
    });
  });
  logRequests(server, 'secretsmanager');
  return listenLoopback(server, options.port);
};
