import type { ServerResponse } from 'node:http';
import WebSocket from 'ws';

export interface RelayTarget {
  /** The API's realtime endpoint (`wss://…/graphql/realtime`). */
  realtimeUrl: string;
  /** The API's HTTPS endpoint: its host is what AppSync's realtime headers name. */
  graphqlUrl: string;
  /** The local CA, which the realtime endpoint's certificate chains to. */
  ca: Buffer;
}

export interface RelayedSubscription {
  token: string;
  query: string;
  variables?: unknown;
}

/** How long the realtime endpoint may take to acknowledge the connection and the subscription. */
const ACK_TIMEOUT_MS = 10_000;

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

/**
 * Relays one GraphiQL subscription as server-sent events: the console opens
 * the API's realtime WebSocket as an app does (AppSync's `graphql-ws`
 * protocol, the user's token in the connection and start headers), and each
 * `data` frame becomes one event whose data is the GraphQL result. An `error`
 * frame is sent as a result with `errors` and ends the stream; the browser
 * closing the stream stops the subscription and closes the socket.
 */
export const relaySubscription = (target: RelayTarget, subscription: RelayedSubscription, res: ServerResponse) => {
  const authorization = { host: new URL(target.graphqlUrl).host, Authorization: subscription.token };
  const url = `${target.realtimeUrl}?header=${encodeURIComponent(encode(authorization))}&payload=e30=`;
  const socket = new WebSocket(url, 'graphql-ws', { ca: target.ca });
  const id = 'console';
  let ended = false;
  const event = (name: string, data: unknown) => {
    if (!ended) res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const end = (result?: unknown) => {
    if (result !== undefined) event('next', result);
    if (ended) return;
    event('complete', {});
    ended = true;
    clearTimeout(ackTimer);
    res.end();
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ id, type: 'stop' }));
    socket.close();
  };
  const fail = (message: string) => end({ errors: [{ message }] });
  const ackTimer = setTimeout(
    () => fail('The realtime endpoint did not acknowledge the subscription.'),
    ACK_TIMEOUT_MS,
  );

  socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
  socket.on('message', (raw) => {
    let message: unknown;
    try {
      message = JSON.parse(raw.toString());
    } catch {
      return fail('The realtime endpoint sent a frame that is not JSON.');
    }
    if (!isRecord(message)) return;
    const payload = isRecord(message.payload) ? message.payload : {};
    switch (message.type) {
      case 'connection_ack':
        return socket.send(
          JSON.stringify({
            id,
            type: 'start',
            payload: {
              data: JSON.stringify({ query: subscription.query, variables: subscription.variables ?? {} }),
              extensions: { authorization },
            },
          }),
        );
      case 'start_ack':
        clearTimeout(ackTimer);
        return event('subscribed', {});
      case 'data':
        return event('next', payload);
      case 'error':
      case 'connection_error':
        return end({ errors: Array.isArray(payload.errors) ? payload.errors : [{ message: 'Subscription failed.' }] });
      case 'complete':
        return end();
      default:
        return; // keep-alives (`ka`)
    }
  });
  socket.on('error', (error) => fail(`The realtime endpoint refused the connection: ${error.message}`));
  socket.on('close', () => end());
  res.on('close', () => end());
};
