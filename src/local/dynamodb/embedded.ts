import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDbGuard } from './access';
import { Database, DatabaseError } from './engine/database';
import { ValidationError } from './engine/expressions';
import { Journal } from './engine/journal';
import { LOCAL_AWS, type LocalDynamoDb } from './local';
import { type DynamoDbCaller, DynamoDbError, type DynamoDbOperations } from './wire';

/**
 * The embedded DynamoDB (`engine/`) as the backend uses it: in-process for
 * the resolvers, and over DynamoDB's HTTP protocol on 127.0.0.1 for the
 * functions, the stream mappings and tests, which use the AWS SDK against it
 * as they would against DynamoDB Local or DynamoDB. Both paths run the same
 * `Database.execute`.
 */

/** A request body larger than DynamoDB's limit is refused before it is read to the end. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

const errorOf = (error: unknown): DatabaseError => {
  if (error instanceof DatabaseError) return error;
  if (error instanceof ValidationError) return new DatabaseError('ValidationException', error.message);
  return new DatabaseError('InternalServerError', error instanceof Error ? error.message : String(error), 500);
};

/** The in-process path: DynamoDB's JSON shapes, errors as DynamoDbError like the wire client's. */
class InProcessCaller implements DynamoDbCaller {
  constructor(private readonly database: Database) {}

  call<K extends keyof DynamoDbOperations>(
    operation: K,
    input: DynamoDbOperations[K][0],
  ): Promise<DynamoDbOperations[K][1]> {
    try {
      return Promise.resolve(
        this.database.execute(operation, input as unknown as Record<string, unknown>) as DynamoDbOperations[K][1],
      );
    } catch (error) {
      const failure = errorOf(error);
      const reasons = failure.extra?.CancellationReasons;
      return Promise.reject(
        new DynamoDbError(
          failure.name,
          failure.message,
          failure.statusCode,
          Array.isArray(reasons) ? reasons : undefined,
        ),
      );
    }
  }
}

const TARGET = /^DynamoDB(?:Streams)?_20120810\.(\w+)$/;

const handle = (
  database: Database,
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
  guard: DynamoDbGuard | undefined,
): void => {
  const reply = (status: number, payload: unknown) => {
    const text = JSON.stringify(payload);
    response.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
    });
    response.end(text);
  };
  const fail = (failure: DatabaseError) =>
    reply(failure.statusCode, {
      __type: `com.amazonaws.dynamodb.v20120810#${failure.name}`,
      message: failure.message,
      ...failure.extra,
    });
  const operation = TARGET.exec(String(request.headers['x-amz-target'] ?? ''))?.[1];
  if (request.method !== 'POST' || !operation) {
    fail(
      new DatabaseError('UnknownOperationException', `Unknown operation ${String(request.headers['x-amz-target'])}`),
    );
    return;
  }
  let input: unknown;
  let parsed = true;
  try {
    input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    parsed = false;
  }
  // Authentication comes before the body is read as JSON, as in DynamoDB.
  const refused = guard?.(
    { method: request.method ?? 'POST', url: request.url ?? '/', headers: request.headers, body },
    operation,
    input,
  );
  if (refused) {
    reply(refused.status, { __type: refused.type, message: refused.message });
    return;
  }
  if (!parsed) {
    fail(new DatabaseError('SerializationException', 'Start of structure or map found where not expected.'));
    return;
  }
  try {
    reply(200, database.execute(operation, (input ?? {}) as Record<string, unknown>));
  } catch (error) {
    const failure = errorOf(error);
    if (failure.statusCode >= 500) console.error(`embedded DynamoDB: ${operation} failed:`, error);
    fail(failure);
  }
};

/**
 * Starts the embedded DynamoDB: data in `dbPath` (journaled), or in memory
 * without one. Same shape as DynamoDB Local's handle. With a `guard`, the
 * HTTP front authenticates and authorizes each request (see `access.ts`);
 * `credentials` are then what the handle's own client signs with.
 */
export const startEmbeddedDynamoDb = async (
  options: {
    dbPath?: string;
    port?: number;
    guard?: DynamoDbGuard;
    credentials?: { accessKeyId: string; secretAccessKey: string };
    /** Milliseconds since the epoch, for TTL expiry and stream iterators; tests pass their own. */
    clock?: () => number;
  } = {},
): Promise<LocalDynamoDb> => {
  const journal = options.dbPath ? new Journal(join(options.dbPath, 'embedded')) : undefined;
  const database = new Database(journal, { clock: options.clock });
  const server = createServer((request, response) => {
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
        const text = JSON.stringify({
          __type: 'com.amazon.coral.service#RequestEntityTooLarge',
          message: `Request size exceeded ${MAX_REQUEST_BYTES} bytes`,
        });
        response.writeHead(413, { 'content-type': 'application/x-amz-json-1.0' }).end(text);
        return;
      }
      try {
        handle(database, request, response, Buffer.concat(chunks), options.guard);
      } catch (error) {
        // A last resort: nothing may throw out of a request handler.
        console.error('embedded DynamoDB: request failed:', error);
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify({ __type: 'com.amazon.coral.service#InternalFailure', message: 'Internal error' }));
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    ...LOCAL_AWS,
    ...(options.credentials && { credentials: options.credentials }),
    endpoint,
  });
  return {
    endpoint,
    client,
    wire: new InProcessCaller(database),
    pid: process.pid,
    journal: journal ? 'append-only' : undefined,
    stop: async () => {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      journal?.close();
    },
  };
};
