import type { IncomingMessage } from 'node:http';
import type { RawData, WebSocket } from 'ws';
import type { LocalGraphqlApi } from './api';
import { deliverable, type SubscriptionPlan } from './filters';
import type { RequestIdentity } from './vtl';

/**
 * AppSync's realtime protocol on one WebSocket: connection_init/ack,
 * start/start_ack, data, ka, stop/complete and error, with AppSync's quotas
 * and errors. Every frame handler is total: a malformed frame gets an error
 * in AppSync's format, a frame that breaks the framing itself (binary, too
 * large) closes this connection only, and an unexpected failure is logged,
 * answered and ends this connection, never the process.
 */

/** AppSync's quota: subscriptions per WebSocket connection. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 100;
/** Largest client frame accepted; ws closes the connection with 1009 beyond it. */
export const MAX_FRAME_BYTES = 240 * 1024;
export const KEEP_ALIVE_MS = 60_000;
/** Frames kept while the handshake's token is checked; a client sending more is not following the protocol. */
const MAX_QUEUED_FRAMES = MAX_SUBSCRIPTIONS_PER_CONNECTION + 10;
export const CONNECTION_TIMEOUT_MS = 300_000;

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** How a connection or a start proves who it is: the headers it carries and what they sign. */
export type Authenticate = (
  headers: Json,
  signed: { url: string; body: string },
  req: IncomingMessage,
) => Promise<RequestIdentity>;

interface Live {
  id: string;
  plan: SubscriptionPlan;
  query: string;
  operationName?: string;
  /** Epoch ms after which the token that started it no longer holds. */
  expiresAt: number;
  timer?: NodeJS.Timeout;
}

interface Connection {
  socket: WebSocket;
  subscriptions: Map<string, Live>;
  /** Starts being authorized: they count toward the quota and their ids are taken. */
  pending: Set<string>;
  /** Pending starts a stop arrived for: they end instead of registering. */
  stopped: Set<string>;
  expiresAt: number;
}

const error = (errorType: string, message: string, id?: string) =>
  JSON.stringify({ type: 'error', ...(id === undefined ? {} : { id }), payload: { errors: [{ errorType, message }] } });

/** A token's `exp` as epoch ms, or no limit (IAM credentials checked per request). */
const expiryOf = (identity: RequestIdentity): number =>
  typeof identity.claims.exp === 'number' ? identity.claims.exp * 1000 : Number.POSITIVE_INFINITY;

/** setTimeout caps at 2^31-1 ms; a later expiry is checked again when that timer fires. */
const MAX_TIMER_MS = 2_147_483_647;

export class RealtimeHub {
  private readonly connections = new Set<Connection>();

  constructor(
    private readonly options: {
      api: () => LocalGraphqlApi;
      authenticate: Authenticate;
      log?: (message: string, error?: unknown) => void;
    },
  ) {}

  subscriptionCount(): number {
    let count = 0;
    for (const c of this.connections) count += c.subscriptions.size;
    return count;
  }

  /** A new socket: authorizes its handshake headers, then serves its frames. */
  accept(socket: WebSocket, req: IncomingMessage): void {
    const queued: Array<{ raw: RawData; binary: boolean }> = [];
    let serve: ((raw: RawData, binary: boolean) => void) | undefined;
    // Before anything else: without an error listener, a bad frame's error event would end the process.
    socket.on('error', (cause) => {
      // A client's framing error (too large, bad UTF-8): ws has already chosen the close code.
      this.log('realtime client error', cause.message);
      socket.terminate();
    });
    socket.on('message', (raw, binary) => {
      if (serve) serve(raw, binary);
      else if (queued.length < MAX_QUEUED_FRAMES) queued.push({ raw, binary });
      else socket.close(1008, 'too many frames before the handshake was authorized');
    });
    const connection: Connection = {
      socket,
      subscriptions: new Map(),
      pending: new Set(),
      stopped: new Set(),
      expiresAt: 0,
    };
    socket.on('close', () => this.drop(connection));

    this.handshake(req)
      .then((identity) => {
        connection.expiresAt = expiryOf(identity);
        this.connections.add(connection);
        const keepAlive = setInterval(() => this.send(socket, JSON.stringify({ type: 'ka' })), KEEP_ALIVE_MS);
        socket.on('close', () => clearInterval(keepAlive));
        serve = (raw, binary) => {
          this.frame(connection, raw, binary, req).catch((cause: unknown) => this.fail(connection, cause));
        };
        for (const { raw, binary } of queued.splice(0)) serve(raw, binary);
      })
      .catch((cause: unknown) => {
        this.send(
          socket,
          JSON.stringify({
            type: 'connection_error',
            payload: {
              errors: [
                {
                  errorType: 'UnauthorizedException',
                  message: cause instanceof Error ? cause.message : 'Unauthorized',
                },
              ],
            },
          }),
        );
        socket.close(1000);
      });
  }

  /** Delivers a mutation's result to every subscription whose auth, arguments and filter pass it. */
  publish(mutation: string, payload: unknown): void {
    if (!isRecord(payload)) return;
    const api = this.options.api();
    const fields = api.subscriptionsByMutation.get(mutation) ?? [];
    const now = Date.now();
    for (const connection of this.connections) {
      for (const live of connection.subscriptions.values()) {
        if (!fields.includes(live.plan.field)) continue;
        // Timers can fire late; an expired token never receives another event.
        if (now >= live.expiresAt) {
          this.expire(connection, live);
          continue;
        }
        // The subscriber's own view: its denied fields are null before its filters see the event.
        const event = api.subscriptionEvent(live.plan, payload);
        if (!deliverable(live.plan, event.visible)) continue;
        const body = event.errors ? { data: event.data, errors: event.errors } : { data: event.data };
        this.send(connection.socket, JSON.stringify({ id: live.id, type: 'data', payload: body }));
      }
    }
  }

  /** After a hot reload: ends each subscription the new schema no longer validates. */
  revalidate(): number {
    const api = this.options.api();
    let ended = 0;
    for (const connection of this.connections) {
      for (const live of connection.subscriptions.values()) {
        const { errors } = api.prepare(live.query, live.operationName);
        if (!errors?.length) continue;
        this.remove(connection, live.id);
        ended++;
        const message = `The schema changed and this subscription no longer validates: ${errors.map((e) => e.message).join('; ')}`;
        this.send(connection.socket, error('ValidationError', message, live.id));
      }
    }
    return ended;
  }

  close(): void {
    for (const connection of this.connections) {
      this.drop(connection);
      connection.socket.terminate();
    }
  }

  private async handshake(req: IncomingMessage): Promise<RequestIdentity> {
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    // The header travels in a subprotocol (Amplify) or the `header` query parameter (AppSync's docs).
    const fromProtocol = protocols.find((p) => p.startsWith('header-'))?.slice('header-'.length);
    const fromQuery = new URL(req.url ?? '/', 'https://localhost').searchParams.get('header') ?? undefined;
    const encoded = fromProtocol ?? fromQuery;
    let headers: unknown = {};
    if (encoded) {
      try {
        headers = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
      } catch {
        headers = undefined;
      }
    }
    if (!isRecord(headers)) throw new Error('Valid authorization header not provided.');
    return this.options.authenticate(headers, { url: '/graphql/connect', body: '{}' }, req);
  }

  private async frame(connection: Connection, raw: RawData, binary: boolean, req: IncomingMessage): Promise<void> {
    const { socket } = connection;
    if (binary) {
      // The protocol is JSON text frames; a binary frame is a client that does not speak it.
      this.send(socket, error('UnsupportedOperation', 'Binary frames are not supported; send JSON text frames.'));
      socket.close(1003, 'binary frames are not supported');
      return;
    }
    const text = (
      Array.isArray(raw) ? Buffer.concat(raw) : raw instanceof ArrayBuffer ? Buffer.from(raw) : raw
    ).toString('utf8');
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.send(socket, error('MalformedMessage', 'Invalid JSON'));
      return;
    }
    if (!isRecord(message) || typeof message.type !== 'string') {
      this.send(socket, error('MalformedMessage', 'A message is a JSON object with a string "type".'));
      return;
    }
    const id = typeof message.id === 'string' ? message.id : undefined;
    switch (message.type) {
      case 'connection_init':
        this.send(
          socket,
          JSON.stringify({ type: 'connection_ack', payload: { connectionTimeoutMs: CONNECTION_TIMEOUT_MS } }),
        );
        return;
      case 'stop':
        if (id === undefined) {
          this.send(socket, error('MalformedMessage', 'A stop message needs a string "id".'));
          return;
        }
        if (connection.pending.has(id)) connection.stopped.add(id);
        this.remove(connection, id);
        this.send(socket, JSON.stringify({ type: 'complete', id }));
        return;
      case 'start':
        await this.start(connection, id, message.payload, req);
        return;
      default:
        this.send(
          socket,
          error('UnsupportedOperation', `${message.type} not supported through the realtime channel`, id),
        );
    }
  }

  private async start(connection: Connection, id: string | undefined, payload: unknown, req: IncomingMessage) {
    const { socket } = connection;
    if (id === undefined || id === '') {
      this.send(socket, error('MalformedMessage', 'A start message needs a non-empty string "id".'));
      return;
    }
    if (connection.subscriptions.has(id) || connection.pending.has(id)) {
      this.send(socket, error('DuplicatedOperationError', `Duplicated operation with id ${id}`, id));
      return;
    }
    if (connection.subscriptions.size + connection.pending.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
      this.send(
        socket,
        error(
          'MaxSubscriptionsReachedError',
          `Max number of ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions reached`,
          id,
        ),
      );
      return;
    }
    if (!isRecord(payload) || typeof payload.data !== 'string') {
      this.send(
        socket,
        error('MalformedMessage', 'A start payload has "data": the GraphQL request as a JSON string.', id),
      );
      return;
    }
    const data = payload.data;
    connection.pending.add(id);
    try {
      const extensions = isRecord(payload.extensions) ? payload.extensions : {};
      const authorization = isRecord(extensions.authorization) ? extensions.authorization : {};
      let identity: RequestIdentity;
      try {
        identity = await this.options.authenticate(authorization, { url: '/graphql', body: data }, req);
      } catch (cause) {
        this.send(socket, error('UnauthorizedException', cause instanceof Error ? cause.message : 'Unauthorized', id));
        return;
      }
      let request: unknown;
      try {
        request = JSON.parse(data);
      } catch {
        this.send(socket, error('MalformedMessage', 'The start payload data is not JSON', id));
        return;
      }
      if (!isRecord(request) || typeof request.query !== 'string') {
        this.send(
          socket,
          error('MalformedMessage', 'The start payload data is a JSON object with a string "query".', id),
        );
        return;
      }
      const { query, variables, operationName } = request;
      if (variables !== undefined && variables !== null && !isRecord(variables)) {
        this.send(socket, error('MalformedMessage', 'Variables must be provided as a JSON object.', id));
        return;
      }
      if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
        this.send(socket, error('MalformedMessage', 'operationName must be a string.', id));
        return;
      }
      const started = await this.options
        .api()
        .subscribe(query, variables ?? undefined, operationName ?? undefined, identity);
      if ('errors' in started) {
        this.send(socket, JSON.stringify({ type: 'error', id, payload: { errors: started.errors } }));
        return;
      }
      // The client may have gone, or stopped this subscription, while the start was authorized.
      if (!this.connections.has(connection) || connection.stopped.has(id)) return;
      const live: Live = {
        id,
        plan: started.plan,
        query,
        operationName: operationName ?? undefined,
        expiresAt: Math.min(expiryOf(identity), connection.expiresAt),
      };
      connection.subscriptions.set(id, live);
      this.schedule(connection, live);
      this.send(socket, JSON.stringify({ type: 'start_ack', id }));
    } finally {
      connection.pending.delete(id);
      connection.stopped.delete(id);
    }
  }

  private schedule(connection: Connection, live: Live): void {
    if (!Number.isFinite(live.expiresAt)) return;
    const wait = Math.max(0, live.expiresAt - Date.now());
    live.timer = setTimeout(
      () => (Date.now() >= live.expiresAt ? this.expire(connection, live) : this.schedule(connection, live)),
      Math.min(wait, MAX_TIMER_MS),
    );
    live.timer.unref();
  }

  /** The token behind a subscription expired: as AppSync does, an error for it, and no more events. */
  private expire(connection: Connection, live: Live): void {
    if (connection.subscriptions.get(live.id) !== live) return;
    this.remove(connection, live.id);
    this.send(connection.socket, error('UnauthorizedException', 'Token has expired.', live.id));
  }

  private remove(connection: Connection, id: string): void {
    const live = connection.subscriptions.get(id);
    if (live?.timer) clearTimeout(live.timer);
    connection.subscriptions.delete(id);
  }

  private drop(connection: Connection): void {
    for (const id of [...connection.subscriptions.keys()]) this.remove(connection, id);
    this.connections.delete(connection);
  }

  /** The last-resort guard: a bug met by one client's frame ends that client's connection only. */
  private fail(connection: Connection, cause: unknown): void {
    this.log('realtime frame handler failed', cause);
    this.send(connection.socket, error('InternalFailure', 'An internal error occurred; the connection is closed.'));
    connection.socket.close(1011, 'internal error');
  }

  private send(socket: WebSocket, text: string): void {
    if (socket.readyState !== socket.OPEN) return;
    try {
      socket.send(text);
    } catch (cause) {
      this.log('realtime send failed', cause);
    }
  }

  private log(message: string, cause?: unknown): void {
    (this.options.log ?? ((m, e) => console.error(`local GraphQL: ${m}:`, e)))(message, cause);
  }
}
