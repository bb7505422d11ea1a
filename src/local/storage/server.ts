import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { HttpError, listenLoopback, readBody } from '../http/json-server';
import type { Decision } from '../iam/policy';
import type { LocalTls } from '../tls';
import { SignatureError, type SigningSecret, verifySigV4 } from './sigv4';

export interface LocalStorageOptions {
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
  /** The largest object a single PUT may carry. */
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

interface ObjectMeta {
  key: string;
  size: number;
  etag: string;
  contentType: string;
  lastModified: string;
  metadata: Record<string, string>;
}

const xmlEscape = (text: string): string =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);

const sendXml = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': randomUUID(), ...headers });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
};

/** An object's content type and user metadata (`x-amz-meta-*`), as a PUT or CreateMultipartUpload gives them. */
const describedBy = (req: IncomingMessage): Pick<ObjectMeta, 'contentType' | 'metadata'> => ({
  contentType: String(req.headers['content-type'] ?? 'application/octet-stream'),
  metadata: Object.fromEntries(
    Object.entries(req.headers)
      .filter(([name]) => name.startsWith('x-amz-meta-'))
      .map(([name, value]) => [name.slice('x-amz-meta-'.length), String(value)]),
  ),
});

class S3Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Objects on disk: `<dir>/<bucket>/<encoded key>` with a `.meta.json` beside each. */
class ObjectStore {
  constructor(private readonly dir: string) {}

  private path(bucket: string, key: string): string {
    return join(this.dir, bucket, encodeURIComponent(key));
  }

  put(
    bucket: string,
    meta: Omit<ObjectMeta, 'etag' | 'lastModified' | 'size'>,
    body: Buffer,
    etag = `"${createHash('md5').update(body).digest('hex')}"`,
  ): ObjectMeta {
    const file = this.path(bucket, meta.key);
    mkdirSync(join(this.dir, bucket), { recursive: true });
    const full: ObjectMeta = {
      ...meta,
      size: body.length,
      etag,
      lastModified: new Date().toISOString(),
    };
    // Body first, then its metadata: an object is visible only once both are complete.
    writeFileSync(`${file}.tmp`, body);
    renameSync(`${file}.tmp`, file);
    writeFileSync(`${file}.meta.json.tmp`, JSON.stringify(full));
    renameSync(`${file}.meta.json.tmp`, `${file}.meta.json`);
    return full;
  }

  head(bucket: string, key: string): ObjectMeta | undefined {
    const file = `${this.path(bucket, key)}.meta.json`;
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ObjectMeta) : undefined;
  }

  get(bucket: string, key: string): { meta: ObjectMeta; body: Buffer } | undefined {
    const meta = this.head(bucket, key);
    return meta && { meta, body: readFileSync(this.path(bucket, key)) };
  }

  delete(bucket: string, key: string): void {
    const file = this.path(bucket, key);
    rmSync(`${file}.meta.json`, { force: true });
    rmSync(file, { force: true });
  }

  list(bucket: string, prefix: string): ObjectMeta[] {
    const dir = join(this.dir, bucket);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((name) => name.endsWith('.meta.json'))
      .map((name) => decodeURIComponent(name.slice(0, -'.meta.json'.length)))
      .filter((key) => key.startsWith(prefix))
      .sort()
      .flatMap((key) => this.head(bucket, key) ?? []);
  }
}

/**
 * An S3-compatible endpoint for the Amplify Storage client, path-style, over
 * TLS on 127.0.0.1. Every request must carry a valid SigV4 signature (header
 * or presigned URL) from identity-pool credentials, and is then allowed or
 * denied by the IAM policies of the credentials' role, as S3 would.
 */
export const startLocalStorage = async (options: LocalStorageOptions): Promise<LocalStorage> => {
  const store = new ObjectStore(options.dir);
  const maxBytes = options.maxObjectBytes ?? 100 * 1024 * 1024;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const path = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
    const query = queryAt < 0 ? '' : rawUrl.slice(queryAt + 1);
    const method = req.method ?? 'GET';
    const [, rawBucket = '', ...rawKey] = path.split('/');
    const bucket = decodeURIComponent(rawBucket);
    const key = decodeURIComponent(rawKey.join('/'));
    if (!options.buckets.includes(bucket))
      throw new S3Error('NoSuchBucket', 'The specified bucket does not exist.', 404);

    let signer: string;
    let payloadHash: string;
    try {
      const verified = verifySigV4({ method, path, query, headers: req.headers }, options.lookup, {
        region: options.region,
        service: 's3',
      });
      signer = verified.accessKeyId;
      payloadHash = verified.payloadHash;
    } catch (error) {
      if (error instanceof SignatureError) throw new S3Error(error.code, error.message, error.status);
      throw error;
    }
    const params = new URLSearchParams(query);
    const allow = (action: string, resource: string, context?: Record<string, string>): void => {
      if (options.authorize(signer, { action, resource, context }) !== 'Allow') {
        throw new S3Error('AccessDenied', `Access Denied: ${action} on ${resource}.`, 403);
      }
    };
    const objectArn = `arn:aws:s3:::${bucket}/${key}`;

    if (!key) {
      if (method !== 'GET')
        throw new S3Error('MethodNotAllowed', `${method} on a bucket is not supported locally.`, 405);
      const prefix = params.get('prefix') ?? '';
      allow('s3:ListBucket', `arn:aws:s3:::${bucket}`, { 's3:prefix': prefix });
      const maxKeys = Math.min(Math.max(Number(params.get('max-keys') ?? 1000) || 1000, 1), 1000);
      const after = params.get('continuation-token') ?? params.get('start-after') ?? '';
      const all = store.list(bucket, prefix).filter((o) => o.key > after);
      const page = all.slice(0, maxKeys);
      const truncated = all.length > page.length;
      const contents = page
        .map(
          (o) =>
            `<Contents><Key>${xmlEscape(o.key)}</Key><LastModified>${o.lastModified}</LastModified><ETag>${xmlEscape(o.etag)}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
        )
        .join('');
      const next = truncated
        ? `<NextContinuationToken>${xmlEscape(page.at(-1)?.key ?? '')}</NextContinuationToken>`
        : '';
      sendXml(
        res,
        200,
        `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${next}${contents}</ListBucketResult>`,
      );
      return;
    }

    const uploadId = params.get('uploadId');
    if (params.has('uploads') || uploadId !== null) {
      await multipart(req, res, { bucket, key, objectArn, uploadId, params, allow });
      return;
    }

    switch (method) {
      case 'PUT': {
        allow('s3:PutObject', objectArn);
        const body = await readBody(req, maxBytes);
        if (/^[0-9a-f]{64}$/.test(payloadHash) && createHash('sha256').update(body).digest('hex') !== payloadHash) {
          throw new S3Error('XAmzContentSHA256Mismatch', 'The body does not match its signed SHA-256.', 400);
        }
        const meta = store.put(bucket, { key, ...describedBy(req) }, body);
        res.writeHead(200, { etag: meta.etag, 'x-amz-request-id': randomUUID() });
        res.end();
        return;
      }
      case 'GET':
      case 'HEAD': {
        allow('s3:GetObject', objectArn);
        const found = store.get(bucket, key);
        if (!found) throw new S3Error('NoSuchKey', 'The specified key does not exist.', 404);
        res.writeHead(200, {
          'content-type': found.meta.contentType,
          'content-length': String(found.meta.size),
          etag: found.meta.etag,
          'last-modified': new Date(found.meta.lastModified).toUTCString(),
          ...Object.fromEntries(Object.entries(found.meta.metadata).map(([k, v]) => [`x-amz-meta-${k}`, v])),
        });
        res.end(method === 'HEAD' ? undefined : found.body);
        return;
      }
      case 'DELETE':
        allow('s3:DeleteObject', objectArn);
        store.delete(bucket, key);
        res.writeHead(204);
        res.end();
        return;
      default:
        throw new S3Error('MethodNotAllowed', `${method} is not supported locally.`, 405);
    }
  };

  const uploadsDir = join(options.dir, '.uploads');
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
      uploadId: string | null;
      params: URLSearchParams;
      allow: (action: string, resource: string) => void;
    },
  ): Promise<void> => {
    const { bucket, key, objectArn, uploadId, params, allow } = input;
    const method = req.method ?? 'GET';
    if (method === 'POST' && params.has('uploads')) {
      allow('s3:PutObject', objectArn);
      const id = randomUUID();
      mkdirSync(join(uploadsDir, id), { recursive: true });
      writeFileSync(join(uploadsDir, id, 'upload.json'), JSON.stringify({ bucket, key, ...describedBy(req) }));
      sendXml(
        res,
        200,
        `<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
      );
      return;
    }
    const dir = join(uploadsDir, /^[0-9a-f-]{36}$/.test(uploadId ?? '') ? String(uploadId) : 'none');
    const upload = existsSync(join(dir, 'upload.json'))
      ? (JSON.parse(readFileSync(join(dir, 'upload.json'), 'utf8')) as Omit<
          ObjectMeta,
          'etag' | 'lastModified' | 'size'
        > & {
          bucket: string;
        })
      : undefined;
    if (!upload || upload.bucket !== bucket || upload.key !== key) {
      throw new S3Error('NoSuchUpload', 'The specified multipart upload does not exist.', 404);
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
    switch (method) {
      case 'PUT': {
        allow('s3:PutObject', objectArn);
        const partNumber = Number(params.get('partNumber'));
        if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
          throw new S3Error('InvalidArgument', 'partNumber must be an integer from 1 to 10000.', 400);
        }
        const body = await readBody(req, maxBytes);
        writeFileSync(join(dir, `${partNumber}.tmp`), body);
        renameSync(join(dir, `${partNumber}.tmp`), join(dir, String(partNumber)));
        res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
        res.end();
        return;
      }
      case 'GET': {
        allow('s3:ListMultipartUploadParts', objectArn);
        const listed = parts()
          .map(
            (p) =>
              `<Part><PartNumber>${p.n}</PartNumber><ETag>${xmlEscape(p.etag)}</ETag><Size>${p.body.length}</Size></Part>`,
          )
          .join('');
        sendXml(
          res,
          200,
          `<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${uploadId}</UploadId><IsTruncated>false</IsTruncated>${listed}</ListPartsResult>`,
        );
        return;
      }
      case 'POST': {
        allow('s3:PutObject', objectArn);
        const request = (await readBody(req, 1024 * 1024)).toString('utf8');
        const wanted = [...request.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map(([, part]) => ({
          n: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(part ?? '')?.[1]),
          etag: (/<ETag>([\s\S]*?)<\/ETag>/.exec(part ?? '')?.[1] ?? '').replace(/&quot;/g, '"'),
        }));
        const stored = new Map(parts().map((p) => [p.n, p]));
        if (wanted.length === 0) throw new S3Error('MalformedXML', 'The request names no parts.', 400);
        const chosen = wanted.map((w, i) => {
          const part = stored.get(w.n);
          if (!part || part.etag.replace(/"/g, '') !== w.etag.replace(/"/g, '')) {
            throw new S3Error('InvalidPart', `Part ${w.n} was not uploaded or its ETag does not match.`, 400);
          }
          if (i > 0 && w.n <= (wanted[i - 1]?.n ?? 0)) {
            throw new S3Error('InvalidPartOrder', 'Parts must be listed in ascending order.', 400);
          }
          return part;
        });
        // S3's multipart ETag: the MD5 of the parts' MD5s, then the part count.
        const digests = Buffer.concat(chosen.map((p) => Buffer.from(p.etag.replace(/"/g, ''), 'hex')));
        const meta = store.put(
          bucket,
          { key, contentType: upload.contentType, metadata: upload.metadata },
          Buffer.concat(chosen.map((p) => p.body)),
          `"${createHash('md5').update(digests).digest('hex')}-${chosen.length}"`,
        );
        rmSync(dir, { recursive: true, force: true });
        sendXml(
          res,
          200,
          `<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>${xmlEscape(meta.etag)}</ETag></CompleteMultipartUploadResult>`,
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
        throw new S3Error('MethodNotAllowed', `${method} is not supported on a multipart upload.`, 405);
    }
  };

  const server = createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      const s3 =
        error instanceof S3Error
          ? error
          : error instanceof HttpError
            ? new S3Error('EntityTooLarge', error.message, error.status)
            : new S3Error('InternalError', 'We encountered an internal error. Please try again.', 500);
      if (!(error instanceof S3Error) && !(error instanceof HttpError)) console.error(error);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (req.method === 'HEAD') {
        res.writeHead(s3.status);
        res.end();
        return;
      }
      sendXml(res, s3.status, `<Error><Code>${s3.code}</Code><Message>${xmlEscape(s3.message)}</Message></Error>`);
    });
  });
  const listening = await listenLoopback(server as never, options.port);
  const url = listening.url.replace('http://', 'https://');
  return { url, endpoint: url.replace('https://', ''), close: listening.close };
};
