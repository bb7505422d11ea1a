import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * One bus that every local server reports its requests to: the terminal's
 * request log (`npm start -- --verbose`) and the console's live log read it.
 * An event names the service, the operation, the status, the duration and the
 * caller when known; never a secret, a token or a body.
 */

export interface RequestEvent {
  /** Increasing per process; the console's server-sent events resume from it. */
  id: number;
  at: string;
  /** `cognito`, `graphql`, `s3`, `dynamodb`, ... */
  service: string;
  /** `SignUp`, `mutation createPost`, `PutObject`, `Query`, ... */
  operation: string;
  status: number;
  ms: number;
  /** Who called, as far as the request tells: an access key's principal, a token's user. */
  caller?: string;
  /** The service's error type (`AccessDeniedException`, ...), when it answered one. */
  error?: string;
  /** Why the request is always shown: refused (auth, CORS) or not implemented locally. */
  notable?: 'refused' | 'unimplemented';
}

/** What a server learns while handling a request (after it verified the caller, parsed the operation). */
export interface RequestDetails {
  operation?: string;
  caller?: string;
  error?: string;
  /** The request was refused or is unimplemented, whatever its status says. */
  notable?: RequestEvent['notable'];
}

const RECENT = 500;

export class RequestLog {
  private readonly recentEvents: RequestEvent[] = [];
  private readonly listeners = new Set<(event: RequestEvent) => void>();
  private nextId = 1;
  /** The principal's name for an access key id (the backend sets it: admin, a function, an identity). */
  principalOf: (accessKeyId: string) => string | undefined = () => undefined;

  report(event: Omit<RequestEvent, 'id' | 'at' | 'notable'> & { notable?: RequestEvent['notable'] }): RequestEvent {
    const full: RequestEvent = {
      id: this.nextId++,
      at: new Date().toISOString(),
      ...event,
      notable: event.notable ?? notableOf(event.status, event.error),
    };
    this.recentEvents.push(full);
    if (this.recentEvents.length > RECENT) this.recentEvents.shift();
    for (const listener of this.listeners) {
      try {
        listener(full);
      } catch {
        // A listener that fails (a closed stream) never fails the request it hears about.
      }
    }
    return full;
  }

  /** The last events (up to 500), oldest first, optionally only those after an id. */
  recent(afterId = 0): RequestEvent[] {
    return this.recentEvents.filter((e) => e.id > afterId);
  }

  subscribe(listener: (event: RequestEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The process's request log: every local server of every backend in this process reports here. */
export const requestLog = new RequestLog();

const REFUSAL_TYPES = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'MissingAuthenticationTokenException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'UnauthorizedException',
  'ExpiredTokenException',
  'CORSResponse',
]);
const UNIMPLEMENTED_TYPES = new Set(['UnknownOperationException', 'NotImplemented', 'UnknownOperation']);

/** Refused (401, 403, a signature or CORS refusal) and unimplemented requests are always shown. */
export const notableOf = (status: number, error?: string): RequestEvent['notable'] => {
  if (status === 501 || (error !== undefined && UNIMPLEMENTED_TYPES.has(error))) return 'unimplemented';
  if (status === 401 || status === 403 || status === 421 || (error !== undefined && REFUSAL_TYPES.has(error)))
    return 'refused';
  return undefined;
};

/** One line for the terminal: `12:01:02 cognito SignUp 200 12 ms (ada)`. */
export const formatRequest = (event: RequestEvent): string => {
  const time = event.at.slice(11, 19);
  const caller = event.caller ? ` (${event.caller})` : '';
  const error = event.error ? ` ${event.error}` : '';
  const mark = event.notable === 'refused' ? ' REFUSED' : event.notable === 'unimplemented' ? ' NOT IMPLEMENTED' : '';
  return `${time} ${event.service} ${event.operation} ${event.status}${error} ${Math.round(event.ms)} ms${caller}${mark}`;
};

const POLLING = new Set(['GetRecords', 'GetShardIterator', 'DescribeStream', 'ListStreams']);

/** The error type in an AWS error body: JSON `__type` / `errorType`, S3's XML `<Code>`, OpenSearch's `type`. */
export const errorTypeOf = (body: string): string | undefined => {
  const found =
    /"__type"\s*:\s*"([^"]{1,200})"/.exec(body)?.[1] ??
    /"errorType"\s*:\s*"([^"]{1,200})"/.exec(body)?.[1] ??
    /<Code>([^<]{1,200})<\/Code>/.exec(body)?.[1] ??
    /"type"\s*:\s*"([^"]{1,200})"/.exec(body)?.[1];
  return found?.split('#').at(-1);
};

const details = new WeakMap<IncomingMessage, RequestDetails>();

/** Tells the request log what a server learned about a request; later calls add to earlier ones. */
export const annotate = (req: IncomingMessage, learned: RequestDetails): void => {
  details.set(req, { ...details.get(req), ...learned });
};

/** The access key id a SigV4 request is signed with (header or presigned query). */
export const accessKeyIdOf = (req: IncomingMessage): string | undefined => {
  const authorization = req.headers.authorization ?? '';
  const fromHeader = /Credential=([A-Z0-9]{16,128})\//.exec(authorization)?.[1];
  if (fromHeader) return fromHeader;
  return /[?&]X-Amz-Credential=([A-Z0-9]{16,128})(%2F|\/)/i.exec(req.url ?? '')?.[1];
};

/** The user a JWT in the Authorization header names; its signature is the server's to check (a refusal shows). */
export const tokenUserOf = (req: IncomingMessage): string | undefined => {
  const authorization = (req.headers.authorization ?? '').replace(/^Bearer /i, '');
  const payload = authorization.split('.')[1];
  if (!payload || authorization.split('.').length !== 3) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof claims !== 'object' || claims === null) return undefined;
    const name = Reflect.get(claims, 'cognito:username') ?? Reflect.get(claims, 'username');
    return typeof name === 'string' ? name.slice(0, 128) : undefined;
  } catch {
    return undefined;
  }
};

/** The operation of a JSON-protocol request: `X-Amz-Target: DynamoDB_20120810.Query` → `Query`. */
export const targetOperation = (req: IncomingMessage): string => {
  const target = req.headers['x-amz-target'];
  const operation = typeof target === 'string' ? target.split('.').at(-1) : undefined;
  return operation && /^\w{1,64}$/.test(operation) ? operation : `${req.method ?? '?'} ${pathOf(req)}`;
};

/** The path without its query (which may carry a presigned signature). */
export const pathOf = (req: IncomingMessage): string => (req.url ?? '/').split('?')[0]?.slice(0, 200) ?? '/';

const headerText = (res: ServerResponse, name: string): string | undefined => {
  const value = res.getHeader(name);
  return typeof value === 'string' ? value.split(':')[0] : undefined;
};

/**
 * Reports every request a server answers to the log, once its answer is
 * sent: the one line a server needs (`logRequests(server, 's3', s3Operation)`).
 */
export const logRequests = (
  server: EventEmitter,
  service: string,
  operationOf: (req: IncomingMessage) => string = targetOperation,
  log: RequestLog = requestLog,
  options: { onlyNotable?: boolean } = {},
): void => {
  // First, so that the end of an answer the server's own listener sends at once is seen.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    let answered: string | undefined;
    // The error type of an error answer, read from its body (never kept, never logged).
    const end = res.end;
    res.end = function (this: ServerResponse, ...args: unknown[]): ServerResponse {
      const [chunk] = args;
      if (res.statusCode >= 400 && (typeof chunk === 'string' || Buffer.isBuffer(chunk)) && chunk.length < 65_536)
        answered = errorTypeOf(chunk.toString());
      return Reflect.apply(end, this, args);
    };
    res.once('close', () => {
      try {
        const learned = details.get(req) ?? {};
        const accessKeyId = accessKeyIdOf(req);
        const caller =
          learned.caller ??
          (accessKeyId ? (log.principalOf(accessKeyId) ?? 'unknown key') : undefined) ??
          tokenUserOf(req);
        const preflight = req.method === 'OPTIONS';
        const error =
          learned.error ??
          headerText(res, 'x-amzn-errortype') ??
          answered ??
          (preflight && res.statusCode >= 400 ? 'CORSResponse' : undefined);
        const operation = learned.operation ?? (preflight ? `preflight ${pathOf(req)}` : operationOf(req));
        // An event source mapping's polling is Lambda's, not the app's: shown only when it fails.
        if (POLLING.has(operation) && res.statusCode < 400) return;
        if (options.onlyNotable && !learned.notable && !notableOf(res.statusCode, error)) return;
        log.report({
          service,
          operation,
          status: res.statusCode,
          ms: performance.now() - started,
          ...(caller ? { caller } : {}),
          ...(error ? { error } : {}),
          ...(learned.notable ? { notable: learned.notable } : {}),
        });
      } catch {
        // The log never fails a request.
      }
    });
  });
};

/** `mutation createPost` for a GraphQL request: its operation's type and first root field. */
export const graphqlOperation = (query: string, operationName?: string): string => {
  const text = query.replace(/#[^\n]*/g, '').slice(0, 4000);
  const named = operationName
    ? new RegExp(
        `\\b(query|mutation|subscription)\\s+${operationName.replace(/\W/g, '')}\\b[^{]*\\{\\s*(?:\\w+\\s*:\\s*)?(\\w+)`,
      ).exec(text)
    : undefined;
  const match = named ?? /^\s*(?:(query|mutation|subscription)\b[^{]*)?\{\s*(?:\w+\s*:\s*)?(\w+)/.exec(text);
  return match ? `${match[1] ?? 'query'} ${match[2]}` : 'graphql';
};

/** S3's operation name for a path-style request (`/bucket/key?uploadId=...`). */
export const s3Operation = (req: IncomingMessage): string => {
  const url = new URL(req.url ?? '/', 'http://local');
  const [, bucket = '', ...rest] = url.pathname.split('/');
  const key = rest.join('/');
  const q = url.searchParams;
  const method = req.method ?? 'GET';
  if (!bucket) return method === 'GET' ? 'ListBuckets' : `${method} /`;
  if (!key) {
    if (method === 'GET')
      return q.has('uploads')
        ? 'ListMultipartUploads'
        : q.get('list-type') === '2'
          ? 'ListObjectsV2'
          : q.has('location')
            ? 'GetBucketLocation'
            : q.has('cors')
              ? 'GetBucketCors'
              : 'ListObjects';
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'POST' && q.has('delete')) return 'DeleteObjects';
    return `${method} bucket`;
  }
  switch (method) {
    case 'GET':
      return q.has('uploadId') ? 'ListParts' : q.has('tagging') ? 'GetObjectTagging' : 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'PUT':
      return q.has('partNumber')
        ? req.headers['x-amz-copy-source']
          ? 'UploadPartCopy'
          : 'UploadPart'
        : req.headers['x-amz-copy-source']
          ? 'CopyObject'
          : q.has('tagging')
            ? 'PutObjectTagging'
            : 'PutObject';
    case 'POST':
      return q.has('uploads') ? 'CreateMultipartUpload' : q.has('uploadId') ? 'CompleteMultipartUpload' : 'PostObject';
    case 'DELETE':
      return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    default:
      return `${method} object`;
  }
};
