import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { listenLoopbackDual } from '../http/dual-listener';
import { listenLoopback } from '../http/json-server';
import { logRequests } from '../http/request-log';
import type { LocalPrincipal, PrincipalAuthorizer, SignedRequestVerifier } from '../iam/principals';
import { SignedRequestError } from '../iam/principals';
import { Outbox } from '../outbox';
import type { OAuthSettings } from '../settings/oauth';
import { CODES_PATH, codesEndpoint } from './codes';
import { type CognitoOptions, CognitoUserPool, type PasswordPolicy, type PostConfirmationEvent } from './cognito';
import { CognitoError } from './errors';
import { LocalIdentityPool } from './identity-pool';
import { Federation } from './oauth/federation';
import { OAuthOperations } from './oauth/operations';
import { oauthEndpoints } from './oauth/wire';
import { LocalOidcIssuer } from './oidc-issuer';
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
  preSignUp?: CognitoOptions['preSignUp'];
  preTokenGeneration?: CognitoOptions['preTokenGeneration'];
  customAttributes?: CognitoOptions['customAttributes'];
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
  /** The pool's groups; absent, the group operations take any name. */
  groups?: string[];
  /** The app client's PreventUserExistenceErrors is ENABLED (absent: LEGACY, Cognito's API default). */
  preventUserExistenceErrors?: boolean;
  /** The pool's AttributesRequireVerificationBeforeUpdate (e.g. `['email']`). */
  verifyBeforeUpdate?: string[];
  /**
   * Checks the SigV4 signature of IAM-authenticated operations (every
   * `Admin*`, ListUsers, ListUsersInGroup): over the raw request, for the
   * service `cognito-idp`. Without it and `authorizePrincipal`, those
   * operations are refused.
   */
  verifySigned?: SignedRequestVerifier;
  /** The IAM decision for `cognito-idp:<Operation>` on the user pool's ARN. */
  authorizePrincipal?: PrincipalAuthorizer;
  /** The account in the user pool's ARN. Default `000000000000`. */
  accountId?: string;
  /** Codes as they are sent, refused requests and unimplemented operations: one line each. */
  log?: (line: string) => void;
  /** The clock of lockouts, codes and challenges (tests move it). */
  now?: () => number;
  /**
   * The secret of the local admin credential: `GET /_local/codes` and the
   * local OIDC issuer's `POST /oidc/token` answer only a bearer of it.
   * Absent, both are refused.
   */
  codesSecret?: () => string;
  /** 0 picks a free port. */
  port?: number;
  /**
   * The issuer an API's OPENID_CONNECT mode names: a local issuer stands in
   * for it under `/oidc` on this server (see LocalOidcIssuer).
   */
  oidcIssuer?: string;
  /**
   * The pool's hosted UI (its domain, identity providers and the app
   * client's OAuth settings): `/oauth2/*` and `/logout` answer on this port
   * over HTTPS, with a local stand-in page for each provider.
   */
  oauth?: OAuthSettings;
  /** The app client's secret, if it has one: the token endpoint authenticates it. */
  clientSecret?: string;
  /** The local certificate: with it the port speaks HTTPS too (the hosted UI is HTTPS only). */
  tls?: { key: string; cert: string };
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
  /** The user pool's ARN: the resource IAM policies name for the admin operations. */
  userPoolArn: string;
  pool: CognitoUserPool;
  tokens: TokenIssuer;
  identityPool?: LocalIdentityPool;
  /** The local stand-in for the API's OIDC provider, when the API has that mode. */
  oidc?: LocalOidcIssuer;
  outbox: Outbox;
  /** `oauth.domain` for the outputs (`127.0.0.1:<port>`), when the pool has a hosted UI. */
  oauthDomain?: string;
  /** The hosted UI's operations: a hot reload gives them new settings. */
  hostedUi?: OAuthOperations;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
/** Past this much, an oversized body is not even drained: the connection is dropped. */
const MAX_DRAIN_BYTES = 16 * 1024 * 1024;
const USER_POOL_SERVICE = 'AWSCognitoIdentityProviderService';
const IDENTITY_SERVICE = 'AWSCognitoIdentityService';

/**
 * The user-pool operations Cognito serves without IAM: apps call them with
 * a client id, a session or an access token. Every other operation needs a
 * SigV4 signature and an IAM allow.
 */
const PUBLIC_OPERATIONS = new Set([
  'SignUp',
  'ConfirmSignUp',
  'ResendConfirmationCode',
  'InitiateAuth',
  'RespondToAuthChallenge',
  'GetTokensFromRefreshToken',
  'GetUser',
  'GlobalSignOut',
  'RevokeToken',
  'ForgotPassword',
  'ConfirmForgotPassword',
  'AssociateSoftwareToken',
  'VerifySoftwareToken',
  'SetUserMFAPreference',
  'ChangePassword',
  'DeleteUser',
  'UpdateUserAttributes',
  'VerifyUserAttribute',
  'GetUserAttributeVerificationCode',
  'DeleteUserAttributes',
  'ConfirmDevice',
  'ForgetDevice',
  'GetDevice',
  'ListDevices',
  'UpdateDeviceStatus',
]);

/** Headers only a signed request carries: a browser preflight that asks for them is refused. */
const SIGNING_HEADERS = new Set(['authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256']);

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'x-amzn-errortype, x-amzn-requestid',
};

/** An answer, and whether a browser may read it (public operations) or not (IAM ones). */
class Refusal extends Error {
  constructor(
    readonly error: CognitoError,
    readonly cors: boolean,
  ) {
    super(error.message);
  }
}

/** The body, refused past the limit with a 413 the client can read (the rest is drained, up to a bound). */
const readCapped = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > MAX_DRAIN_BYTES) req.destroy();
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES)
        reject(
          new CognitoError(
            'RequestEntityTooLargeException',
            `Request body is larger than ${MAX_BODY_BYTES} bytes.`,
            413,
          ),
        );
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });

const send = (
  res: ServerResponse,
  status: number,
  body: unknown,
  cors: boolean,
  extra: Record<string, string> = {},
) => {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': randomUUID(),
    ...(cors ? CORS : {}),
    ...extra,
  });
  res.end(JSON.stringify(body));
};

const sendError = (res: ServerResponse, error: CognitoError, cors: boolean) =>
  send(res, error.status, { __type: error.type, message: error.message }, cors, { 'x-amzn-errortype': error.type });

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const parseBody = (raw: Buffer): Record<string, unknown> => {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8') || '{}');
  } catch {
    throw new CognitoError('SerializationException', 'The request body is not valid JSON.');
  }
  if (!isRecord(body)) throw new CognitoError('SerializationException', 'The request body must be a JSON object.');
  return body;
};

/** Starts the local Cognito user pool on 127.0.0.1. */
export const startLocalAuth = async (options: LocalAuthOptions): Promise<LocalAuth> => {
  const dir = options.dataDir ? join(options.dataDir, 'auth') : undefined;
  const users = new UserStore(dir && join(dir, 'state.json'));
  const outbox = options.outbox ?? new Outbox(options.dataDir && join(options.dataDir, 'outbox.jsonl'));
  const log = options.log ?? (() => {});
  const region = options.userPoolId.split('_')[0] ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const poolArn = (poolId: string) => `arn:aws:cognito-idp:${region}:${accountId}:userpool/${poolId}`;
  let pool: CognitoUserPool | undefined;
  let tokens: TokenIssuer | undefined;
  let identityPool: LocalIdentityPool | undefined;
  let oidc: LocalOidcIssuer | undefined;
  let hostedUi: ReturnType<typeof oauthEndpoints> | undefined;
  let domainUrl = '';
  const jwksPath = `/${options.userPoolId}/.well-known/jwks.json`;

  const principalArn = (principal: LocalPrincipal): string =>
    principal.kind === 'admin' || !principal.roleArn
      ? `arn:aws:iam::${accountId}:user/${principal.name}`
      : `arn:aws:sts::${accountId}:assumed-role/${principal.roleArn.split('/').at(-1)}/${principal.name}`;

  /** SigV4 and IAM, as Cognito checks them for its admin operations. */
  const authenticate = (req: IncomingMessage, raw: Buffer, operation: string): void => {
    const signed = req.headers.authorization !== undefined || /[?&]X-Amz-Signature=/i.test(req.url ?? '');
    if (!options.verifySigned || !options.authorizePrincipal) {
      throw signed
        ? new CognitoError('UnrecognizedClientException', 'The security token included in the request is invalid.')
        : new CognitoError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    }
    let principal: LocalPrincipal;
    try {
      principal = options.verifySigned(
        { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body: raw },
        'cognito-idp',
      );
    } catch (error) {
      if (error instanceof SignedRequestError) throw new CognitoError(error.code, error.message, error.status);
      throw error;
    }
    // The resource is the pool the request names, as IAM sees it; a pool that is not this one fails afterwards.
    let named: unknown;
    try {
      named = JSON.parse(raw.toString('utf8')).UserPoolId;
    } catch {
      named = undefined;
    }
    const resource = poolArn(
      typeof named === 'string' && /^[\w-]+_[0-9a-zA-Z]+$/.test(named) ? named : options.userPoolId,
    );
    const action = `cognito-idp:${operation}`;
    const decision = options.authorizePrincipal(principal, { action, resource });
    if (decision !== 'Allow') {
      const why =
        decision === 'ExplicitDeny'
          ? `with an explicit deny in an identity-based policy`
          : `because no identity-based policy allows the ${action} action`;
      throw new CognitoError(
        'AccessDeniedException',
        `User: ${principalArn(principal)} is not authorized to perform: ${action} on resource: ${resource} ${why}`,
      );
    }
  };

  const preflight = (req: IncomingMessage, res: ServerResponse): void => {
    const requested = String(req.headers['access-control-request-headers'] ?? '')
      .toLowerCase()
      .split(',')
      .map((h) => h.trim())
      .filter((h) => h.length > 0);
    // Signed (IAM) operations are for SDKs and tools, not for web pages.
    if (requested.some((h) => SIGNING_HEADERS.has(h))) {
      log('user pool: refused a browser preflight for a signed request');
      res.writeHead(403).end();
      return;
    }
    res.writeHead(204, {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': requested.length > 0 ? requested.join(', ') : 'content-type, x-amz-target',
      'access-control-max-age': '86400',
    });
    res.end();
  };

  let codes: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;

  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Local-only: no CORS, not even for its preflight, so that no web page reads it.
    if ((req.url ?? '').split('?')[0]?.startsWith(CODES_PATH)) {
      if (codes) return codes(req, res);
      res.writeHead(404).end();
      return;
    }
    if (hostedUi && (await hostedUi.handle(req, res, () => domainUrl))) return;
    if (req.method === 'OPTIONS') return preflight(req, res);
    if (req.method === 'GET' && req.url === jwksPath && tokens) return send(res, 200, tokens.jwks(), true);
    if (oidc && (await oidc.handle(req, res, () => readCapped(req)))) return;
    const target = req.headers['x-amz-target'];
    const [service, operation, ...rest] = typeof target === 'string' ? target.split('.') : [];
    const handler = service === IDENTITY_SERVICE ? identityPool : service === USER_POOL_SERVICE ? pool : undefined;
    if (req.method !== 'POST' || !operation || rest.length > 0 || !handler) {
      throw new Refusal(
        new CognitoError('UnknownOperationException', 'Expected a POST with X-Amz-Target naming a Cognito operation.'),
        true,
      );
    }
    const iam = service === USER_POOL_SERVICE && !PUBLIC_OPERATIONS.has(operation);
    let raw: Buffer;
    try {
      raw = await readCapped(req);
    } catch (error) {
      throw error instanceof CognitoError ? new Refusal(error, !iam) : error;
    }
    try {
      if (iam) authenticate(req, raw, operation);
      const result = await handler.handle(operation, parseBody(raw));
      send(res, 200, result, !iam);
    } catch (error) {
      if (error instanceof CognitoError) {
        if (iam && error.type !== 'UserNotFoundException') log(`user pool: refused ${operation}: ${error.type}`);
        throw new Refusal(error, !iam);
      }
      throw error;
    }
  };

  const server = createServer((req, res) => {
    answer(req, res).catch((error: unknown) => {
      if (error instanceof Refusal) return sendError(res, error.error, error.cors);
      // The last resort: the request fails, the server keeps serving.
      log(`user pool: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      sendError(res, new CognitoError('InternalErrorException', 'Internal error.', 500), true);
    });
  });

  logRequests(server, 'cognito');
  // The HTTPS side gets the same request listeners, the request log's among them.
  const { url, close } = options.tls
    ? await listenLoopbackDual(server, options.tls, options.port)
    : await listenLoopback(server, options.port);
  const port = new URL(url).port;
  domainUrl = `https://127.0.0.1:${port}`;
  const issuer = `${url}/${options.userPoolId}`;
  codes = codesEndpoint({ url, outbox, users, secret: options.codesSecret, log });
  tokens = await TokenIssuer.create(issuer, dir && join(dir, 'signing-key.json'));
  tokens.groupRoles = options.groupRoles ?? {};
  pool = new CognitoUserPool({ ...options, users, tokens, outbox, log });
  if (options.oidcIssuer)
    oidc = await LocalOidcIssuer.create(
      options.oidcIssuer,
      `${url}/oidc`,
      dir && join(dir, 'oidc-signing-key.json'),
      options.codesSecret,
    );
  let operations: OAuthOperations | undefined;
  if (options.oauth) {
    const now = options.now ?? Date.now;
    const federation = new Federation({
      userPoolId: options.userPoolId,
      users,
      tokens,
      now,
      ...(options.postConfirmation ? { postConfirmation: options.postConfirmation } : {}),
    });
    operations = new OAuthOperations({
      userPoolId: options.userPoolId,
      clientId: options.clientId,
      ...(options.clientSecret !== undefined ? { clientSecret: options.clientSecret } : {}),
      settings: options.oauth,
      users,
      tokens,
      federation,
      now,
    });
    hostedUi = oauthEndpoints(operations, { userPoolId: options.userPoolId, issuer, log });
  }
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
    userPoolArn: poolArn(options.userPoolId),
    pool,
    tokens,
    identityPool,
    oidc,
    outbox,
    ...(operations ? { hostedUi: operations, oauthDomain: `127.0.0.1:${port}` } : {}),
    close,
  };
};
