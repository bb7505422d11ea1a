import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Outbox } from '../outbox';
import { CognitoError, CognitoUserPool, type PasswordPolicy, type PostConfirmationEvent } from './cognito';
import { TokenIssuer } from './tokens';
import { UserStore } from './users';

export interface LocalAuthOptions {
  userPoolId: string;
  clientId: string;
  passwordPolicy: PasswordPolicy;
  /** Where users, keys and the outbox persist; in memory when absent. */
  dataDir?: string;
  outbox?: Outbox;
  postConfirmation?: (event: PostConfirmationEvent) => Promise<unknown>;
  /** 0 picks a free port. */
  port?: number;
}

export interface LocalAuth {
  /** The user-pool endpoint: `Auth.Cognito.userPoolEndpoint` for the Amplify clients. */
  url: string;
  /** The `iss` of every token; its JWKS is at `<issuer>/.well-known/jwks.json`. */
  issuer: string;
  pool: CognitoUserPool;
  tokens: TokenIssuer;
  outbox: Outbox;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new CognitoError('InvalidParameterException', 'Request body is larger than 1 MB.', 413));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'access-control-allow-origin': '*',
    'access-control-expose-headers': 'x-amzn-errortype, x-amzn-requestid',
    'x-amzn-requestid': crypto.randomUUID(),
    ...headers,
  });
  res.end(JSON.stringify(body));
};

/** Starts the local Cognito user pool on 127.0.0.1. */
export const startLocalAuth = async (options: LocalAuthOptions): Promise<LocalAuth> => {
  const dir = options.dataDir ? join(options.dataDir, 'auth') : undefined;
  const users = new UserStore(dir && join(dir, 'state.json'));
  const outbox = options.outbox ?? new Outbox(options.dataDir && join(options.dataDir, 'outbox.jsonl'));
  let pool: CognitoUserPool | undefined;
  let tokens: TokenIssuer | undefined;
  const jwksPath = `/${options.userPoolId}/.well-known/jwks.json`;

  const server = createServer(async (req, res) => {
    try {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-origin': '*',
          'access-control-allow-methods': 'POST, GET, OPTIONS',
          'access-control-allow-headers': '*',
          'access-control-max-age': '86400',
        });
        res.end();
        return;
      }
      if (req.method === 'GET' && req.url === jwksPath && tokens) {
        send(res, 200, tokens.jwks(), { 'content-type': 'application/json' });
        return;
      }
      const target = req.headers['x-amz-target'];
      const operation = typeof target === 'string' ? target.split('.')[1] : undefined;
      if (req.method !== 'POST' || !operation || !pool) {
        throw new CognitoError('UnknownOperationException', 'Expected a POST with X-Amz-Target.', 400);
      }
      let body: unknown;
      try {
        body = JSON.parse((await readBody(req)) || '{}');
      } catch (error) {
        if (error instanceof CognitoError) throw error;
        throw new CognitoError('SerializationException', 'The request body is not valid JSON.');
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new CognitoError('SerializationException', 'The request body must be a JSON object.');
      }
      send(res, 200, await pool.handle(operation, { ...body }));
    } catch (error) {
      const known = error instanceof CognitoError ? error : undefined;
      if (!known) console.error('local auth:', error);
      const type = known?.type ?? 'InternalErrorException';
      send(
        res,
        known?.status ?? 500,
        { __type: type, message: known?.message ?? 'Internal error' },
        { 'x-amzn-errortype': type },
      );
    }
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the auth server has no TCP address');
  const { port } = address;
  const url = `http://127.0.0.1:${port}`;
  const issuer = `${url}/${options.userPoolId}`;
  tokens = await TokenIssuer.create(issuer, dir && join(dir, 'signing-key.json'));
  pool = new CognitoUserPool({ ...options, users, tokens, outbox });

  return {
    url,
    issuer,
    pool,
    tokens,
    outbox,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
};
