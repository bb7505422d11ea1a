import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { decodeJwt, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { WebSocketServer } from 'ws';
import type { CredentialIdentity } from '../auth/identity-pool';
import { listenLoopback } from '../http/json-server';
import { annotate, graphqlOperation, logRequests } from '../http/request-log';
import { SignatureError, verifySigV4 } from '../storage/sigv4';
import type { LocalTls } from '../tls';
import { type AppSyncError, formatErrors, type LocalGraphqlApi } from './api';
import { type AuthorizerRequest, LambdaAuthorizer } from './lambda-authorizer';
import { verifyOidcToken } from './oidc';
import { MAX_FRAME_BYTES, RealtimeHub } from './realtime';
import type { RequestIdentity } from './vtl';

/**
 * AppSync's two endpoints, locally: POST /graphql and the realtime WebSocket
 * at /graphql/realtime (the `graphql-ws` subprotocol with AppSync's own
 * messages: connection_init/ack, start/start_ack, data, ka, stop/complete,
 * and auth in a `header-<base64url>` subprotocol). Every token's signature,
 * expiry, issuer and audience is checked; subscribers get only the events
 * their subscription filter passes.
 */

export interface TokenVerifier {
  issuer: string;
  clientId: string;
  keys: JWTVerifyGetKey;
}

/** The body, or 'too large' as soon as it passes the limit (what follows is drained, not kept). */
const readRequestBody = (req: IncomingMessage, limit: number): Promise<Buffer | 'too large'> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size > limit) return;
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        resolve('too large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? 'too large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What a Lambda authorizer is told of a realtime start (its data) or connection (no query). */
const realtimeRequest = (data: string): Omit<AuthorizerRequest, 'headers'> => {
  let request: unknown;
  try {
    request = JSON.parse(data);
  } catch {
    request = undefined;
  }
  if (!isRecord(request)) return { queryString: '', variables: {} };
  return {
    queryString: typeof request.query === 'string' ? request.query : '',
    operationName: typeof request.operationName === 'string' ? request.operationName : undefined,
    variables: isRecord(request.variables) ? request.variables : {},
  };
};

/** Signed headers as a realtime client sends them (any case), as an HTTP server would receive them. */
const lowerCased = (headers: Record<string, unknown>): IncomingMessage['headers'] =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));

export class UnauthorizedError extends Error {
  override readonly name = 'UnauthorizedException';
}

/** Verifies a user-pool id or access token the way AppSync does; returns its claims. */
export const verifyUserPoolToken = async (token: string | undefined, verifier: TokenVerifier): Promise<JWTPayload> => {
  if (!token) throw new UnauthorizedError('Valid authorization header not provided.');
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token.replace(/^Bearer\s+/i, ''), verifier.keys, {
      issuer: verifier.issuer,
      algorithms: ['RS256'],
    }));
  } catch (error) {
    const expired = error instanceof Error && 'code' in error && error.code === 'ERR_JWT_EXPIRED';
    throw new UnauthorizedError(expired ? 'Token has expired.' : 'Valid authorization header not provided.');
  }
  const audience =
    payload.token_use === 'id' ? payload.aud : payload.token_use === 'access' ? payload.client_id : undefined;
  if (audience !== verifier.clientId) throw new UnauthorizedError('Valid authorization header not provided.');
  return payload;
};

const MAX_BODY_BYTES = 1024 * 1024;

export interface LocalGraphqlServer {
  url: string;
  realtimeUrl: string;
  /** Live subscriptions, for tests and the status line. */
  subscriptionCount(): number;
  /**
   * After the API changed (a hot reload): ends each subscription whose query
   * the new schema no longer validates, with an error to its client, and
   * returns how many it ended. The others keep their sockets and filters.
   */
  revalidate(): number;
  close(): Promise<void>;
}

export const startGraphqlServer = async (options: {
  api: () => LocalGraphqlApi;
  verifier: TokenVerifier;
  tls: LocalTls;
  port?: number;
  /** AWS_IAM requests: SigV4 with identity-pool credentials. Absent, signed requests are refused. */
  iam?: {
    lookup(accessKeyId: string): CredentialIdentity | undefined;
    /**
     * A signer outside the identity pool (a function's role): its secret,
     * session and role, and IAM's decision on `appsync:GraphQL` for a field ARN.
     */
    lookupRole?(accessKeyId: string):
      | {
          secretAccessKey: string;
          sessionToken?: string;
          roleArn: string;
          session: string;
          allows(fieldArn: string): boolean;
        }
      | undefined;
    apiId?: string;
    region: string;
    accountId: string;
    identityPoolId: string;
    userPoolProvider: string;
  };
  /**
   * OPENID_CONNECT: the keys of the local issuer that stands in for the one
   * the template names. Absent, OIDC tokens are refused.
   */
  oidcKeys?: JWTVerifyGetKey;
}): Promise<LocalGraphqlServer> => {
  const headersOf = (req: IncomingMessage): Record<string, string> =>
    Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));

  /** A JWT of the API's OIDC issuer, told apart from a user pool's by its (unverified) `iss`. */
  const isOidcToken = (token: string): boolean => {
    const oidc = options.api().auth.oidc;
    if (!oidc || !options.oidcKeys) return false;
    try {
      return decodeJwt(token.replace(/^Bearer\s+/i, '')).iss === oidc.issuer;
    } catch {
      return false;
    }
  };

  /** Whether the API has a mode among its default and additional ones. */
  const enabled = (mode: string): boolean => {
    const auth = options.api().auth;
    return auth.defaultMode === mode || auth.additionalModes.some((m) => m === mode);
  };

  /**
   * An `Authorization` header that is no SigV4: a JWT of the user pool or of
   * the OIDC issuer, or else, on an API with AWS_LAMBDA, a token for its
   * authorizer (which needs the request, so it is read first).
   */
  const tokenKind = (token: string | undefined): 'userPool' | 'oidc' | 'lambda' => {
    if (token && isOidcToken(token)) return 'oidc';
    if (token === undefined || !enabled('AWS_LAMBDA')) return 'userPool';
    try {
      return decodeJwt(token.replace(/^Bearer\s+/i, '')).iss === options.verifier.issuer ? 'userPool' : 'lambda';
    } catch {
      return 'lambda';
    }
  };

  const identityOf = async (token: string | undefined, req: IncomingMessage): Promise<RequestIdentity> => {
    const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';
    const oidc = options.api().auth.oidc;
    if (token && oidc && options.oidcKeys && isOidcToken(token)) {
      if (!enabled('OPENID_CONNECT')) throw new UnauthorizedError('Valid authorization header not provided.');
      return {
        claims: await verifyOidcToken(token, oidc, options.oidcKeys),
        oidc: true,
        sourceIp,
        headers: headersOf(req),
      };
    }
    return { claims: await verifyUserPoolToken(token, options.verifier), sourceIp, headers: headersOf(req) };
  };

  const authorizers = new WeakMap<LocalGraphqlApi, LambdaAuthorizer>();
  /** The caller of an AWS_LAMBDA request: the authorizer's decision for its token and this request. */
  const lambdaIdentity = async (
    token: string,
    request: Omit<AuthorizerRequest, 'headers'>,
    req: IncomingMessage,
  ): Promise<RequestIdentity> => {
    const api = options.api();
    const settings = api.auth.lambda;
    if (!settings) throw new UnauthorizedError('Valid authorization header not provided.');
    let authorizer = authorizers.get(api);
    if (!authorizer) {
      authorizer = new LambdaAuthorizer({
        fn: () => api.authorizerFunction(),
        ttlSeconds: settings.ttlSeconds,
        identityValidationExpression: settings.identityValidationExpression,
        api: api.coordinates,
      });
      authorizers.set(api, authorizer);
    }
    const headers = headersOf(req);
    const decision = await authorizer.authorize(token, { ...request, headers });
    return {
      claims: {},
      lambda: { resolverContext: decision.resolverContext, deniedFields: decision.deniedFields },
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      headers,
    };
  };

  /**
   * A caller that sends `x-api-key`: one of the API's keys, before it expires,
   * on an API with API_KEY among its modes. AppSync gives it no identity.
   */
  const apiKeyIdentity = (key: string, req: IncomingMessage): RequestIdentity => {
    const auth = options.api().auth;
    const enabled = auth.defaultMode === 'API_KEY' || auth.additionalModes.includes('API_KEY');
    const known = auth.apiKeys.find((k) => k.id === key);
    if (!enabled || !known || known.expires * 1000 <= Date.now())
      throw new UnauthorizedError('You are not authorized to make this call.');
    return {
      claims: {},
      apiKey: true,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
      ),
    };
  };

  /**
   * The `$ctx.identity` of a request signed (SigV4, service appsync) with
   * identity-pool credentials: an HTTP request, or the headers a realtime
   * client signs for `POST /graphql/connect` (the connection) or
   * `POST /graphql` (each subscription, over its data).
   */
  const iamIdentity = (
    signed: { method: string; url: string; headers: IncomingMessage['headers']; body: Buffer | string },
    req: IncomingMessage,
  ): RequestIdentity => {
    const iam = options.iam;
    if (!iam) throw new UnauthorizedError('IAM authorization is not enabled for this API.');
    const [path = '/', query = ''] = signed.url.split('?');
    const bodyHash = createHash('sha256').update(signed.body).digest('hex');
    let issued: CredentialIdentity | undefined;
    let role: ReturnType<NonNullable<typeof iam.lookupRole>>;
    try {
      const verified = verifySigV4(
        { method: signed.method, path, query, headers: signed.headers, bodyHash },
        (accessKeyId) => {
          issued = iam.lookup(accessKeyId);
          role = issued ? undefined : iam.lookupRole?.(accessKeyId);
          return issued ?? role;
        },
        { region: iam.region, service: 'appsync' },
      );
      if (verified.payloadHash !== bodyHash) throw new SignatureError('InvalidSignatureException', 'body changed');
    } catch (error) {
      if (!(error instanceof SignatureError)) throw error;
      throw new UnauthorizedError(
        'The request signature we calculated does not match the signature you provided, or the security token is invalid.',
      );
    }
    if (!issued && role) {
      const { roleArn, session, allows } = role;
      const name = roleArn.split('/').at(-1) ?? roleArn;
      const fieldArn = (type: string, field: string) =>
        `arn:aws:appsync:${iam.region}:${iam.accountId}:apis/${iam.apiId ?? ''}/types/${type}/fields/${field}`;
      return {
        claims: {},
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        headers: headersOf(req),
        iam: {
          accountId: iam.accountId,
          username: `${name}:${session}`,
          userArn: `arn:aws:sts::${iam.accountId}:assumed-role/${name}/${session}`,
          cognitoIdentityPoolId: null,
          cognitoIdentityId: null,
          cognitoIdentityAuthType: null,
          cognitoIdentityAuthProvider: null,
        },
        iamAllows: (type, field) => allows(fieldArn(type, field)),
      };
    }
    if (!issued) throw new UnauthorizedError('The security token included in the request is invalid.');
    const roleName = issued.roleArn.split('/').at(-1) ?? issued.roleArn;
    return {
      claims: {},
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
      ),
      iam: {
        accountId: iam.accountId,
        username: `${roleName}:CognitoIdentityCredentials`,
        userArn: `arn:aws:sts::${iam.accountId}:assumed-role/${roleName}/CognitoIdentityCredentials`,
        cognitoIdentityPoolId: iam.identityPoolId,
        cognitoIdentityId: issued.identityId,
        cognitoIdentityAuthType: issued.authenticated ? 'authenticated' : 'unauthenticated',
        cognitoIdentityAuthProvider:
          issued.authenticated && issued.sub
            ? `"${iam.userPoolProvider}","${iam.userPoolProvider}:CognitoSignIn:${issued.sub}"`
            : null,
      },
    };
  };

  const sendUnauthorized = (res: ServerResponse, error: unknown) =>
    send(res, 401, {
      errors: [
        { errorType: 'UnauthorizedException', message: error instanceof Error ? error.message : 'Unauthorized' },
      ],
    });

  const send = (res: ServerResponse, status: number, body: unknown) => {
    // AppSync names a refused request's error in x-amzn-ErrorType too; clients (Amplify) read it from there.
    const first = status >= 400 && isRecord(body) && Array.isArray(body.errors) ? body.errors[0] : undefined;
    const errorType = isRecord(first) && typeof first.errorType === 'string' ? first.errorType : undefined;
    res.writeHead(status, {
      'content-type': 'application/json; charset=UTF-8',
      'access-control-allow-origin': '*',
      'x-amzn-requestid': randomUUID(),
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-headers': '*',
        'access-control-allow-methods': 'POST, OPTIONS',
      });
      res.end();
      return;
    }
    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/graphql') {
      send(res, 404, { errors: [{ errorType: 'NotFound', message: 'Use POST /graphql' }] });
      return;
    }
    const signed = (req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256');
    const apiKey = req.headers['x-api-key'];
    const usesApiKey = req.headers.authorization === undefined && typeof apiKey === 'string';
    // A Lambda authorizer is told the request: it runs once the body is parsed.
    const lambdaToken =
      !signed && !usesApiKey && tokenKind(req.headers.authorization) === 'lambda'
        ? req.headers.authorization
        : undefined;
    let identity: RequestIdentity | undefined;
    // A JWT or an API key is checked before the body is read; a SigV4 signature covers the body, so it is read first.
    if (!signed && lambdaToken === undefined) {
      try {
        identity =
          req.headers.authorization === undefined && typeof apiKey === 'string'
            ? apiKeyIdentity(apiKey, req)
            : await identityOf(req.headers.authorization, req);
      } catch (error) {
        sendUnauthorized(res, error);
        return;
      }
    }
    let raw: Buffer | 'too large';
    try {
      raw = await readRequestBody(req, MAX_BODY_BYTES);
    } catch {
      send(res, 400, {
        errors: [{ errorType: 'MalformedHttpRequestException', message: 'Invalid JSON payload in POST request.' }],
      });
      return;
    }
    if (raw === 'too large') {
      // Answered, not cut off: the rest of the body is read and dropped, then the connection closes.
      res.setHeader('connection', 'close');
      send(res, 413, {
        errors: [{ errorType: 'RequestEntityTooLargeException', message: 'Request body exceeds 1 MB.' }],
      });
      return;
    }
    if (!identity && signed) {
      try {
        identity = iamIdentity(
          { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body: raw },
          req,
        );
      } catch (error) {
        sendUnauthorized(res, error);
        return;
      }
    }
    // AppSync's answers to a body that is no GraphQL request (graphql/graphql-over-http#81).
    const malformed = (message: string) =>
      send(res, 400, { errors: [{ errorType: 'MalformedHttpRequestException', message }] });
    if (raw.length === 0) {
      malformed('Request body is empty.');
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      malformed('Unable to parse GraphQL query.');
      return;
    }
    if (
      !isRecord(body) ||
      typeof body.query !== 'string' ||
      (body.variables !== undefined && body.variables !== null && !isRecord(body.variables)) ||
      (body.operationName !== undefined && body.operationName !== null && typeof body.operationName !== 'string')
    ) {
      malformed('Unable to parse GraphQL query.');
      return;
    }
    const variables = isRecord(body.variables) ? body.variables : undefined;
    const operationName = typeof body.operationName === 'string' ? body.operationName : undefined;
    annotate(req, { operation: graphqlOperation(body.query, operationName) });
    if (lambdaToken !== undefined) {
      try {
        identity = await lambdaIdentity(
          lambdaToken,
          { queryString: body.query, operationName, variables: variables ?? {} },
          req,
        );
      } catch (error) {
        sendUnauthorized(res, error);
        return;
      }
    }
    if (!identity) {
      sendUnauthorized(res, new UnauthorizedError('Valid authorization header not provided.'));
      return;
    }
    const api = options.api();
    const { result, mutationEvents } = await api.execute(body.query, variables, operationName, {
      identity,
      phase: 'execute',
    });
    send(res, 200, { data: result.data ?? null, ...(result.errors ? { errors: formatErrors(result.errors) } : {}) });
    for (const event of mutationEvents) hub.publish(event.mutation, event.payload);
  };

  const server = createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error('local GraphQL:', error);
      if (!res.headersSent) send(res, 500, { errors: [{ errorType: 'InternalFailure', message: 'Internal error' }] });
    });
  });

  logRequests(server, 'graphql', () => 'POST /graphql');

  const hub = new RealtimeHub({
    api: options.api,
    // The connection's headers (signed for /graphql/connect) or a start's (signed with its data, for /graphql).
    authenticate: async (headers, signed, req) => {
      const token = headers.Authorization ?? headers.authorization;
      const apiKey = headers['x-api-key'] ?? headers['X-Api-Key'];
      if (token === undefined && typeof apiKey === 'string') return apiKeyIdentity(apiKey, req);
      if (typeof token === 'string' && token.startsWith('AWS4-HMAC-SHA256'))
        return iamIdentity({ method: 'POST', url: signed.url, headers: lowerCased(headers), body: signed.body }, req);
      if (typeof token === 'string' && tokenKind(token) === 'lambda')
        return lambdaIdentity(token, realtimeRequest(signed.body), req);
      return identityOf(typeof token === 'string' ? token : undefined, req);
    },
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    handleProtocols: (protocols) => (protocols.has('graphql-ws') ? 'graphql-ws' : false),
  });
  wss.on('error', (error) => console.error('local GraphQL: realtime server error:', error));

  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    if ((req.url ?? '').split('?')[0] !== '/graphql/realtime') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => hub.accept(ws, req));
  });

  const listening = await listenLoopback(server, options.port);
  const url = `${listening.url.replace('http://', 'https://')}/graphql`;
  return {
    url,
    realtimeUrl: `${url.replace('https://', 'wss://')}/realtime`,
    subscriptionCount: () => hub.subscriptionCount(),
    revalidate: () => hub.revalidate(),
    close: async () => {
      hub.close();
      for (const client of wss.clients) client.terminate();
      wss.close();
      await listening.close();
    },
  };
};

export type { AppSyncError };
