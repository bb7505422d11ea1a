import type { Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { createServer as createNetServer, type Socket } from 'node:net';
import type { Listening } from './json-server';

/** The first byte of a TLS record that opens a handshake. */
const TLS_HANDSHAKE = 0x16;

/**
 * One loopback port that speaks both HTTP and HTTPS to the same request
 * handler, told apart by the connection's first byte: the user pool's
 * existing `http://` endpoint keeps working while the hosted UI, which
 * Amplify always reaches as `https://<domain>/oauth2/...`, gets TLS with the
 * local CA's certificate on the same host:port.
 */
export const listenLoopbackDual = async (
  server: Server,
  tls: { key: string; cert: string },
  port = 0,
): Promise<Listening> => {
  const secure = createTlsServer({ key: tls.key, cert: tls.cert });
  // Every request listener the server has now (its handler, the request log): call the dual listener after adding them.
  for (const listener of server.listeners('request'))
    secure.on('request', (...args: unknown[]) => Reflect.apply(listener, server, args));
  const sockets = new Set<Socket>();
  const front = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    // The first chunk decides; it is put back for the server that takes the connection.
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      (first[0] === TLS_HANDSHAKE ? secure : server).emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
  });
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(port, '127.0.0.1', () => resolve());
  });
  const address = front.address();
  if (typeof address !== 'object' || address === null) throw new Error('the server has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
        front.close((error) => (error ? reject(error) : resolve()));
      }),
  };
};
