import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { TokenIssuer } from '../auth/tokens';
import { CloudAssembly } from '../cloud/assembly';
import { PROJECT_ROOT, synthesizeCached } from '../cloud/synth';
import { startEmbeddedDynamoDb } from '../dynamodb/embedded';
import { createTables, tableSpecs } from '../dynamodb/tables';
import { loadOrCreateTls } from '../tls';
import { LocalGraphqlApi } from './api';
import { type LocalGraphqlServer, startGraphqlServer } from './server';

/**
 * The local AppSync server for integration tests: the synthesized API, an
 * in-memory embedded DynamoDB, a token issuer like the local user pool's, on
 * a free loopback port. No functions run (searchNotes answers an error).
 */

const NAMES = {
  apiId: 'localapi',
  graphqlUrl: 'https://127.0.0.1/graphql',
  userPoolId: 'us-east-1_local',
  userPoolClientId: 'localclient',
  identityPoolId: 'us-east-1:local',
  region: 'us-east-1',
  accountId: '123456789012',
  pushApplicationId: 'localpush',
};
const ISSUER = `https://cognito-idp.${NAMES.region}.amazonaws.com/${NAMES.userPoolId}`;

export interface TestUser {
  sub: string;
  username: string;
  owner: string;
  idToken: string;
  accessToken: string;
}

export interface GraphqlAnswer {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: Array<Record<string, unknown>> } | undefined;
  text: string;
}

export interface TestGraphql {
  server: LocalGraphqlServer;
  api: LocalGraphqlApi;
  issuer: TokenIssuer;
  clientId: string;
  issuerUrl: string;
  user(name: string, groups?: string[]): Promise<TestUser>;
  /** A token with chosen claims and lifetime, signed by the pool's key. */
  token(claims: Record<string, unknown>, expiresInSeconds: number): Promise<string>;
  /** A raw POST /graphql with any body and headers. */
  post(body: string | Buffer, headers?: Record<string, string>): Promise<GraphqlAnswer>;
  gql(token: string, query: string, variables?: Record<string, unknown>): Promise<GraphqlAnswer>;
  connect(header: Record<string, unknown> | string | undefined): Promise<RealtimeClient>;
  /** Writes an item straight into a model's table (label: "UserProfile"), as a trigger would. */
  put(label: string, item: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

/** One raw realtime connection: every message the server sends, and waits on them. */
export interface RealtimeClient {
  socket: WebSocket;
  messages: Array<Record<string, unknown>>;
  /** Resolves with the first message (from index `from`) that matches, or undefined after `ms`. */
  next(
    match: (m: Record<string, unknown>) => boolean,
    ms?: number,
    from?: number,
  ): Promise<Record<string, unknown> | undefined>;
  send(frame: unknown): void;
  start(
    id: string,
    token: string,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<Record<string, unknown> | undefined>;
  closed: Promise<number>;
  close(): void;
}

export const startTestGraphql = async (): Promise<TestGraphql> => {
  const assemblyDir = join(PROJECT_ROOT, '.amplify', 'synth', 'local');
  await synthesizeCached({ type: 'sandbox', outDir: assemblyDir, quiet: true });
  const assembly = new CloudAssembly(assemblyDir, NAMES);
  const dir = mkdtempSync(join(tmpdir(), 'local-graphql-'));
  const dynamodb = await startEmbeddedDynamoDb();
  const tables = tableSpecs(assembly);
  await createTables(dynamodb.client, tables);
  const api = new LocalGraphqlApi(assembly, dynamodb.wire, new Map());
  const tls = await loadOrCreateTls(join(dir, 'tls'));
  // The pool's key in a file we also read: tests then sign tokens with any claims and lifetime.
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const privateJwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  writeFileSync(join(dir, 'key.json'), JSON.stringify(privateJwk), { mode: 0o600 });
  const issuer = await TokenIssuer.create(ISSUER, join(dir, 'key.json'));
  const server = await startGraphqlServer({
    api: () => api,
    verifier: { issuer: ISSUER, clientId: NAMES.userPoolClientId, keys: createLocalJWKSet(issuer.jwks()) },
    tls,
  });

  const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
    new Promise<GraphqlAnswer>((done, fail) => {
      const req = request(
        server.url,
        { method: 'POST', ca: tls.ca, headers: { 'content-type': 'application/json', ...headers } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: GraphqlAnswer['body'];
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            done({ status: res.statusCode ?? 0, body: parsed, text });
          });
        },
      );
      req.on('error', fail);
      req.end(body);
    });

  const connect = (header: Record<string, unknown> | string | undefined) =>
    new Promise<RealtimeClient>((ready, fail) => {
      const encoded =
        header === undefined
          ? undefined
          : typeof header === 'string'
            ? header
            : Buffer.from(JSON.stringify(header)).toString('base64url');
      const socket = new WebSocket(server.realtimeUrl, ['graphql-ws', ...(encoded ? [`header-${encoded}`] : [])], {
        ca: tls.ca,
      });
      const messages: Array<Record<string, unknown>> = [];
      const waiters = new Set<() => void>();
      let closedWith: (code: number) => void = () => {};
      const closed = new Promise<number>((r) => {
        closedWith = r;
      });
      socket.on('message', (raw) => {
        messages.push(JSON.parse(raw.toString()));
        for (const w of waiters) w();
      });
      socket.on('close', (code) => {
        closedWith(code);
        for (const w of waiters) w();
      });
      socket.on('error', () => {});
      const next: RealtimeClient['next'] = (match, ms = 2000, from = 0) =>
        new Promise((found) => {
          const check = () => {
            const hit = messages.slice(from).find(match);
            if (hit || socket.readyState === socket.CLOSED) {
              waiters.delete(check);
              clearTimeout(timer);
              found(hit);
            }
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            found(undefined);
          }, ms);
          waiters.add(check);
          check();
        });
      const client: RealtimeClient = {
        socket,
        messages,
        next,
        send: (frame) =>
          socket.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame)),
        start: async (id, token, query, variables = {}) => {
          const from = messages.length;
          client.send({
            id,
            type: 'start',
            payload: {
              data: JSON.stringify({ query, variables }),
              extensions: { authorization: { Authorization: token, host: new URL(server.url).host } },
            },
          });
          return next((m) => m.id === id && (m.type === 'start_ack' || m.type === 'error'), 3000, from);
        },
        closed,
        close: () => socket.close(),
      };
      socket.once('open', () => ready(client));
      socket.once('error', fail);
    });

  return {
    server,
    api,
    issuer,
    clientId: NAMES.userPoolClientId,
    issuerUrl: ISSUER,
    user: async (name, groups = []) => {
      const sub = crypto.randomUUID();
      const tokens = await issuer.issue(
        { sub, username: sub, email: `${name}@example.com`, emailVerified: true, groups },
        NAMES.userPoolClientId,
        Math.floor(Date.now() / 1000),
      );
      return { sub, username: sub, owner: `${sub}::${sub}`, idToken: tokens.IdToken, accessToken: tokens.AccessToken };
    },
    token: async (claims, expiresInSeconds) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
        .setIssuedAt(now)
        .setExpirationTime(now + expiresInSeconds)
        .sign(privateKey);
    },
    post,
    gql: (token, query, variables = {}) => post(JSON.stringify({ query, variables }), { authorization: token }),
    connect,
    put: async (label, item) => {
      const table = tables.find((t) => t.label === label);
      if (!table) throw new Error(`no table for ${label}`);
      await dynamodb.client.send(new PutItemCommand({ TableName: table.name, Item: marshall(item) }));
    },
    close: async () => {
      await server.close();
      await dynamodb.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** A JSON object's fields, or none: reads answers without casts. */
export const obj = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.fromEntries(Object.entries(value)) : {};

/** One field of an answer's `data`, as an object. */
export const dataOf = (answer: GraphqlAnswer, field: string): Record<string, unknown> =>
  obj(answer.body?.data?.[field]);

/** The record an AppSync `data` message carries under its one root field. */
export const eventRecord = (message: Record<string, unknown>): Record<string, unknown> =>
  obj(Object.values(obj(obj(message.payload).data))[0]);

/** Signs any claims with a key the server does not trust: a forged token. */
export const forgedToken = async (claims: Record<string, unknown>): Promise<string> => {
  const { privateKey } = await generateKeyPair('RS256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'forged' }).sign(privateKey);
};
