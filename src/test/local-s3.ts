import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { evaluate, type PolicyDocument } from '../local/iam/policy';
import type { CorsRule } from '../local/storage/cors';
import { type LocalStorage, startLocalStorage } from '../local/storage/server';
import { type LocalTls, loadOrCreateTls } from '../local/tls';

export const BUCKET = 'media.local';
export const REGION = 'us-east-1';
export const CREDENTIALS = {
  accessKeyId: 'ASIASTORAGETEST00001',
  secretAccessKey: 'storage-test-secret',
  sessionToken: 'tok',
};
/** The signer may read and write under `own/` and list the bucket, nothing else. */
const POLICY: PolicyDocument = {
  Statement: [
    {
      Effect: 'Allow',
      Action: [
        's3:PutObject',
        's3:GetObject',
        's3:DeleteObject',
        's3:AbortMultipartUpload',
        's3:ListMultipartUploadParts',
      ],
      Resource: `arn:aws:s3:::${BUCKET}/own/*`,
    },
    { Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${BUCKET}` },
  ],
};

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

export interface SendOptions {
  /** Sign with the SDK's signer (the default), or send unsigned. */
  sign?: boolean;
  /** The x-amz-content-sha256 to sign: the body's hash unless given. */
  payloadHash?: string;
  /** Headers that are signed. */
  headers?: Record<string, string>;
  /** Headers added after signing. */
  unsigned?: Record<string, string>;
}

export interface S3Fixture {
  dir: string;
  tls: LocalTls;
  storage: LocalStorage;
  /** The real AWS SDK client, path-style, trusting the local CA. */
  client: S3Client;
  /** A raw request: `path` is sent exactly as given (already percent-encoded), signed by the SDK's signer. */
  send(method: string, path: string, body?: string | Buffer, options?: SendOptions): Promise<Answer>;
  close(): Promise<void>;
}

export const startS3Fixture = async (
  options: {
    maxObjectBytes?: number;
    cors?: Record<string, CorsRule[]>;
    buckets?: string[];
    /** Runs before the server starts, with the folder it will keep objects in. */
    before?: (objectsDir: string) => void;
  } = {},
): Promise<S3Fixture> => {
  const dir = mkdtempSync(join(tmpdir(), 'local-s3-'));
  options.before?.(join(dir, 'objects'));
  const tls = await loadOrCreateTls(join(dir, 'tls'));
  const storage = await startLocalStorage({
    buckets: options.buckets ?? [BUCKET],
    region: REGION,
    dir: join(dir, 'objects'),
    tls,
    cors: options.cors,
    maxObjectBytes: options.maxObjectBytes,
    lookup: (id) => (id === CREDENTIALS.accessKeyId ? CREDENTIALS : undefined),
    authorize: (id, req) =>
      id === CREDENTIALS.accessKeyId ? evaluate([POLICY], { ...req, context: req.context ?? {} }) : undefined,
  });
  const agent = new Agent({ ca: tls.ca, keepAlive: false });
  const client = new S3Client({
    endpoint: storage.url,
    forcePathStyle: true,
    region: REGION,
    credentials: CREDENTIALS,
    requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
    maxAttempts: 1,
  });
  // S3 signs the path as sent: the test gives it encoded, so the signer must not encode it again.
  const signer = new SignatureV4({
    credentials: CREDENTIALS,
    region: REGION,
    service: 's3',
    sha256: Sha256,
    uriEscapePath: false,
  });
  const { port } = new URL(storage.url);

  const send: S3Fixture['send'] = async (method, path, body = '', sendOptions = {}) => {
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    const queryAt = path.indexOf('?');
    const pathname = queryAt < 0 ? path : path.slice(0, queryAt);
    const rawQuery = queryAt < 0 ? '' : path.slice(queryAt + 1);
    let headers: Record<string, string> = {
      host: `127.0.0.1:${port}`,
      'x-amz-content-sha256': sendOptions.payloadHash ?? createHash('sha256').update(payload).digest('hex'),
      ...sendOptions.headers,
    };
    if (sendOptions.sign !== false) {
      const query: Record<string, string> = {};
      for (const part of rawQuery.split('&').filter(Boolean)) {
        const eq = part.indexOf('=');
        const [k, v] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
        try {
          query[decodeURIComponent(k)] = decodeURIComponent(v);
        } catch {
          query[k] = v;
        }
      }
      const signed = await signer.sign(
        new HttpRequest({
          method,
          protocol: 'https:',
          hostname: '127.0.0.1',
          port: Number(port),
          path: pathname,
          query,
          headers,
        }),
      );
      headers = signed.headers;
    }
    headers = { ...headers, ...sendOptions.unsigned };
    return new Promise((resolve, reject) => {
      const outgoing = httpsRequest(
        { host: '127.0.0.1', port, method, path, headers, ca: tls.ca, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const all = Buffer.concat(chunks);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: all, text: all.toString('utf8') });
          });
          res.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  };

  return {
    dir,
    tls,
    storage,
    client,
    send,
    close: async () => {
      client.destroy();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** The `<Code>` of an S3 XML error answer. */
export const codeOf = (answer: Answer): string | undefined => /<Code>([^<]*)<\/Code>/.exec(answer.text)?.[1];
