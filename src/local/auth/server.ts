import { join } from 'node:path';
import { HttpError, jsonServer, listenLoopback, parseJson, readBody, sendJson } from '../http/json-server';
import { Outbox } from '../outbox';
import { CognitoError, CognitoUserPool, type PasswordPolicy, type PostConfirmationEvent } from './cognito';
import { LocalIdentityPool } from './identity-pool';
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
  /** The identity pool in front of the user pool; absent, identity requests are refused. */
  identityPool?: {
    identityPoolId: string;
    region: string;
    allowUnauthenticated: boolean;
    roles: { authenticated: string; unauthenticated?: string };
    /** A Token role mapping: a token's `cognito:preferred_role` chooses the role. */
    tokenRoleMapping?: boolean;
  };
  /** The IAM role of each user-pool group that has one. */
  groupRoles?: Record<string, { roleArn: string; precedence: number }>;
  /** The pool's groups; absent, AdminAddUserToGroup takes any name. */
  groups?: string[];
  /** 0 picks a free port. */
  port?: number;
}

export interface LocalAuth {
  /**
   * The user-pool endpoint: `Auth.Cognito.userPoolEndpoint` for the Amplify
   * clients. The identity pool answers on the same URL
   * (`Auth.Cognito.identityPoolEndpoint`), told apart by X-Amz-Target.
   */
  url: string;
  /** The `iss` of every token; its JWKS is at `<issuer>/.well-known/jwks.json`. */
  issuer: string;
  pool: CognitoUserPool;
  tokens: TokenIssuer;
  identityPool?: LocalIdentityPool;
  outbox: Outbox;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

/** Starts the local Cognito user pool on 127.0.0.1. */
export const startLocalAuth = async (options: LocalAuthOptions): Promise<LocalAuth> => {
  const dir = options.dataDir ? join(options.dataDir, 'auth') : undefined;
  const users = new UserStore(dir && join(dir, 'state.json'));
  const outbox = options.outbox ?? new Outbox(options.dataDir && join(options.dataDir, 'outbox.jsonl'));
  let pool: CognitoUserPool | undefined;
  let tokens: TokenIssuer | undefined;
  let identityPool: LocalIdentityPool | undefined;
  const jwksPath = `/${options.userPoolId}/.well-known/jwks.json`;

  const server = jsonServer(
    async (req, res) => {
      if (req.method === 'GET' && req.url === jwksPath && tokens) {
        sendJson(res, 200, tokens.jwks());
        return;
      }
      const target = req.headers['x-amz-target'];
      const [service, operation] = typeof target === 'string' ? target.split('.') : [];
      const handler = service === 'AWSCognitoIdentityService' ? identityPool : pool;
      if (req.method !== 'POST' || !operation || !handler) {
        throw new HttpError(400, 'UnknownOperationException', 'Expected a POST with X-Amz-Target.');
      }
      const body = parseJson(await readBody(req, MAX_BODY_BYTES));
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new HttpError(400, 'SerializationException', 'The request body must be a JSON object.');
      }
      try {
        sendJson(res, 200, await handler.handle(operation, { ...body }), {
          'content-type': 'application/x-amz-json-1.1',
        });
      } catch (error) {
        if (error instanceof CognitoError) throw new HttpError(error.status, error.type, error.message);
        throw error;
      }
    },
    (error) => ({ __type: error.type, message: error.message }),
  );

  const { url, close } = await listenLoopback(server, options.port);
  const issuer = `${url}/${options.userPoolId}`;
  tokens = await TokenIssuer.create(issuer, dir && join(dir, 'signing-key.json'));
  tokens.groupRoles = options.groupRoles ?? {};
  pool = new CognitoUserPool({ ...options, users, tokens, outbox });
  if (options.identityPool) {
    identityPool = new LocalIdentityPool({
      ...options.identityPool,
      clientIds: [options.clientId],
      tokens,
      file: dir && join(dir, 'identities.json'),
    });
  }

  return {
    url,
    issuer,
    pool,
    tokens,
    identityPool,
    outbox,
    close,
  };
};
