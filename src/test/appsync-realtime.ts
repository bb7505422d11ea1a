import { WebSocket } from 'ws';

/**
 * A raw AppSync realtime subscriber (connection_init, start, the auth header
 * in the `header-<base64url>` subprotocol), to see exactly what the server
 * sends one subscription. Resolves once the start is acknowledged or refused.
 */
export const rawSubscribe = async (urls: { graphql: string; realtime: string }, token: string, query: string) => {
  const header = Buffer.from(JSON.stringify({ Authorization: token, host: new URL(urls.graphql).host })).toString(
    'base64url',
  );
  const socket = new WebSocket(urls.realtime, ['graphql-ws', `header-${header}`]);
  const messages: Array<Record<string, unknown>> = [];
  await new Promise<void>((ready, fail) => {
    socket.on('error', fail);
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
    socket.on('message', (raw) => {
      const message = JSON.parse(raw.toString());
      messages.push(message);
      if (message.type === 'connection_ack') {
        socket.send(
          JSON.stringify({
            id: 'sub-1',
            type: 'start',
            payload: {
              data: JSON.stringify({ query, variables: {} }),
              extensions: { authorization: { Authorization: token } },
            },
          }),
        );
      }
      if (message.type === 'start_ack' || message.type === 'error') ready();
    });
  });
  return { messages, close: () => socket.close() };
};
