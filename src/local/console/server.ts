import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import {
  AdminAddUserToGroupCommand,
  AdminConfirmSignUpCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  ListGroupsCommand,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { type AttributeValue, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpError, listenLoopback, readBody } from '../http/json-server';
import { logRequests, type RequestLog } from '../http/request-log';
import type { LocalCredential } from '../iam/credentials';
import type { Outbox } from '../outbox';
import type { DeadLetter } from '../streams';
import { ConsoleSessions, cookieValue, hostAllowed, isStateChanging, originAllowed, SESSION_COOKIE } from './access';
import { type ConsoleBundle, consoleBundle } from './bundle';
import type { ConsoleModel } from './models';
import { relaySubscription } from './subscriptions';

/**
 * The local console: a web page (React, Amplify UI, GraphiQL) and the JSON
 * API it calls, on 127.0.0.1. Users go through the local Cognito's admin
 * operations, records through DynamoDB, files through S3, each with the local
 * admin credential, as a tool would; the rest reads the backend's own state.
 */

export interface InvokeResult {
  ok: boolean;
  result?: unknown;
  error?: { type: string; message: string };
  logs: string;
  ms: number;
}

/** What the console reads and drives; the backend provides it (tests provide their own parts). */
export interface ConsoleSources {
  region: string;
  adminCredentials(): LocalCredential;
  userPool: { url: string; id: string };
  /** Tokens for a user, as a sign-in issues them (the explorer's "signed in as"). */
  signIn(username: string): Promise<{ IdToken: string; AccessToken: string; ExpiresIn: number }>;
  dynamodbUrl: string;
  models(): ConsoleModel[];
  /** A model's record edits, as the API writes its table (see records.ts). */
  records(model: ConsoleModel): {
    put(model: ConsoleModel, item: Json): Promise<unknown>;
    remove(key: Json): Promise<void>;
  };
  storage?: { url: string; caFile: string; buckets(): string[] };
  graphql?: { url: string; realtimeUrl: string; caFile: string };
  outbox: Outbox;
  deadLetters(): DeadLetter[];
  replay(letter: DeadLetter): Promise<InvokeResult>;
  functions(): Array<{ id: string; name: string }>;
  invoke(name: string, event: unknown): Promise<InvokeResult>;
  searchDocuments(): Array<{ engine: string; index: string; id: string; fields: unknown }>;
  requestLog: RequestLog;
}

export interface LocalConsoleOptions {
  sources: ConsoleSources;
  /** Where the UI bundle is cached (`<project>/.amplify/console`). */
  cacheDir: string;
  port?: number;
}

export interface LocalConsole {
  url: string;
  /** The one-time login link (the banner prints it); each call after a login gives the next one. */
  loginUrl(): string;
  /** The UI bundle: built on the first page load, or read from the cache. */
  bundle: ConsoleBundle;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A DynamoDB key as the console's cursor carries it: each attribute one typed value. */
const isAttributeMap = (value: unknown): value is Record<string, AttributeValue> =>
  isRecord(value) && Object.values(value).every((v) => isRecord(v) && Object.keys(v).length === 1);

/** Explorer subscriptions relayed at once (each holds a realtime connection). */
const MAX_RELAYS = 8;

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
};

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...SECURITY_HEADERS, ...headers });
  res.end(JSON.stringify(body));
};

const sendHtml = (res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS, ...headers });
  res.end(html);
};

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const LOGIN_PAGE = (
  message: string,
) => `<!doctype html><html><head><meta charset="utf-8"><title>Local console: sign in</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}input{width:100%;padding:.5rem;margin:.5rem 0}</style></head>
<body><h1>Local console</h1><p>${escapeHtml(message)}</p>
<p>Open the console link that <code>npm start</code> printed, or paste the local admin secret
(<code>secretAccessKey</code> in <code>&lt;data dir&gt;/admin-credentials.json</code>):</p>
<form method="post" action="/login"><input type="password" name="secret" autocomplete="off" aria-label="admin secret"><button type="submit">Sign in</button></form></body></html>`;

const APP_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Local console</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/assets/console.css"></head>
<body><div id="root"></div><script src="/assets/console.js"></script></body></html>`;

/** A JSON body: an object, or a 400. */
const jsonBody = async (req: IncomingMessage): Promise<Json> => {
  const raw = await readBody(req, 1024 * 1024);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8') || '{}');
  } catch {
    throw new HttpError(400, 'BadRequest', 'The body is not valid JSON.');
  }
  if (!isRecord(parsed)) throw new HttpError(400, 'BadRequest', 'The body must be a JSON object.');
  return parsed;
};

const text = (value: unknown, name: string, max = 2048): string => {
  if (typeof value !== 'string' || value.length === 0 || value.length > max)
    throw new HttpError(400, 'BadRequest', `${name} must be a non-empty string of at most ${max} characters.`);
  return value;
};

/** An AWS SDK error as the console answers it: the service's own status and type. */
const sdkFailure = (error: unknown): HttpError => {
  if (error instanceof HttpError) return error;
  if (error instanceof Error && isRecord(Reflect.get(error, '$metadata'))) {
    const status = Number(Reflect.get(Reflect.get(error, '$metadata'), 'httpStatusCode') ?? 500);
    return new HttpError(status >= 400 && status < 600 ? status : 500, error.name, error.message);
  }
  return new HttpError(500, 'InternalFailure', error instanceof Error ? error.message : String(error));
};

export const startLocalConsole = async (options: LocalConsoleOptions): Promise<LocalConsole> => {
  const { sources } = options;
  const sessions = new ConsoleSessions(() => sources.adminCredentials().secretAccessKey);
  const bundle = consoleBundle(options.cacheDir);
  let port = options.port ?? 0;
  const replayed = new Map<number, { at: string; ok: boolean }>();
  const signedIn = new Map<string, { tokens: { AccessToken: string; ExpiresIn: number }; until: number }>();

  const credentials = async () => ({ ...sources.adminCredentials() });
  const cognito = new CognitoIdentityProviderClient({
    endpoint: sources.userPool.url,
    region: sources.region,
    credentials,
  });
  const dynamodb = new DynamoDBClient({ endpoint: sources.dynamodbUrl, region: sources.region, credentials });
  const s3 = sources.storage
    ? new S3Client({
        endpoint: sources.storage.url,
        region: sources.region,
        forcePathStyle: true,
        credentials,
        requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: readFileSync(sources.storage.caFile) }) }),
      })
    : undefined;
  const graphqlCa = sources.graphql ? readFileSync(sources.graphql.caFile) : undefined;
  const graphqlAgent = graphqlCa ? new Agent({ ca: graphqlCa }) : undefined;
  const poolId = sources.userPool.id;

  const modelNamed = (name: string): ConsoleModel => {
    const model = sources.models().find((m) => m.name === name);
    if (!model) throw new HttpError(404, 'NotFound', `No model ${name}.`);
    return model;
  };

  const keyOf = (model: ConsoleModel, value: unknown): Json => {
    if (!isRecord(value))
      throw new HttpError(400, 'BadRequest', `key must be an object with ${model.keys.join(', ')}.`);
    const key: Json = {};
    for (const name of model.keys) {
      if (value[name] === undefined) throw new HttpError(400, 'BadRequest', `The key needs ${name}.`);
      key[name] = value[name];
    }
    return key;
  };

  const bucketNamed = (name: string | null): string => {
    if (!sources.storage || !s3) throw new HttpError(404, 'NotFound', 'This backend has no storage.');
    if (!name || !sources.storage.buckets().includes(name)) throw new HttpError(404, 'NotFound', `No bucket ${name}.`);
    return name;
  };

  const users = async () => {
    const listed: Json[] = [];
    let token: string | undefined;
    for (let page = 0; page < 20; page++) {
      const answer = await cognito.send(
        new ListUsersCommand({ UserPoolId: poolId, Limit: 60, PaginationToken: token }),
      );
      for (const user of answer.Users ?? []) {
        const groups = await cognito.send(
          new AdminListGroupsForUserCommand({ UserPoolId: poolId, Username: user.Username ?? '' }),
        );
        listed.push({
          username: user.Username,
          status: user.UserStatus,
          enabled: user.Enabled,
          created: user.UserCreateDate?.toISOString(),
          attributes: Object.fromEntries((user.Attributes ?? []).map((a) => [a.Name, a.Value])),
          groups: (groups.Groups ?? []).map((g) => g.GroupName),
        });
      }
      token = answer.PaginationToken;
      if (!token) break;
    }
    const groups = await cognito.send(new ListGroupsCommand({ UserPoolId: poolId }));
    return { users: listed, groups: (groups.Groups ?? []).map((g) => g.GroupName) };
  };

  /** The picked user's tokens: one sign-in per user while its tokens last (each sign-in keeps a session in the pool). */
  const tokensFor = async (as: string) => {
    const cached = signedIn.get(as);
    const tokens = cached && cached.until > Date.now() ? cached.tokens : await sources.signIn(as);
    if (tokens !== cached?.tokens) signedIn.set(as, { tokens, until: Date.now() + (tokens.ExpiresIn - 300) * 1000 });
    return tokens;
  };

  /** The explorer's request, sent to the GraphQL server with the picked user's access token. */
  const graphql = async (body: Json): Promise<{ status: number; body: unknown }> => {
    if (!sources.graphql || !graphqlAgent) throw new HttpError(404, 'NotFound', 'This backend has no GraphQL API.');
    const tokens = await tokensFor(text(body.as, 'as', 128));
    const payload = JSON.stringify({
      query: body.query,
      variables: body.variables ?? undefined,
      operationName: body.operationName ?? undefined,
    });
    const target = new URL(sources.graphql.url);
    return new Promise((resolve, reject) => {
      const outgoing = httpsRequest(
        target,
        {
          method: 'POST',
          agent: graphqlAgent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            authorization: tokens.AccessToken,
          },
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (c: Buffer) => chunks.push(c));
          answer.on('end', () => {
            try {
              resolve({ status: answer.statusCode ?? 502, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
            } catch {
              resolve({ status: 502, body: { errors: [{ message: 'The GraphQL server answered no JSON.' }] } });
            }
          });
          answer.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  };

  /** The explorer's subscriptions, relayed from the realtime endpoint as server-sent events (see subscriptions.ts). */
  let relays = 0;
  const subscribe = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const api = sources.graphql;
    if (!api || !graphqlCa) throw new HttpError(404, 'NotFound', 'This backend has no GraphQL API.');
    const body = await jsonBody(req);
    const query = text(body.query, 'query', 100_000);
    const tokens = await tokensFor(text(body.as, 'as', 128));
    if (relays >= MAX_RELAYS)
      throw new HttpError(429, 'TooManyRequests', `At most ${MAX_RELAYS} explorer subscriptions at a time.`);
    relays += 1;
    res.on('close', () => {
      relays -= 1;
    });
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
      ...SECURITY_HEADERS,
    });
    relaySubscription(
      { realtimeUrl: api.realtimeUrl, graphqlUrl: api.url, ca: graphqlCa },
      { token: tokens.AccessToken, query, variables: body.variables },
      res,
    );
  };

  const events = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
      ...SECURITY_HEADERS,
    });
    const after = Number(req.headers['last-event-id'] ?? 0) || 0;
    const write = (event: { id: number }) => res.write(`id: ${event.id}\ndata: ${JSON.stringify(event)}\n\n`);
    for (const event of sources.requestLog.recent(after)) write(event);
    const unsubscribe = sources.requestLog.subscribe((event) => {
      // The stream's own requests would echo forever.
      if (event.service !== 'console' || !event.operation.includes('/api/requests')) write(event);
    });
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    ping.unref();
    res.on('close', () => {
      clearInterval(ping);
      unsubscribe();
    });
  };

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const parts = url.pathname.split('/').slice(2).map(decodeURIComponent);
    const route = `${method} /${parts.map((p, i) => (i > 0 && !['confirm', 'enable', 'disable', 'groups', 'tokens', 'records', 'replay', 'invoke', 'object', 'stream', 'subscribe'].includes(p) ? ':' : p)).join('/')}`;
    const [, a = '', , c = ''] = parts;
    // A change to a user (groups, disabled, deleted) is in the explorer's next tokens.
    if (parts[0] === 'users' && method !== 'GET') signedIn.clear();
    switch (route) {
      case 'GET /overview':
        return send(res, 200, {
          region: sources.region,
          userPoolId: poolId,
          models: sources.models().map((m) => m.name),
          buckets: sources.storage?.buckets() ?? [],
          functions: sources.functions(),
          graphql: sources.graphql !== undefined,
        });
      case 'GET /users':
        return send(res, 200, await users());
      case 'POST /users': {
        const body = await jsonBody(req);
        const username = text(body.username, 'username', 128);
        const attributes = isRecord(body.attributes) ? body.attributes : {};
        const created = await cognito.send(
          new AdminCreateUserCommand({
            UserPoolId: poolId,
            Username: username,
            UserAttributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value: String(Value) })),
            ...(typeof body.temporaryPassword === 'string' ? { TemporaryPassword: body.temporaryPassword } : {}),
          }),
        );
        if (typeof body.password === 'string')
          await cognito.send(
            new AdminSetUserPasswordCommand({
              UserPoolId: poolId,
              Username: username,
              Password: body.password,
              Permanent: true,
            }),
          );
        return send(res, 201, { username: created.User?.Username, status: created.User?.UserStatus });
      }
      case 'POST /users/:/confirm':
        await cognito.send(new AdminConfirmSignUpCommand({ UserPoolId: poolId, Username: a }));
        return send(res, 200, {});
      case 'POST /users/:/enable':
        await cognito.send(new AdminEnableUserCommand({ UserPoolId: poolId, Username: a }));
        return send(res, 200, {});
      case 'POST /users/:/disable':
        await cognito.send(new AdminDisableUserCommand({ UserPoolId: poolId, Username: a }));
        return send(res, 200, {});
      case 'POST /users/:/groups': {
        const group = text((await jsonBody(req)).group, 'group', 128);
        await cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: a, GroupName: group }));
        return send(res, 200, {});
      }
      case 'DELETE /users/:/groups/:':
        await cognito.send(new AdminRemoveUserFromGroupCommand({ UserPoolId: poolId, Username: a, GroupName: c }));
        return send(res, 200, {});
      case 'DELETE /users/:':
        await cognito.send(new AdminDeleteUserCommand({ UserPoolId: poolId, Username: a }));
        return send(res, 200, {});
      case 'POST /users/:/tokens':
        return send(res, 200, await sources.signIn(a));
      case 'GET /models':
        return send(res, 200, { models: sources.models() });
      case 'GET /models/:/records': {
        const model = modelNamed(a);
        const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 50) || 50, 1), 500);
        const next = url.searchParams.get('next');
        let start: unknown;
        try {
          start = next ? JSON.parse(Buffer.from(next, 'base64url').toString('utf8')) : undefined;
        } catch {
          throw new HttpError(400, 'BadRequest', 'next is not a cursor this console gave.');
        }
        const page = await dynamodb.send(
          new ScanCommand({
            TableName: model.table,
            Limit: limit,
            ...(isAttributeMap(start) ? { ExclusiveStartKey: start } : {}),
          }),
        );
        return send(res, 200, {
          model: model.name,
          owners: model.ownerFields,
          records: (page.Items ?? []).map((item) => unmarshall(item)),
          next: page.LastEvaluatedKey
            ? Buffer.from(JSON.stringify(page.LastEvaluatedKey)).toString('base64url')
            : undefined,
        });
      }
      case 'PUT /models/:/records': {
        const model = modelNamed(a);
        const item = (await jsonBody(req)).item;
        keyOf(model, item);
        if (!isRecord(item)) throw new HttpError(400, 'BadRequest', 'item must be an object.');
        return send(res, 200, { item: await sources.records(model).put(model, item) });
      }
      case 'DELETE /models/:/records': {
        const model = modelNamed(a);
        const key = keyOf(model, (await jsonBody(req)).key);
        await sources.records(model).remove(key);
        return send(res, 200, {});
      }
      case 'GET /files': {
        const buckets = sources.storage?.buckets() ?? [];
        const prefix = url.searchParams.get('prefix') ?? undefined;
        const listed = [];
        for (const bucket of buckets) {
          const page = await s3?.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1000 }));
          listed.push({
            bucket,
            truncated: page?.IsTruncated === true,
            objects: (page?.Contents ?? []).map((o) => ({
              key: o.Key,
              size: o.Size,
              modified: o.LastModified?.toISOString(),
            })),
          });
        }
        return send(res, 200, { buckets: listed });
      }
      case 'GET /files/object': {
        const bucket = bucketNamed(url.searchParams.get('bucket'));
        const key = text(url.searchParams.get('key'), 'key', 1024);
        const object = await s3?.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const bytes = await object?.Body?.transformToByteArray();
        res.writeHead(200, {
          ...SECURITY_HEADERS,
          // Shown as a download, never rendered on the console's origin.
          'content-type': 'application/octet-stream',
          'content-disposition': `attachment; filename="${(key.split('/').at(-1) ?? 'file').replace(/[^\w.-]/g, '_')}"`,
        });
        res.end(Buffer.from(bytes ?? new Uint8Array()));
        return;
      }
      case 'PUT /files/object': {
        const bucket = bucketNamed(url.searchParams.get('bucket'));
        const key = text(url.searchParams.get('key'), 'key', 1024);
        const body = await readBody(req, 64 * 1024 * 1024);
        await s3?.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentType: String(req.headers['content-type'] ?? 'application/octet-stream'),
          }),
        );
        return send(res, 200, { bucket, key, size: body.length });
      }
      case 'DELETE /files/object': {
        const bucket = bucketNamed(url.searchParams.get('bucket'));
        const key = text(url.searchParams.get('key'), 'key', 1024);
        await s3?.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        return send(res, 200, {});
      }
      case 'GET /outbox':
        return send(res, 200, { messages: sources.outbox.list() });
      case 'GET /dead-letters':
        return send(res, 200, {
          letters: sources.deadLetters().map((letter, index) => ({ index, ...letter, replayed: replayed.get(index) })),
        });
      case 'POST /dead-letters/:/replay': {
        const index = Number(a);
        const letter = Number.isInteger(index) ? sources.deadLetters()[index] : undefined;
        if (!letter) throw new HttpError(404, 'NotFound', `No dead letter ${a}.`);
        const result = await sources.replay(letter);
        replayed.set(index, { at: new Date().toISOString(), ok: result.ok });
        return send(res, 200, result);
      }
      case 'GET /search':
        return send(res, 200, { documents: sources.searchDocuments() });
      case 'GET /requests':
        return send(res, 200, { requests: sources.requestLog.recent(Number(url.searchParams.get('after') ?? 0) || 0) });
      case 'GET /requests/stream':
        return events(req, res);
      case 'GET /functions':
        return send(res, 200, { functions: sources.functions() });
      case 'POST /functions/:/invoke': {
        if (!sources.functions().some((f) => f.name === a || f.id === a))
          throw new HttpError(404, 'ResourceNotFoundException', `Function not found: ${a}`);
        const body = await jsonBody(req);
        return send(res, 200, await sources.invoke(a, body.event ?? {}));
      }
      case 'POST /graphql': {
        const answer = await graphql(await jsonBody(req));
        return send(res, answer.status, answer.body);
      }
      case 'POST /graphql/subscribe':
        return subscribe(req, res);
      default:
        throw new HttpError(404, 'NotFound', `No console API ${method} ${url.pathname}.`);
    }
  };

  const login = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    let session: string | undefined;
    if (req.method === 'GET') {
      const token = url.searchParams.get('token');
      session = token ? sessions.login(token) : undefined;
      if (!session)
        return sendHtml(res, 401, LOGIN_PAGE(token ? 'That login link was already used or is wrong.' : 'Sign in.'));
    } else {
      const raw = (await readBody(req, 16 * 1024)).toString('utf8');
      const secret = new URLSearchParams(raw).get('secret') ?? '';
      session = sessions.loginWithSecret(secret);
      if (!session) return sendHtml(res, 401, LOGIN_PAGE('That is not the local admin secret.'));
    }
    res.writeHead(303, { location: '/', 'set-cookie': sessions.cookie(session), ...SECURITY_HEADERS });
    res.end();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // DNS rebinding: a foreign page's requests name its own host.
    if (!hostAllowed(req.headers, port))
      return send(res, 421, { error: 'MisdirectedRequest', message: 'Unknown host.' });
    if (isStateChanging(req.method) && !originAllowed(req.headers, port))
      return send(res, 403, { error: 'Forbidden', message: 'Cross-origin requests are refused.' });
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname === '/login' && (req.method === 'GET' || req.method === 'POST')) return login(req, res, url);
    const how = sessions.authenticated(req.headers);
    if (!how) {
      if (url.pathname.startsWith('/api/'))
        return send(res, 401, {
          error: 'Unauthorized',
          message: 'Sign in with the console link, or send Authorization: Bearer <admin secret>.',
        });
      return sendHtml(res, 401, LOGIN_PAGE('Sign in.'));
    }
    // A cookie alone does not prove a state-changing request is the page's own: its Origin must say so.
    if (how === 'cookie' && isStateChanging(req.method) && req.headers.origin === undefined)
      return send(res, 403, { error: 'Forbidden', message: 'A state-changing request needs an Origin header.' });
    if (url.pathname === '/logout' && req.method === 'POST') {
      sessions.logout(cookieValue(req.headers.cookie, SESSION_COOKIE));
      res.writeHead(303, {
        location: '/login',
        'set-cookie': `${SESSION_COOKIE}=; Max-Age=0; Path=/`,
        ...SECURITY_HEADERS,
      });
      res.end();
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      try {
        return await api(req, res, url);
      } catch (error) {
        throw sdkFailure(error);
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'MethodNotAllowed', 'Use GET.');
    if (url.pathname === '/assets/console.js' || url.pathname === '/assets/console.css') {
      const built = await bundle.get();
      const js = url.pathname.endsWith('.js');
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': js ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
        'cache-control': 'private, max-age=3600',
      });
      res.end(js ? built.js : built.css);
      return;
    }
    if (url.pathname === '/') return sendHtml(res, 200, APP_PAGE);
    throw new HttpError(404, 'NotFound', `Nothing at ${url.pathname}.`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const known = error instanceof HttpError ? error : sdkFailure(error);
      if (!(error instanceof HttpError) && known.status >= 500) console.error('local console:', error);
      send(res, known.status, { error: known.type, message: known.message });
    });
  });
  // Only its refusals: the page's own calls would drown the log they show.
  logRequests(server, 'console', (req) => `${req.method} ${(req.url ?? '/').split('?')[0]}`, sources.requestLog, {
    onlyNotable: true,
  });
  const listening = await listenLoopback(server, port);
  port = Number(new URL(listening.url).port);
  return {
    url: listening.url,
    loginUrl: () => `${listening.url}/login?token=${sessions.token}`,
    bundle,
    close: async () => {
      cognito.destroy();
      dynamodb.destroy();
      s3?.destroy();
      graphqlAgent?.destroy();
      await listening.close();
    },
  };
};
