import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { logRequests } from '../http/request-log';
import type { DynamoDbGuard, DynamoDbRefusal } from './access';

/**
 * DynamoDB's authentication in front of DynamoDB Local, which checks no
 * signature and keeps one database per access key: each request is verified
 * and authorized by the guard, then passed on under the local account's key,
 * so that every caller (functions with their roles' keys, tools with the
 * admin key) reaches the same tables.
 */

/** DynamoDB's request size limit; a larger body is refused before it is read to the end. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
const TARGET = /^DynamoDB(?:Streams)?_20120810\.(\w+)$/;
const HOP_BY_HOP = new Set(['authorization', 'x-amz-security-token', 'host', 'connection', 'content-length']);

export interface SignedFront {
  endpoint: string;
  stop(): Promise<void>;
}

export const startSignedFront = async (options: {
  /** DynamoDB Local's endpoint. */
  target: string;
  guard: DynamoDbGuard;
  /** The key and region DynamoDB Local files the local account's tables under. */
  account: { accessKeyId: string; region: string };
  /** 0 (the default) picks a free port. */
  port?: number;
}): Promise<SignedFront> => {
  const target = new URL(options.target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const authorization = `AWS4-HMAC-SHA256 Credential=${options.account.accessKeyId}/20200101/${options.account.region}/dynamodb/aws4_request, SignedHeaders=host, Signature=local`;

  const refuse = (response: http.ServerResponse, refusal: DynamoDbRefusal) => {
    const text = JSON.stringify({ __type: refusal.type, message: refusal.message });
    response.writeHead(refusal.status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
    });
    response.end(text);
  };

  const forward = (request: http.IncomingMessage, response: http.ServerResponse, body: Buffer) => {
    const operation = TARGET.exec(String(request.headers['x-amz-target'] ?? ''))?.[1] ?? '';
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      input = undefined;
    }
    const refused = operation
      ? options.guard(
          { method: request.method ?? 'POST', url: request.url ?? '/', headers: request.headers, body },
          operation,
          input,
        )
      : undefined;
    if (refused) {
      refuse(response, refused);
      return;
    }
    const headers: http.OutgoingHttpHeaders = { authorization, 'content-length': body.length };
    for (const [name, value] of Object.entries(request.headers))
      if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: request.url, method: request.method, headers, agent },
      (answer) => {
        response.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', (error) =>
      refuse(response, { type: 'com.amazon.coral.service#InternalFailure', message: error.message, status: 500 }),
    );
    upstream.end(body);
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is read and dropped, so that the client reads the 413 once it has sent its body.
      if (size > MAX_REQUEST_BYTES) chunks.length = 0;
      else chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > MAX_REQUEST_BYTES) {
        refuse(response, {
          type: 'com.amazon.coral.service#RequestEntityTooLarge',
          message: `Request size exceeded ${MAX_REQUEST_BYTES} bytes`,
          status: 413,
        });
        return;
      }
      try {
        forward(request, response, Buffer.concat(chunks));
      } catch (error) {
        console.error('DynamoDB front: request failed:', error);
        if (!response.headersSent)
          refuse(response, {
            type: 'com.amazon.coral.service#InternalFailure',
            message: 'Internal error',
            status: 500,
          });
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  logRequests(server, 'dynamodb');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    endpoint: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
};
