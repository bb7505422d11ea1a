import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { type FragmentDefinitionNode, Kind, type SelectionSetNode } from 'graphql/index.js';
import { type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { type WebSocket, WebSocketServer } from 'ws';
import type { CredentialIdentity } from '../auth/identity-pool';
import { listenLoopback, readBody } from '../http/json-server';
import { SignatureError, verifySigV4 } from '../storage/sigv4';
import type { LocalTls } from '../tls';
import { type AppSyncError, formatErrors, type LocalGraphqlApi, projectSelection, type RequestContext } from './api';
import { matchesSubscriptionFilter } from './filters';
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

interface Subscription {
  id: string;
  socket: WebSocket;
  field: string;
  responseKey: string;
  selectionSet: SelectionSetNode | undefined;
  fragments: Record<string, FragmentDefinitionNode>;
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  filter: unknown;
  identity: RequestIdentity;
}

const MAX_BODY_BYTES = 1024 * 1024;
const KEEP_ALIVE_MS = 60_000;
const CONNECTION_TIMEOUT_MS = 300_000;

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
    region: string;
    accountId: string;
    identityPoolId: string;
    userPoolProvider: string;
  };
}): Promise<LocalGraphqlServer> => {
  const subscriptions = new Map<string, Subscription>();

  const identityOf = async (token: string | undefined, req: IncomingMessage): Promise<RequestIdentity> => ({
    claims: await verifyUserPoolToken(token, options.verifier),
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    headers: Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
    ),
  });

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
    try {
      const verified = verifySigV4(
        { method: signed.method, path, query, headers: signed.headers, bodyHash },
        (accessKeyId) => {
          issued = iam.lookup(accessKeyId);
          return issued;
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
    res.writeHead(status, {
      'content-type': 'application/json; charset=UTF-8',
      'access-control-allow-origin': '*',
      'x-amzn-requestid': randomUUID(),
    });
    res.end(JSON.stringify(body));
  };

  const publish = async (mutation: string, payload: unknown) => {
    const api = options.api();
    const fields = api.subscriptionsByMutation.get(mutation) ?? [];
    for (const subscription of subscriptions.values()) {
      if (!fields.includes(subscription.field)) continue;
      if (typeof payload !== 'object' || payload === null) continue;
      if (!matchesSubscriptionFilter(subscription.filter, { ...payload })) continue;
      const data = {
        [subscription.responseKey]: projectSelection(subscription.selectionSet, payload, subscription.fragments),
      };
      subscription.socket.send(JSON.stringify({ id: subscription.id, type: 'data', payload: { data } }));
    }
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
    let identity: RequestIdentity | undefined;
    // A JWT is checked before the body is read; a SigV4 signature covers the body, so it is read first.
    if (!signed) {
      try {
        identity = await identityOf(req.headers.authorization, req);
      } catch (error) {
        sendUnauthorized(res, error);
        return;
      }
    }
    let raw: Buffer;
    try {
      raw = await readBody(req, MAX_BODY_BYTES);
    } catch (error) {
      const tooLarge = error instanceof Error && error.name === 'RequestEntityTooLarge';
      send(res, tooLarge ? 413 : 400, {
        errors: [
          {
            errorType: tooLarge ? 'RequestEntityTooLargeException' : 'MalformedHttpRequestException',
            message: tooLarge ? 'Request body exceeds 1 MB.' : 'Invalid JSON payload in POST request.',
          },
        ],
      });
      return;
    }
    if (!identity) {
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
    let body: { query?: unknown; variables?: unknown; operationName?: unknown };
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      send(res, 400, {
        errors: [{ errorType: 'MalformedHttpRequestException', message: 'Invalid JSON payload in POST request.' }],
      });
      return;
    }
    if (typeof body?.query !== 'string') {
      send(res, 400, {
        errors: [{ errorType: 'MalformedHttpRequestException', message: 'The request has no query.' }],
      });
      return;
    }
    const variables =
      typeof body.variables === 'object' && body.variables !== null
        ? (body.variables as Record<string, unknown>)
        : undefined;
    const operationName = typeof body.operationName === 'string' ? body.operationName : undefined;
    const api = options.api();
    const { result, mutationEvents } = await api.execute(body.query, variables, operationName, {
      identity,
      phase: 'execute',
    });
    send(res, 200, { data: result.data ?? null, ...(result.errors ? { errors: formatErrors(result.errors) } : {}) });
    for (const event of mutationEvents) await publish(event.mutation, event.payload);
  };

  const server = createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error('local GraphQL:', error);
      if (!res.headersSent) send(res, 500, { errors: [{ errorType: 'InternalFailure', message: 'Internal error' }] });
    });
  });

  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has('graphql-ws') ? 'graphql-ws' : false),
  });

  server.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').split('?')[0] !== '/graphql/realtime') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', async (ws: WebSocket, req: IncomingMessage) => {
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    const header = protocols.find((p) => p.startsWith('header-'));
    // Listeners are attached before any await below: a client may send connection_init at once.
    const queued: Buffer[] = [];
    let deliver: ((raw: Buffer) => void) | undefined;
    ws.on('message', (raw: Buffer) => (deliver ? deliver(raw) : queued.push(raw)));
    let connectionIdentity: RequestIdentity | undefined;
    try {
      const parsed = header
        ? JSON.parse(Buffer.from(header.slice('header-'.length), 'base64url').toString('utf8'))
        : {};
      const token = parsed.Authorization ?? parsed.authorization;
      connectionIdentity = String(token ?? '').startsWith('AWS4-HMAC-SHA256')
        ? iamIdentity({ method: 'POST', url: '/graphql/connect', headers: lowerCased(parsed), body: '{}' }, req)
        : await identityOf(token, req);
    } catch (error) {
      ws.send(
        JSON.stringify({
          type: 'connection_error',
          payload: {
            errors: [
              { errorType: 'UnauthorizedException', message: error instanceof Error ? error.message : 'Unauthorized' },
            ],
          },
        }),
      );
      ws.close(1000);
      return;
    }
    const keepAlive = setInterval(() => ws.send(JSON.stringify({ type: 'ka' })), KEEP_ALIVE_MS);
    ws.on('close', () => {
      clearInterval(keepAlive);
      for (const [key, s] of subscriptions) if (s.socket === ws) subscriptions.delete(key);
    });
    deliver = (raw: Buffer) => void onMessage(raw);
    const onMessage = async (raw: Buffer) => {
      let message: {
        type?: string;
        id?: string;
        payload?: { data?: string; extensions?: { authorization?: Record<string, string> } };
      };
      try {
        message = JSON.parse(raw.toString());
      } catch {
        ws.send(
          JSON.stringify({
            type: 'error',
            payload: { errors: [{ errorType: 'MalformedMessage', message: 'Invalid JSON' }] },
          }),
        );
        return;
      }
      if (message.type === 'connection_init') {
        ws.send(JSON.stringify({ type: 'connection_ack', payload: { connectionTimeoutMs: CONNECTION_TIMEOUT_MS } }));
        return;
      }
      const id = message.id ?? '';
      const key = `${id}@${String(req.socket.remotePort)}`;
      if (message.type === 'stop') {
        subscriptions.delete(key);
        ws.send(JSON.stringify({ type: 'complete', id }));
        return;
      }
      if (message.type !== 'start') return;
      const fail = (errorType: string, text: string) =>
        ws.send(JSON.stringify({ type: 'error', id, payload: { errors: [{ errorType, message: text }] } }));
      let identity: RequestIdentity;
      try {
        const authorization = message.payload?.extensions?.authorization ?? {};
        identity = connectionIdentity
          ? String(authorization.Authorization ?? authorization.authorization ?? '').startsWith('AWS4-HMAC-SHA256')
            ? iamIdentity(
                {
                  method: 'POST',
                  url: '/graphql',
                  headers: lowerCased(authorization),
                  body: message.payload?.data ?? '',
                },
                req,
              )
            : await identityOf(authorization.Authorization ?? authorization.authorization, req)
          : await Promise.reject(new UnauthorizedError('Unauthorized'));
      } catch (error) {
        fail('UnauthorizedException', error instanceof Error ? error.message : 'Unauthorized');
        return;
      }
      let request: { query?: string; variables?: Record<string, unknown>; operationName?: string };
      try {
        request = JSON.parse(message.payload?.data ?? '{}');
      } catch {
        fail('MalformedMessage', 'The start payload data is not JSON');
        return;
      }
      const api = options.api();
      const prepared = api.prepare(String(request.query ?? ''), request.operationName);
      const field = prepared.operation?.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
      if (prepared.operation?.operation !== 'subscription' || field?.kind !== Kind.FIELD) {
        const errors = formatErrors(prepared.errors) ?? [
          { errorType: 'ValidationError', message: 'Expected a subscription' },
        ];
        ws.send(JSON.stringify({ type: 'error', id, payload: { errors } }));
        return;
      }
      const context: RequestContext = { identity, phase: 'subscribe' };
      const { result } = await api.execute(String(request.query), request.variables, request.operationName, context);
      if (result.errors && result.errors.length > 0) {
        ws.send(JSON.stringify({ type: 'error', id, payload: { errors: formatErrors(result.errors) } }));
        return;
      }
      subscriptions.set(key, {
        id,
        socket: ws,
        field: field.name.value,
        responseKey: field.alias?.value ?? field.name.value,
        selectionSet: field.selectionSet,
        fragments: Object.fromEntries(
          (prepared.document?.definitions ?? []).flatMap((d) =>
            d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d]] : [],
          ),
        ),
        query: String(request.query),
        variables: request.variables,
        operationName: request.operationName,
        filter: context.subscriptionFilter,
        identity,
      });
      ws.send(JSON.stringify({ type: 'start_ack', id }));
    };
    for (const raw of queued.splice(0)) deliver(raw);
  });

  const listening = await listenLoopback(server, options.port);
  const url = `${listening.url.replace('http://', 'https://')}/graphql`;
  return {
    url,
    realtimeUrl: `${url.replace('https://', 'wss://')}/realtime`,
    subscriptionCount: () => subscriptions.size,
    revalidate: () => {
      const api = options.api();
      let ended = 0;
      for (const [key, subscription] of subscriptions) {
        const { errors } = api.prepare(subscription.query, subscription.operationName);
        if (!errors?.length) continue;
        subscriptions.delete(key);
        ended++;
        const message = `The schema changed and this subscription no longer validates: ${errors.map((e) => e.message).join('; ')}`;
        subscription.socket.send(
          JSON.stringify({
            type: 'error',
            id: subscription.id,
            payload: { errors: [{ errorType: 'ValidationError', message }] },
          }),
        );
      }
      return ended;
    },
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await listening.close();
    },
  };
};

export type { AppSyncError };
