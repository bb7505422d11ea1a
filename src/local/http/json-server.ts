import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** An error with the HTTP status and the AWS error type a service would answer with. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

export const MAX_BODY_BYTES = 6 * 1024 * 1024;

/**
 * The request body, refused past a size limit so that a bad client cannot
 * exhaust memory. Past the limit the rest is read and dropped, so that the
 * client gets the service's 413 instead of a cut socket; `tooLarge` makes
 * that error in the service's own type and wording.
 */
export const readBody = (
  req: IncomingMessage,
  limit = MAX_BODY_BYTES,
  tooLarge: (limit: number) => Error = (max) =>
    new HttpError(413, 'RequestEntityTooLarge', `Request body is larger than ${max} bytes.`),
): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => (size > limit ? reject(tooLarge(limit)) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });

export const sendJson = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void => {
  res.writeHead(status, {
    'content-type': 'application/json',
    'access-control-allow-origin': '*',
    'access-control-expose-headers': 'x-amzn-errortype, x-amzn-requestid',
    'x-amzn-requestid': crypto.randomUUID(),
    ...headers,
  });
  res.end(JSON.stringify(body));
};

export interface Listening {
  url: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (a free port unless one is given) and resolves with the base URL. */
export const listenLoopback = async (server: Server, port = 0): Promise<Listening> => {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the server has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
};

/** A JSON HTTP server whose handler throws HttpError for AWS-style error answers. */
export const jsonServer = (
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  errorShape: (error: HttpError) => unknown = (error) => ({ message: error.message }),
): Server =>
  createServer(async (req, res) => {
    try {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-origin': '*',
          'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
          'access-control-allow-headers': '*',
        });
        res.end();
        return;
      }
      await handler(req, res);
    } catch (error) {
      const known = error instanceof HttpError ? error : new HttpError(500, 'InternalFailure', 'Internal error');
      if (!(error instanceof HttpError)) console.error(error);
      sendJson(res, known.status, errorShape(known), { 'x-amzn-errortype': known.type });
    }
  });

export const parseJson = (body: Buffer): unknown => {
  try {
    return JSON.parse(body.toString('utf8') || '{}');
  } catch {
    throw new HttpError(400, 'SerializationException', 'The request body is not valid JSON.');
  }
};
