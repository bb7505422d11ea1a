import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { listenLoopback } from '../http/json-server';
import { logRequests, s3Operation } from '../http/request-log';
import type { Decision } from '../iam/policy';
import { makePrivate, privateDir, writePrivateFile } from '../private-files';
import type { LocalTls } from '../tls';
import { type ChunkSigning, checkChecksums, decodeAwsChunked, STREAMING } from './chunked';
import { type CorsRule, corsHeaders, matchCors, requestedHeaders } from './cors';
import { S3Error, S3Errors } from './errors';
import type { ObjectEvent } from './notifications';
import { SignatureError, type SigningSecret, verifySigV4 } from './sigv4';
import { compareKeys, type NewObject, type ObjectMeta, ObjectStore } from './store';

export type { CorsRule } from './cors';

/** The largest body a single PUT or UploadPart takes locally (S3 takes 5 GB): bodies are held in memory. */
export const DEFAULT_MAX_OBJECT_BYTES = 100 * 1024 * 1024;
/** S3's longest key, in bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;
/** S3's smallest part, except the last, in a multipart upload. */
const MIN_PART_BYTES = 5 * 1024 * 1024;

export interface LocalStorageOptions {
  /** Objects put in their buckets at start (what deploy-time BucketDeployments would have put). */
  deployed?: Array<{ bucket: string; key: string; body: Buffer; contentType: string }>;
  /** Bucket names served, path-style: `https://127.0.0.1:<port>/<bucket>/<key>`. */
  buckets: string[];
  region: string;
  dir: string;
  tls: LocalTls;
  /** The secret of an access key the identity pool issued, while it is valid. */
  lookup(accessKeyId: string): SigningSecret | undefined;
  /** The IAM decision for the signer of a request. */
  authorize(
    accessKeyId: string,
    request: { action: string; resource: string; context?: Record<string, string> },
  ): Decision | undefined;
  /** Each bucket's CORS rules, from its `CorsConfiguration`; a bucket without rules refuses cross-origin requests. */
  cors?: Record<string, CorsRule[]>;
  /**
   * Called after each object is created or deleted (S3's event names), for
   * the bucket notifications the template configures; it must not throw.
   */
  onObjectEvent?: (event: ObjectEvent) => void;
  /** The largest object a single PUT (or one part) may carry; DEFAULT_MAX_OBJECT_BYTES unless given. */
  maxObjectBytes?: number;
  port?: number;
}

export interface LocalStorage {
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** What Amplify Storage takes as `customEndpoint`: host and port, no scheme. */
  endpoint: string;
  close(): Promise<void>;
}

const xmlEscape = (text: string): string =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);

const xmlUnescape = (text: string): string =>
  text.replace(/&(quot|amp|lt|gt|apos|#34);/g, (_, e: string) =>
    e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'apos' ? "'" : '"',
  );

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

const requestIdOf = (res: ServerResponse): string => {
  const id = res.getHeader('x-amz-request-id');
  return typeof id === 'string' ? id : '';
};

const sendXml = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
  const document = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  res.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': String(Buffer.byteLength(document)),
    ...headers,
  });
  res.end(document);
};

const errorXml = (error: S3Error, resource: string, requestId: string): string =>
  `<Error><Code>${xmlEscape(error.code)}</Code><Message>${xmlEscape(error.message)}</Message>${Object.entries(
    error.details,
  )
    .map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`)
    .join('')}<Resource>${xmlEscape(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`;

/** Percent-decoding that answers S3's 400 instead of throwing on `%zz` or bytes that are not UTF-8. */
const decodeStrict = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    throw S3Errors.invalidUri();
  }
};

/** A query string's parameters in order, decoded strictly (`+` is a space, as S3 reads it). */
const parseQuery = (query: string): Array<[string, string]> =>
  query
    .split('&')
    .filter(Boolean)
    .map((part) => {
      const eq = part.indexOf('=');
      const [name, value] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
      return [decodeStrict(name.replace(/\+/g, ' ')), decodeStrict(value.replace(/\+/g, ' '))];
    });

/** The request headers S3 stores with an object and answers with on GET and HEAD. */
const STORED_HEADERS = ['content-disposition', 'content-encoding', 'content-language', 'cache-control', 'expires'];

/** An object's content type, stored headers and user metadata (`x-amz-meta-*`), as a PUT or CreateMultipartUpload gives them. */
const describedBy = (req: IncomingMessage): Pick<ObjectMeta, 'contentType' | 'metadata' | 'headers'> => ({
  contentType: String(req.headers['content-type'] ?? 'application/octet-stream'),
  headers: Object.fromEntries(
    STORED_HEADERS.flatMap((name) => {
      const value = req.headers[name];
      if (typeof value !== 'string') return [];
      // aws-chunked is the request's framing, not the object's encoding.
      const kept =
        name === 'content-encoding'
          ? value
              .split(',')
              .map((e) => e.trim())
              .filter((e) => e && e !== 'aws-chunked')
              .join(', ')
          : value;
      return kept ? [[name, kept]] : [];
    }),
  ),
  metadata: Object.fromEntries(
    Object.entries(req.headers)
      .filter(([name]) => name.startsWith('x-amz-meta-'))
      .map(([name, value]) => [name.slice('x-amz-meta-'.length), String(value)]),
  ),
});

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

/**
 * Request headers that ask for S3 features this server does not have: they
 * are refused with NotImplemented rather than ignored, as ignoring them
 * would store or answer something else than what was asked.
 */
const UNSUPPORTED_HEADERS = [
  'x-amz-copy-source',
  'x-amz-acl',
  'x-amz-grant-read',
  'x-amz-grant-write',
  'x-amz-grant-read-acp',
  'x-amz-grant-write-acp',
  'x-amz-grant-full-control',
  'x-amz-tagging',
  'x-amz-tagging-directive',
  'x-amz-object-lock-mode',
  'x-amz-object-lock-retain-until-date',
  'x-amz-object-lock-legal-hold',
  'x-amz-website-redirect-location',
  'x-amz-server-side-encryption-customer-algorithm',
  'x-amz-server-side-encryption-customer-key',
  'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-request-payer',
  'x-amz-write-offset-bytes',
  'x-amz-rename-source',
];

/** Query parameters each operation understands; any other parameter (a sub-resource such as `acl` or `tagging`) is NotImplemented. */
const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};
const LIST_PARAMS = [
  'list-type',
  'prefix',
  'delimiter',
  'max-keys',
  'continuation-token',
  'start-after',
  'encoding-type',
  'fetch-owner',
  'marker',
];

/** Reads a body up to a limit; past it, answers EntityTooLarge (the rest is drained, not kept, so the answer arrives). */
const readLimited = (req: IncomingMessage, limit: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const declared = Number(header(req, 'content-length') ?? Number.NaN);
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    const refuse = (proposed: number): void => {
      refused = true;
      chunks.length = 0;
      reject(S3Errors.entityTooLarge(proposed, limit));
    };
    if (Number.isFinite(declared) && declared > limit) refuse(declared);
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // A client that goes on sending far past the limit loses its connection.
      if (refused && size > limit + 64 * 1024 * 1024) req.destroy();
      if (refused) return;
      if (size > limit) {
        refuse(Number.isFinite(declared) ? declared : size);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!refused) resolve(Buffer.concat(chunks));
    });
    req.on('error', () => reject(S3Errors.incompleteBody()));
    req.on('aborted', () => reject(S3Errors.incompleteBody()));
  });

interface ListEntry {
  /** The key, or the common prefix. */
  name: string;
  object?: ObjectMeta;
}

const TOKEN_PREFIX = 'v1:';
const encodeToken = (after: string): string => Buffer.from(`${TOKEN_PREFIX}${after}`, 'utf8').toString('base64');
const decodeToken = (token: string): string => {
  const text = /^[A-Za-z0-9+/]+={0,2}$/.test(token) ? Buffer.from(token, 'base64').toString('utf8') : '';
  if (!text.startsWith(TOKEN_PREFIX) || encodeToken(text.slice(TOKEN_PREFIX.length)) !== token) {
    throw S3Errors.invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
  }
  return text.slice(TOKEN_PREFIX.length);
};

/** S3's max-keys: an integer from 0 to 2^31-1, of which at most 1,000 are returned. */
const parseMaxKeys = (value: string | undefined): number => {
  if (value === undefined) return 1000;
  if (!/^-?\d+$/.test(value) || Number(value) > 2_147_483_647 || Number(value) < -2_147_483_648) {
    throw S3Errors.invalidArgument('Provided max-keys not an integer or within integer range', 'max-keys', value);
  }
  if (Number(value) < 0) {
    throw S3Errors.invalidArgument('Argument maxKeys must be an integer between 0 and 2147483647', 'maxKeys', value);
  }
  return Math.min(Number(value), 1000);
};

/** A `Range: bytes=…` header as S3 reads it: one range, or none (malformed and multiple ranges are ignored). */
const parseRange = (value: string | undefined, size: number): { start: number; end: number } | undefined => {
  const m = value ? /^bytes=(\d*)-(\d*)$/.exec(value.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw new S3Error('InvalidRange', 'The requested range is not satisfiable', 416);
    return { start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) {
    throw new S3Error('InvalidRange', 'The requested range is not satisfiable', 416, {
      RangeRequested: value ?? '',
      ActualObjectSize: String(size),
    });
  }
  return { start, end };
};

/** CompleteMultipartUpload's XML: the root element holding only `<Part>` elements, each with a number and an ETag. */
const parseCompletion = (xml: string): Array<{ n: number; etag: string }> => {
  const root =
    /^\s*(?:<\?xml[^>]*\?>)?\s*<CompleteMultipartUpload(?:\s[^>]*)?>([\s\S]*)<\/CompleteMultipartUpload>\s*$/.exec(xml);
  if (!root) throw S3Errors.malformedXml();
  const inner = root[1] ?? '';
  const parts: Array<{ n: number; etag: string }> = [];
  const rest = inner.replace(/<Part>([\s\S]*?)<\/Part>/g, (_, part: string) => {
    const numbers = [...part.matchAll(/<PartNumber>\s*(\d{1,5})\s*<\/PartNumber>/g)];
    const etags = [...part.matchAll(/<ETag>([^<]*)<\/ETag>/g)];
    const n = Number(numbers[0]?.[1]);
    if (numbers.length !== 1 || etags.length !== 1 || n < 1 || n > 10_000) throw S3Errors.malformedXml();
    parts.push({ n, etag: xmlUnescape(etags[0]?.[1] ?? '').trim() });
    return '';
  });
  if (rest.trim() !== '' || parts.length === 0) throw S3Errors.malformedXml();
  return parts;
};

const STREAMING_MODES: ReadonlySet<string> = new Set(Object.values(STREAMING));

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const unquote = (etag: string): string => etag.replace(/"/g, '');

/**
 * An S3-compatible endpoint for the Amplify Storage client, path-style, over
 * TLS on 127.0.0.1. Every request must carry a valid SigV4 signature (header
 * or presigned URL, streaming bodies chunk by chunk) from identity-pool
 * credentials, and is then allowed or denied by the IAM policies of the
 * credentials' role, as S3 would. Browsers get S3's CORS from each bucket's
 * rules. What S3 has and this server does not is answered NotImplemented.
 */
export const startLocalStorage = async (options: LocalStorageOptions): Promise<LocalStorage> => {
  const store = new ObjectStore(options.dir, options.buckets);
  for (const object of options.deployed ?? [])
    store.put(object.bucket, { key: object.key, contentType: object.contentType, metadata: {} }, object.body);
  const maxBytes = options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  const uploadsDir = join(options.dir, '.uploads');
  privateDir(uploadsDir);
  // Uploads in progress from an older version were written 0644.
  for (const id of readdirSync(uploadsDir)) {
    const upload = join(uploadsDir, id);
    if (!statSync(upload).isDirectory()) continue;
    privateDir(upload);
    for (const name of readdirSync(upload)) makePrivate(join(upload, name));
  }

  /** The preflight (`OPTIONS`), answered from the bucket's CORS rules without a signature, as S3 does. */
  const preflight = (req: IncomingMessage, res: ServerResponse, bucket: string, hasKey: boolean): void => {
    const origin = header(req, 'origin');
    const method = header(req, 'access-control-request-method');
    if (!origin) throw new S3Error('BadRequest', 'Insufficient information. Origin request header needed.', 400);
    if (!method || !['GET', 'PUT', 'POST', 'DELETE', 'HEAD'].includes(method)) {
      throw new S3Error('BadRequest', `Invalid Access-Control-Request-Method: ${method ?? 'null'}`, 400);
    }
    const rules = options.cors?.[bucket] ?? [];
    const details = { Method: method, ResourceType: hasKey ? 'OBJECT' : 'BUCKET' };
    if (rules.length === 0) {
      throw new S3Error('AccessForbidden', 'CORSResponse: CORS is not enabled for this bucket.', 403, details);
    }
    const request = { origin, method, headers: requestedHeaders(req.headers['access-control-request-headers']) };
    const rule = matchCors(rules, request);
    if (!rule) {
      throw new S3Error(
        'AccessForbidden',
        "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headerss are not whitelisted by the resource's CORS spec.",
        403,
        details,
      );
    }
    res.writeHead(200, { ...corsHeaders(rule, request, true), 'content-length': '0' });
    res.end();
  };

  /**
   * The body the signature vouches for: a hex payload hash is checked, an
   * aws-chunked body is decoded (its chunk signatures checked) and its
   * decoded length compared with `x-amz-decoded-content-length`; then the
   * checksums the request gives are checked.
   */
  const readPayload = async (
    req: IncomingMessage,
    payloadHash: string,
    signing: ChunkSigning,
  ): Promise<{ body: Buffer; checksums: Record<string, string> }> => {
    const streaming = payloadHash.startsWith('STREAMING-');
    if (streaming && !STREAMING_MODES.has(payloadHash)) {
      throw S3Errors.notImplemented('x-amz-content-sha256');
    }
    if (!streaming && payloadHash !== 'UNSIGNED-PAYLOAD' && !/^[0-9a-f]{64}$/.test(payloadHash)) {
      throw new S3Error(
        'InvalidArgument',
        'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-… or a SHA-256 hex digest',
        400,
        {
          ArgumentName: 'x-amz-content-sha256',
          ArgumentValue: payloadHash,
        },
      );
    }
    if (!streaming && header(req, 'content-length') === undefined && header(req, 'transfer-encoding') === undefined) {
      throw new S3Error('MissingContentLength', 'You must provide the Content-Length HTTP header.', 411);
    }
    let decodedLength: number | undefined;
    if (streaming) {
      const given = header(req, 'x-amz-decoded-content-length');
      if (given === undefined) {
        throw new S3Error('MissingContentLength', 'You must provide the Content-Length HTTP header.', 411);
      }
      if (!/^\d{1,15}$/.test(given)) {
        throw S3Errors.invalidArgument(
          'x-amz-decoded-content-length is not a number',
          'x-amz-decoded-content-length',
          given,
        );
      }
      decodedLength = Number(given);
      if (decodedLength > maxBytes) throw S3Errors.entityTooLarge(decodedLength, maxBytes);
    }
    // An aws-chunked body is its payload plus framing: about 90 bytes per 64 KB chunk.
    const raw = await readLimited(req, streaming ? maxBytes + Math.ceil(maxBytes / 512) + 4096 : maxBytes);
    let body = raw;
    const given: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith('x-amz-checksum-') || name === 'content-md5')
        given[name] = Array.isArray(value) ? value.join(',') : value;
    }
    if (streaming) {
      const decoded = decodeAwsChunked(raw, {
        signing: payloadHash === STREAMING.unsignedTrailer ? undefined : signing,
        trailer: payloadHash !== STREAMING.signed,
      });
      if (decoded.payload.length !== decodedLength) throw S3Errors.incompleteBody();
      const declared = (header(req, 'x-amz-trailer') ?? '')
        .split(',')
        .map((t) => t.trim().toLowerCase())
        .filter(Boolean);
      for (const name of Object.keys(decoded.trailers)) {
        if (!declared.includes(name)) {
          throw new S3Error('InvalidRequest', `The trailer ${name} was not declared in x-amz-trailer.`, 400);
        }
      }
      Object.assign(given, decoded.trailers);
      body = decoded.payload;
    } else if (/^[0-9a-f]{64}$/.test(payloadHash) && createHash('sha256').update(body).digest('hex') !== payloadHash) {
      throw new S3Error(
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        400,
      );
    }
    return { body, checksums: checkChecksums(body, given) };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const rawUrl = req.url ?? '/';
    if (!rawUrl.startsWith('/')) throw S3Errors.invalidUri();
    const queryAt = rawUrl.indexOf('?');
    const path = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
    const query = queryAt < 0 ? '' : rawUrl.slice(queryAt + 1);
    const method = req.method ?? 'GET';
    const [, rawBucket = '', ...rawKey] = path.split('/');
    const bucket = decodeStrict(rawBucket);
    const key = decodeStrict(rawKey.join('/'));
    const params = parseQuery(query);
    const get = (name: string): string | undefined => params.find(([k]) => k === name)?.[1];
    const has = (name: string): boolean => params.some(([k]) => k === name);

    if (!bucket) throw new S3Error('NotImplemented', 'ListBuckets is not available locally.', 501);
    if (!options.buckets.includes(bucket)) {
      throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });
    }
    if (method === 'OPTIONS') {
      preflight(req, res, bucket, key !== '');
      return;
    }
    // An actual cross-origin request gets the matching rule's headers on every answer, errors too.
    const origin = header(req, 'origin');
    if (origin) {
      const request = { origin, method };
      const rule = matchCors(options.cors?.[bucket] ?? [], request);
      if (rule)
        for (const [name, value] of Object.entries(corsHeaders(rule, request, false))) res.setHeader(name, value);
    }
    const keyBytes = Buffer.byteLength(key, 'utf8');
    if (keyBytes > MAX_KEY_BYTES) throw S3Errors.keyTooLong(keyBytes);

    let signer: string;
    let payloadHash: string;
    let signing: ChunkSigning;
    try {
      const verified = verifySigV4({ method, path, query, headers: req.headers }, options.lookup, {
        region: options.region,
        service: 's3',
      });
      signer = verified.accessKeyId;
      payloadHash = verified.payloadHash;
      signing = verified.signing;
    } catch (error) {
      if (error instanceof SignatureError) throw new S3Error(error.code, error.message, error.status);
      throw error;
    }

    // Sub-resources and features S3 has and this server does not: refused, never treated as something else.
    const operationParams = ((): string[] => {
      if (!key) return method === 'GET' ? LIST_PARAMS : [];
      if (has('uploadId') || has('uploads')) {
        return ['uploads', 'uploadId', 'partNumber', 'max-parts', 'part-number-marker'];
      }
      return method === 'GET' || method === 'HEAD' ? Object.keys(RESPONSE_OVERRIDES) : [];
    })();
    for (const [name] of params) {
      if (name === 'x-id' || name.toLowerCase().startsWith('x-amz-')) continue;
      if (!operationParams.includes(name)) throw S3Errors.notImplemented(`?${name}`);
    }
    for (const name of UNSUPPORTED_HEADERS) if (req.headers[name] !== undefined) throw S3Errors.notImplemented(name);
    const sse = header(req, 'x-amz-server-side-encryption');
    if (sse !== undefined && sse !== 'AES256') throw S3Errors.notImplemented('x-amz-server-side-encryption');
    const storageClass = header(req, 'x-amz-storage-class');
    if (storageClass !== undefined && storageClass !== 'STANDARD') throw S3Errors.notImplemented('x-amz-storage-class');

    const notify = (eventName: string, object: Omit<ObjectEvent, 'eventName' | 'principalId' | 'sourceIp'>): void =>
      options.onObjectEvent?.({
        ...object,
        eventName,
        principalId: `AWS:${signer}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      });
    const allow = (action: string, resource: string, context?: Record<string, string>): void => {
      if (options.authorize(signer, { action, resource, context }) !== 'Allow') {
        throw new S3Error('AccessDenied', 'Access Denied', 403);
      }
    };
    const objectArn = `arn:aws:s3:::${bucket}/${key}`;

    if (!key) {
      if (method === 'HEAD') {
        allow('s3:ListBucket', `arn:aws:s3:::${bucket}`);
        res.writeHead(200, { 'x-amz-bucket-region': options.region });
        res.end();
        return;
      }
      if (method === 'PUT' || method === 'DELETE' || method === 'POST') {
        throw S3Errors.notImplemented(`${method} on a bucket`);
      }
      if (method !== 'GET') {
        throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405, {
          Method: method,
          ResourceType: 'BUCKET',
        });
      }
      list(res, bucket, get, allow);
      return;
    }

    if (has('uploads') || has('uploadId')) {
      await multipart(req, res, { bucket, key, objectArn, get, has, allow, payloadHash, signing, notify });
      return;
    }

    switch (method) {
      case 'PUT': {
        allow('s3:PutObject', objectArn);
        const existing = store.head(bucket, key);
        const ifNoneMatch = header(req, 'if-none-match');
        const ifMatch = header(req, 'if-match');
        if (
          (ifNoneMatch === '*' && existing) ||
          (ifMatch !== undefined && (!existing || unquote(ifMatch) !== unquote(existing.etag)))
        ) {
          throw new S3Error(
            'PreconditionFailed',
            'At least one of the pre-conditions you specified did not hold',
            412,
            {
              Condition: ifNoneMatch !== undefined ? 'If-None-Match' : 'If-Match',
            },
          );
        }
        if (ifNoneMatch !== undefined && ifNoneMatch !== '*') throw S3Errors.notImplemented('If-None-Match');
        const { body, checksums } = await readPayload(req, payloadHash, signing);
        const meta = store.put(bucket, { key, ...describedBy(req), checksums }, body);
        res.writeHead(200, { etag: meta.etag, ...checksums });
        res.end();
        notify('ObjectCreated:Put', { bucket, key, size: body.length, eTag: meta.etag });
        return;
      }
      case 'GET':
      case 'HEAD': {
        allow('s3:GetObject', objectArn);
        const meta = store.head(bucket, key);
        if (!meta) {
          if (method === 'HEAD') throw new S3Error('NotFound', 'Not Found', 404);
          throw new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
        }
        const modified = new Date(meta.lastModified);
        const since = (name: string): number | undefined => {
          const value = header(req, name);
          const at = value === undefined ? Number.NaN : Date.parse(value);
          return Number.isNaN(at) ? undefined : at;
        };
        const ifMatch = header(req, 'if-match');
        const ifNoneMatch = header(req, 'if-none-match');
        const modifiedSeconds = Math.floor(modified.getTime() / 1000) * 1000;
        const unmodifiedSince = since('if-unmodified-since');
        const modifiedSince = since('if-modified-since');
        const etags = (value: string): string[] => value.split(',').map((e) => unquote(e.trim()));
        if (
          (ifMatch !== undefined && !etags(ifMatch).some((e) => e === '*' || e === unquote(meta.etag))) ||
          (ifMatch === undefined && unmodifiedSince !== undefined && modifiedSeconds > unmodifiedSince)
        ) {
          throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
        }
        const common = {
          etag: meta.etag,
          'last-modified': modified.toUTCString(),
          'accept-ranges': 'bytes',
        };
        if (
          (ifNoneMatch !== undefined && etags(ifNoneMatch).some((e) => e === '*' || e === unquote(meta.etag))) ||
          (ifNoneMatch === undefined && modifiedSince !== undefined && modifiedSeconds <= modifiedSince)
        ) {
          res.writeHead(304, common);
          res.end();
          return;
        }
        const overrides = Object.fromEntries(
          params.flatMap(([name, value]) => (RESPONSE_OVERRIDES[name] ? [[RESPONSE_OVERRIDES[name], value]] : [])),
        );
        const range = parseRange(header(req, 'range'), meta.size);
        const checksums = header(req, 'x-amz-checksum-mode') === 'ENABLED' && !range ? (meta.checksums ?? {}) : {};
        const headers = {
          'content-type': meta.contentType,
          ...meta.headers,
          ...common,
          ...Object.fromEntries(Object.entries(meta.metadata).map(([k, v]) => [`x-amz-meta-${k}`, v])),
          ...checksums,
          ...overrides,
        };
        if (method === 'HEAD') {
          res.writeHead(200, { ...headers, 'content-length': String(meta.size) });
          res.end();
          return;
        }
        const found = store.get(bucket, key);
        if (!found) throw new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
        if (range) {
          res.writeHead(206, {
            ...headers,
            'content-range': `bytes ${range.start}-${range.end}/${meta.size}`,
            'content-length': String(range.end - range.start + 1),
          });
          res.end(found.body.subarray(range.start, range.end + 1));
          return;
        }
        res.writeHead(200, { ...headers, 'content-length': String(found.body.length) });
        res.end(found.body);
        return;
      }
      case 'DELETE':
        allow('s3:DeleteObject', objectArn);
        store.delete(bucket, key);
        res.writeHead(204);
        res.end();
        notify('ObjectRemoved:Delete', { bucket, key });
        return;
      case 'POST':
        throw S3Errors.notImplemented('POST on an object');
      default:
        throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405, {
          Method: method,
          ResourceType: 'OBJECT',
        });
    }
  };

  /** ListObjectsV2 (`list-type=2`) and ListObjects (v1), with prefix, delimiter, paging and URL encoding. */
  const list = (
    res: ServerResponse,
    bucket: string,
    get: (name: string) => string | undefined,
    allow: (action: string, resource: string, context?: Record<string, string>) => void,
  ): void => {
    const listType = get('list-type');
    if (listType !== undefined && listType !== '2') {
      throw S3Errors.invalidArgument('Invalid List Type specified in Request', 'list-type', listType);
    }
    const v2 = listType === '2';
    const prefix = get('prefix') ?? '';
    const delimiter = get('delimiter') ?? '';
    const encodingType = get('encoding-type');
    if (encodingType !== undefined && encodingType !== 'url') {
      throw S3Errors.invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encodingType);
    }
    const maxKeys = parseMaxKeys(get('max-keys'));
    const token = v2 ? get('continuation-token') : undefined;
    if (token !== undefined && token === '') {
      throw S3Errors.invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
    }
    const after = token !== undefined ? decodeToken(token) : undefined;
    const startAfter = (v2 ? get('start-after') : get('marker')) ?? '';
    allow('s3:ListBucket', `arn:aws:s3:::${bucket}`, {
      's3:prefix': prefix,
      ...(delimiter ? { 's3:delimiter': delimiter } : {}),
    });

    const entries: ListEntry[] = [];
    const seen = new Set<string>();
    for (const object of store.list(bucket, prefix)) {
      if (startAfter && compareKeys(object.key, startAfter) <= 0) continue;
      const cut = delimiter ? object.key.indexOf(delimiter, prefix.length) : -1;
      if (cut >= 0) {
        const common = object.key.slice(0, cut + delimiter.length);
        if (!seen.has(common)) {
          seen.add(common);
          entries.push({ name: common });
        }
      } else {
        entries.push({ name: object.key, object });
      }
    }
    const remaining = after === undefined ? entries : entries.filter((e) => compareKeys(e.name, after) > 0);
    const page = remaining.slice(0, maxKeys);
    const truncated = remaining.length > page.length;
    const enc = (text: string): string =>
      xmlEscape(encodingType === 'url' ? encodeURIComponent(text).replace(/%2F/g, '/') : text);
    const contents = page
      .flatMap((e) =>
        e.object
          ? [
              `<Contents><Key>${enc(e.object.key)}</Key><LastModified>${e.object.lastModified}</LastModified><ETag>${xmlEscape(e.object.etag)}</ETag><Size>${e.object.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
            ]
          : [],
      )
      .join('');
    const prefixes = page
      .flatMap((e) => (e.object ? [] : [`<CommonPrefixes><Prefix>${enc(e.name)}</Prefix></CommonPrefixes>`]))
      .join('');
    const last = page.at(-1)?.name ?? '';
    const common = `<Name>${xmlEscape(bucket)}</Name><Prefix>${enc(prefix)}</Prefix>${delimiter ? `<Delimiter>${enc(delimiter)}</Delimiter>` : ''}<MaxKeys>${maxKeys}</MaxKeys>${encodingType ? '<EncodingType>url</EncodingType>' : ''}<IsTruncated>${truncated}</IsTruncated>`;
    const paging = v2
      ? `<KeyCount>${page.length}</KeyCount>${token !== undefined ? `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>` : ''}${truncated ? `<NextContinuationToken>${encodeToken(last)}</NextContinuationToken>` : ''}${startAfter ? `<StartAfter>${enc(startAfter)}</StartAfter>` : ''}`
      : `<Marker>${enc(startAfter)}</Marker>${truncated ? `<NextMarker>${enc(last)}</NextMarker>` : ''}`;
    sendXml(res, 200, `<ListBucketResult xmlns="${NS}">${common}${paging}${contents}${prefixes}</ListBucketResult>`);
  };

  interface Upload extends NewObject {
    bucket: string;
  }
  const uploadOf = (dir: string): Upload | undefined => {
    try {
      const u: unknown = JSON.parse(readFileSync(join(dir, 'upload.json'), 'utf8'));
      if (
        !isRecord(u) ||
        typeof u.bucket !== 'string' ||
        typeof u.key !== 'string' ||
        typeof u.contentType !== 'string'
      ) {
        return undefined;
      }
      const strings = (value: unknown): Record<string, string> =>
        Object.fromEntries(Object.entries(isRecord(value) ? value : {}).map(([k, v]) => [k, String(v)]));
      return {
        bucket: u.bucket,
        key: u.key,
        contentType: u.contentType,
        metadata: strings(u.metadata),
        headers: strings(u.headers),
      };
    } catch {
      return undefined;
    }
  };

  /**
   * Multipart uploads, which Amplify Storage uses above 5 MB: parts are kept
   * under `.uploads/<id>/` until CompleteMultipartUpload joins them. Creating,
   * uploading parts and completing need s3:PutObject on the key, as on S3.
   */
  const multipart = async (
    req: IncomingMessage,
    res: ServerResponse,
    input: {
      bucket: string;
      key: string;
      objectArn: string;
      get: (name: string) => string | undefined;
      has: (name: string) => boolean;
      allow: (action: string, resource: string) => void;
      payloadHash: string;
      signing: ChunkSigning;
      notify: (eventName: string, object: Omit<ObjectEvent, 'eventName' | 'principalId' | 'sourceIp'>) => void;
    },
  ): Promise<void> => {
    const { bucket, key, objectArn, get, has, allow, notify } = input;
    const method = req.method ?? 'GET';
    const uploadId = get('uploadId');
    if (has('uploads')) {
      if (method !== 'POST' || uploadId !== undefined) throw S3Errors.notImplemented(`${method} ?uploads`);
      allow('s3:PutObject', objectArn);
      const id = randomUUID();
      writePrivateFile(join(uploadsDir, id, 'upload.json'), JSON.stringify({ bucket, key, ...describedBy(req) }));
      sendXml(
        res,
        200,
        `<InitiateMultipartUploadResult xmlns="${NS}"><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
      );
      return;
    }
    const dir = join(uploadsDir, /^[0-9a-f-]{36}$/.test(uploadId ?? '') ? String(uploadId) : 'none');
    const upload = existsSync(join(dir, 'upload.json')) ? uploadOf(dir) : undefined;
    if (!upload || upload.bucket !== bucket || upload.key !== key) {
      throw new S3Error(
        'NoSuchUpload',
        'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
        404,
        {
          UploadId: uploadId ?? '',
        },
      );
    }
    const parts = () =>
      readdirSync(dir)
        .filter((name) => /^\d+$/.test(name))
        .map(Number)
        .sort((a, b) => a - b)
        .map((n) => {
          const body = readFileSync(join(dir, String(n)));
          return { n, body, etag: `"${createHash('md5').update(body).digest('hex')}"` };
        });
    const integer = (name: string, min: number, max: number, fallback: number): number => {
      const value = get(name);
      if (value === undefined) return fallback;
      if (!/^\d{1,6}$/.test(value) || Number(value) < min || Number(value) > max) {
        throw S3Errors.invalidArgument(`${name} must be an integer from ${min} to ${max}`, name, value);
      }
      return Number(value);
    };
    if (method !== 'PUT' && get('partNumber') !== undefined) throw S3Errors.notImplemented('?partNumber');
    switch (method) {
      case 'PUT': {
        allow('s3:PutObject', objectArn);
        if (get('partNumber') === undefined) {
          throw S3Errors.invalidArgument('partNumber must be an integer from 1 to 10000', 'partNumber', '');
        }
        const partNumber = integer('partNumber', 1, 10_000, 0);
        const { body } = await readPayload(req, input.payloadHash, input.signing);
        writePrivateFile(join(dir, String(partNumber)), body);
        res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
        res.end();
        return;
      }
      case 'GET': {
        allow('s3:ListMultipartUploadParts', objectArn);
        const maxParts = integer('max-parts', 0, 1000, 1000);
        const marker = integer('part-number-marker', 0, 10_000, 0);
        const after = parts().filter((p) => p.n > marker);
        const page = after.slice(0, maxParts);
        const truncated = after.length > page.length;
        const listed = page
          .map(
            (p) =>
              `<Part><PartNumber>${p.n}</PartNumber><ETag>${xmlEscape(p.etag)}</ETag><Size>${p.body.length}</Size></Part>`,
          )
          .join('');
        sendXml(
          res,
          200,
          `<ListPartsResult xmlns="${NS}"><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${uploadId}</UploadId><PartNumberMarker>${marker}</PartNumberMarker>${truncated ? `<NextPartNumberMarker>${page.at(-1)?.n ?? 0}</NextPartNumberMarker>` : ''}<MaxParts>${maxParts}</MaxParts><IsTruncated>${truncated}</IsTruncated>${listed}</ListPartsResult>`,
        );
        return;
      }
      case 'POST': {
        allow('s3:PutObject', objectArn);
        const wanted = parseCompletion((await readLimited(req, 1024 * 1024)).toString('utf8'));
        const stored = new Map(parts().map((p) => [p.n, p]));
        const chosen = wanted.map((w, i) => {
          if (i > 0 && w.n <= (wanted[i - 1]?.n ?? 0)) {
            throw new S3Error(
              'InvalidPartOrder',
              'The list of parts was not in ascending order. The parts list must be specified in order by part number.',
              400,
            );
          }
          const part = stored.get(w.n);
          if (!part || unquote(part.etag) !== unquote(w.etag)) {
            throw new S3Error(
              'InvalidPart',
              "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
              400,
              { PartNumber: String(w.n), ETag: w.etag },
            );
          }
          return part;
        });
        const small = chosen.slice(0, -1).find((p) => p.body.length < MIN_PART_BYTES);
        if (small) {
          throw new S3Error(
            'EntityTooSmall',
            'Your proposed upload is smaller than the minimum allowed object size.',
            400,
            {
              ProposedSize: String(small.body.length),
              MinSizeAllowed: String(MIN_PART_BYTES),
              PartNumber: String(small.n),
            },
          );
        }
        // S3's multipart ETag: the MD5 of the parts' MD5s, then the part count.
        const digests = Buffer.concat(chosen.map((p) => Buffer.from(unquote(p.etag), 'hex')));
        const meta = store.put(
          bucket,
          { key, contentType: upload.contentType, metadata: upload.metadata, headers: upload.headers },
          Buffer.concat(chosen.map((p) => p.body)),
          `"${createHash('md5').update(digests).digest('hex')}-${chosen.length}"`,
        );
        rmSync(dir, { recursive: true, force: true });
        notify('ObjectCreated:CompleteMultipartUpload', { bucket, key, size: meta.size, eTag: meta.etag });
        sendXml(
          res,
          200,
          `<CompleteMultipartUploadResult xmlns="${NS}"><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>${xmlEscape(meta.etag)}</ETag></CompleteMultipartUploadResult>`,
        );
        return;
      }
      case 'DELETE':
        allow('s3:AbortMultipartUpload', objectArn);
        rmSync(dir, { recursive: true, force: true });
        res.writeHead(204);
        res.end();
        return;
      default:
        throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405, {
          Method: method,
          ResourceType: 'OBJECT',
        });
    }
  };

  const server = createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
    res.setHeader('x-amz-request-id', randomBytes(8).toString('hex').toUpperCase());
    // A last resort: whatever happens, the request gets an S3 error and the server keeps serving.
    handle(req, res).catch((error: unknown) => {
      const s3 =
        error instanceof S3Error
          ? error
          : new S3Error('InternalError', 'We encountered an internal error. Please try again.', 500);
      if (!(error instanceof S3Error)) console.error('local S3:', error);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const resource = (req.url ?? '/').split('?')[0] ?? '/';
      if (req.method === 'HEAD') {
        res.writeHead(s3.status, { 'x-amz-error-code': s3.code });
        res.end();
        return;
      }
      sendXml(res, s3.status, errorXml(s3, resource, requestIdOf(res)));
    });
  });
  // Requests Node cannot parse as HTTP get S3's answer too, rather than a bare 400.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) return;
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const s3 = tooLarge
      ? new S3Error(
          'RequestHeaderSectionTooLarge',
          'Your request header section exceeds the maximum allowed size.',
          400,
        )
      : new S3Error('BadRequest', 'An error occurred when parsing the HTTP request.', 400);
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n${errorXml(s3, '/', randomBytes(8).toString('hex').toUpperCase())}`;
    socket.end(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: application/xml\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  logRequests(server, 's3', s3Operation);
  const listening = await listenLoopback(server as never, options.port);
  const url = listening.url.replace('http://', 'https://');
  return { url, endpoint: url.replace('https://', ''), close: listening.close };
};
