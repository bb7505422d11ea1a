import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate, type PolicyDocument } from '../iam/policy';
import { type LocalTls, loadOrCreateTls } from '../tls';
import { type LocalStorage, startLocalStorage } from './server';

const BUCKET = 'media.local';
const CREDENTIALS = {
  accessKeyId: 'ASIASTORAGETEST00001',
  secretAccessKey: 'storage-test-secret',
  sessionToken: 'tok',
};
const POLICY: PolicyDocument = {
  Statement: { Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject'], Resource: `arn:aws:s3:::${BUCKET}/own/*` },
};
const signer = new SignatureV4({ credentials: CREDENTIALS, region: 'us-east-1', service: 's3', sha256: Sha256 });

let dir: string;
let tls: LocalTls;
let storage: LocalStorage;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'local-s3-'));
  tls = await loadOrCreateTls(join(dir, 'tls'));
  storage = await startLocalStorage({
    buckets: [BUCKET],
    region: 'us-east-1',
    dir: join(dir, 'objects'),
    tls,
    lookup: (id) => (id === CREDENTIALS.accessKeyId ? CREDENTIALS : undefined),
    authorize: (id, req) =>
      id === CREDENTIALS.accessKeyId ? evaluate([POLICY], { ...req, context: req.context ?? {} }) : undefined,
  });
});

afterAll(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Sends a request, signed by the AWS SDK signer unless `sign` is false, and
 * returns status and body. The signature covers `signedBody` (the body sent, unless given).
 */
const send = async (
  method: string,
  path: string,
  body = '',
  options: { sign?: boolean; signedBody?: string } = {},
): Promise<{ status: number; body: string }> => {
  const { port } = new URL(storage.url);
  const [pathname = '/', query = ''] = path.split('?');
  let req = new HttpRequest({
    method,
    protocol: 'https:',
    hostname: '127.0.0.1',
    port: Number(port),
    path: pathname,
    query: Object.fromEntries(new URLSearchParams(query)),
    headers: {
      host: `127.0.0.1:${port}`,
      'x-amz-content-sha256': createHash('sha256')
        .update(options.signedBody ?? body)
        .digest('hex'),
    },
  });
  if (options.sign !== false) req = (await signer.sign(req)) as HttpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = httpsRequest(
      { host: '127.0.0.1', port, method, path, headers: req.headers, ca: tls.ca },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
};

describe('local S3 with bad input', () => {
  it('stores and returns an object for a signed, allowed request', async () => {
    expect((await send('PUT', `/${BUCKET}/own/a.txt`, 'hello')).status).toBe(200);
    expect(await send('GET', `/${BUCKET}/own/a.txt`)).toMatchObject({ status: 200, body: 'hello' });
  });

  it('refuses unsigned requests, policy denials and unknown buckets with S3 error codes', async () => {
    const unsigned = await send('GET', `/${BUCKET}/own/a.txt`, '', { sign: false });
    expect(unsigned.status).toBe(403);
    expect(unsigned.body).toContain('<Code>AccessDenied</Code>');
    const denied = await send('PUT', `/${BUCKET}/theirs/a.txt`, 'x');
    expect(denied.status).toBe(403);
    expect(denied.body).toContain('<Code>AccessDenied</Code>');
    const missing = await send('GET', '/no-such-bucket/own/a.txt');
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('<Code>NoSuchBucket</Code>');
    expect((await send('GET', `/${BUCKET}/own/none.txt`)).body).toContain('<Code>NoSuchKey</Code>');
  });

  it('refuses a body that does not match its signed hash, and keeps the stored object', async () => {
    const { status } = await send('PUT', `/${BUCKET}/own/a.txt`, 'evil', { signedBody: 'good' });
    expect(status).toBe(400);
    expect(await send('GET', `/${BUCKET}/own/a.txt`)).toMatchObject({ status: 200, body: 'hello' });
  });

  it('refuses an out-of-range part number and an unknown upload, leaving no parts behind', async () => {
    const created = await send('POST', `/${BUCKET}/own/big.bin?uploads=`);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.body)?.[1] ?? '';
    expect(uploadId).toMatch(/^[0-9a-f-]{36}$/);
    const bad = await send('PUT', `/${BUCKET}/own/big.bin?partNumber=0&uploadId=${uploadId}`, 'x');
    expect(bad.body).toContain('<Code>InvalidArgument</Code>');
    const unknown = await send('PUT', `/${BUCKET}/own/big.bin?partNumber=1&uploadId=not-an-upload`, 'x');
    expect(unknown.body).toContain('<Code>NoSuchUpload</Code>');
    expect((await send('DELETE', `/${BUCKET}/own/big.bin?uploadId=${uploadId}`)).status).toBe(403);
    expect(readdirSync(join(dir, 'objects', '.uploads', uploadId))).toEqual(['upload.json']);
  });
});
