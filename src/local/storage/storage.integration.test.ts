import { createHash, createHmac } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  CopyObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectAclCommand,
  PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKET, CREDENTIALS, codeOf, REGION, type S3Fixture, startS3Fixture } from '../../test/local-s3';
import { corsRulesOf } from './cors';

/** The CORS rules of the synthesized media bucket (amplify/storage) and of the codegen assets bucket. */
const MEDIA_CORS = corsRulesOf({
  CorsRules: [
    {
      AllowedHeaders: ['*'],
      AllowedMethods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'],
      AllowedOrigins: ['*'],
      ExposedHeaders: ['x-amz-server-side-encryption', 'x-amz-request-id', 'x-amz-id-2', 'ETag'],
      MaxAge: 3000,
    },
  ],
});
const CONSOLE_ONLY = corsRulesOf({
  CorsRules: [
    {
      AllowedHeaders: ['*'],
      AllowedMethods: ['GET', 'HEAD'],
      AllowedOrigins: ['https://us-east-1.console.aws.amazon.com/amplify'],
    },
  ],
});
const MAX_BYTES = 1024 * 1024;

let s3: S3Fixture;

beforeAll(async () => {
  s3 = await startS3Fixture({
    maxObjectBytes: MAX_BYTES,
    buckets: [BUCKET, 'assets.local', 'logs.local'],
    cors: { [BUCKET]: MEDIA_CORS, 'assets.local': CONSOLE_ONLY },
  });
});

afterAll(async () => {
  await s3.close();
});

/** The SDK's error for a command, with its S3 code and HTTP status. */
const failure = async (promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof S3ServiceException) return { name: error.name, status: error.$metadata.httpStatusCode };
    throw error;
  }
  throw new Error('the command succeeded');
};

const getText = async (key: string): Promise<string> => {
  const got = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return (await got.Body?.transformToString()) ?? '';
};

describe('local S3 with bad input', () => {
  it('stores and returns an object for a signed, allowed request', async () => {
    expect((await s3.send('PUT', `/${BUCKET}/own/a.txt`, 'hello')).status).toBe(200);
    expect(await s3.send('GET', `/${BUCKET}/own/a.txt`)).toMatchObject({ status: 200, text: 'hello' });
  });

  it('refuses unsigned requests, policy denials and unknown buckets with S3 error codes', async () => {
    const unsigned = await s3.send('GET', `/${BUCKET}/own/a.txt`, '', { sign: false });
    expect(unsigned.status).toBe(403);
    expect(codeOf(unsigned)).toBe('AccessDenied');
    const denied = await s3.send('PUT', `/${BUCKET}/theirs/a.txt`, 'x');
    expect(denied.status).toBe(403);
    expect(codeOf(denied)).toBe('AccessDenied');
    const missing = await s3.send('GET', '/no-such-bucket/own/a.txt');
    expect(missing.status).toBe(404);
    expect(codeOf(missing)).toBe('NoSuchBucket');
    expect(codeOf(await s3.send('GET', `/${BUCKET}/own/none.txt`))).toBe('NoSuchKey');
  });

  it('refuses a body that does not match its signed hash, and keeps the stored object', async () => {
    const answer = await s3.send('PUT', `/${BUCKET}/own/a.txt`, 'evil', {
      payloadHash: createHash('sha256').update('good').digest('hex'),
    });
    expect(answer.status).toBe(400);
    expect(codeOf(answer)).toBe('XAmzContentSHA256Mismatch');
    expect(await getText('own/a.txt')).toBe('hello');
  });

  it('refuses an out-of-range part number and an unknown upload, leaving no parts behind', async () => {
    const created = await s3.send('POST', `/${BUCKET}/own/big.bin?uploads=`);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.text)?.[1] ?? '';
    expect(uploadId).toMatch(/^[0-9a-f-]{36}$/);
    expect(codeOf(await s3.send('PUT', `/${BUCKET}/own/big.bin?partNumber=0&uploadId=${uploadId}`, 'x'))).toBe(
      'InvalidArgument',
    );
    expect(codeOf(await s3.send('PUT', `/${BUCKET}/own/big.bin?partNumber=1&uploadId=not-an-upload`, 'x'))).toBe(
      'NoSuchUpload',
    );
    expect(readdirSync(join(s3.dir, 'objects', '.uploads', uploadId))).toEqual(['upload.json']);
    expect((await s3.send('DELETE', `/${BUCKET}/own/big.bin?uploadId=${uploadId}`)).status).toBe(204);
  });
});

describe('object keys', () => {
  it('stores keys up to S3’s 1,024 bytes of UTF-8, ASCII or not, and answers KeyTooLongError past them', async () => {
    const longAscii = `own/${'k'.repeat(1020)}`;
    const longUnicode = `own/${'é'.repeat(510)}`; // 4 + 1,020 bytes
    const mixed = 'own/фото 🌊 #1 & 2 + 3?.jpg';
    for (const key of [longAscii, longUnicode, mixed]) {
      await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `body of ${key.length}` }));
      expect(await getText(key)).toBe(`body of ${key.length}`);
    }
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'own/' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(expect.arrayContaining([longAscii, longUnicode, mixed]));
    expect(
      await failure(s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${longAscii}x`, Body: 'x' }))),
    ).toEqual({
      name: 'KeyTooLongError',
      status: 400,
    });
  });

  it('keeps metadata out of the key namespace: an object named <key>.meta.json is just another object', async () => {
    await s3.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'own/photo.jpg',
        Body: 'jpeg bytes',
        ContentType: 'image/jpeg',
        ContentDisposition: 'attachment; filename="photo.jpg"',
        CacheControl: 'max-age=60',
      }),
    );
    const forged = JSON.stringify({
      key: 'own/photo.jpg',
      size: 4,
      etag: '"x"',
      contentType: 'text/html',
      metadata: {},
    });
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'own/photo.jpg.meta.json', Body: forged }));
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'own/photo.jpg' }));
    expect(head.ContentType).toBe('image/jpeg');
    expect(head.ContentDisposition).toBe('attachment; filename="photo.jpg"');
    expect(head.CacheControl).toBe('max-age=60');
    expect(head.ContentLength).toBe('jpeg bytes'.length);
    expect(await getText('own/photo.jpg')).toBe('jpeg bytes');
    expect(await getText('own/photo.jpg.meta.json')).toBe(forged);
  });

  it('answers bad percent-encoding in the path or the query with S3’s 400 InvalidURI', async () => {
    for (const path of [
      `/${BUCKET}/own/%ZZ`,
      `/${BUCKET}/own/%E0%A4%A`,
      `/${BUCKET}/own/%C3`,
      `/${BUCKET}/own/a.txt?x=%G1`,
      `/%ZZ/own/a.txt`,
    ]) {
      const answer = await s3.send('GET', path);
      expect([path, answer.status, codeOf(answer)]).toEqual([path, 400, 'InvalidURI']);
    }
  });

  it('files the objects owner-only under names that are not the keys', () => {
    const folder = join(s3.dir, 'objects', BUCKET, '@objects');
    const names = readdirSync(folder);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      expect(name).toMatch(/^[0-9a-f]{64}(\.json|-[0-9a-f]{8})$/);
      expect(statSync(join(folder, name)).mode & 0o777).toBe(0o600);
    }
    expect(statSync(folder).mode & 0o777).toBe(0o700);
  });
});

/** A signed streaming (aws-chunked) PUT, built as the SigV4 streaming documentation describes. */
const streamingPut = async (key: string, chunks: Buffer[], tamper: { chunk?: number; decodedLength?: number } = {}) => {
  const decodedLength = tamper.decodedLength ?? chunks.reduce((n, c) => n + c.length, 0);
  // Sign the request's headers with STREAMING-AWS4-HMAC-SHA256-PAYLOAD; the chunk signatures chain from it.
  const port = Number(new URL(s3.storage.url).port);
  const signer = new SignatureV4({
    credentials: CREDENTIALS,
    region: REGION,
    service: 's3',
    sha256: Sha256,
    uriEscapePath: false,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'PUT',
      protocol: 'https:',
      hostname: '127.0.0.1',
      port,
      path: `/${BUCKET}/${key}`,
      headers: {
        host: `127.0.0.1:${port}`,
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': String(decodedLength),
      },
    }),
  );
  const authorization = String(signed.headers.authorization);
  const seed = /Signature=([0-9a-f]{64})/.exec(authorization)?.[1] ?? '';
  const amzDate = String(signed.headers['x-amz-date']);
  const scope = `${amzDate.slice(0, 8)}/${REGION}/s3/aws4_request`;
  const hmac = (k: Buffer | string, d: string) => createHmac('sha256', k).update(d).digest();
  const key4 = hmac(
    hmac(hmac(hmac(`AWS4${CREDENTIALS.secretAccessKey}`, amzDate.slice(0, 8)), REGION), 's3'),
    'aws4_request',
  );
  const hash = (d: Buffer | string) => createHash('sha256').update(d).digest('hex');
  let previous = seed;
  const framed: Buffer[] = [];
  [...chunks, Buffer.alloc(0)].forEach((chunk, i) => {
    let signature = hmac(
      key4,
      ['AWS4-HMAC-SHA256-PAYLOAD', amzDate, scope, previous, hash(''), hash(chunk)].join('\n'),
    ).toString('hex');
    previous = signature;
    if (tamper.chunk === i) signature = signature.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    framed.push(
      Buffer.from(`${chunk.length.toString(16)};chunk-signature=${signature}\r\n`),
      chunk,
      Buffer.from('\r\n'),
    );
  });
  return s3.send('PUT', `/${BUCKET}/${key}`, Buffer.concat(framed), { sign: false, unsigned: signed.headers });
};

describe('streaming uploads (aws-chunked)', () => {
  it('stores only the payload of an SDK PutObject with a stream body (unsigned chunks, CRC32 trailer)', async () => {
    const parts = [Buffer.from('first line\n'), Buffer.alloc(70_000, 'x'), Buffer.from('last line')];
    await s3.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'own/stream.txt',
        Body: Readable.from(parts),
        ContentLength: parts.reduce((n, p) => n + p.length, 0),
      }),
    );
    const got = await s3.client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'own/stream.txt', ChecksumMode: 'ENABLED' }),
    );
    const body = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
    expect(body.equals(Buffer.concat(parts))).toBe(true);
    expect(got.ChecksumCRC32).toBeDefined();
    expect(got.ContentEncoding).toBeUndefined();
  });

  it('stores a signed chunked body after checking each chunk signature; a bad signature or length changes nothing', async () => {
    const chunks = [Buffer.alloc(65_536, 'a'), Buffer.alloc(1024, 'b')];
    const good = await streamingPut('own/signed.bin', chunks);
    expect(good.status).toBe(200);
    expect((await s3.send('GET', `/${BUCKET}/own/signed.bin`)).body.equals(Buffer.concat(chunks))).toBe(true);

    const forged = await streamingPut('own/signed.bin', [Buffer.alloc(10, 'z')], { chunk: 0 });
    expect([forged.status, codeOf(forged)]).toEqual([403, 'SignatureDoesNotMatch']);
    const forgedLast = await streamingPut('own/signed.bin', [Buffer.alloc(10, 'z')], { chunk: 1 });
    expect([forgedLast.status, codeOf(forgedLast)]).toEqual([403, 'SignatureDoesNotMatch']);
    const short = await streamingPut('own/signed.bin', [Buffer.alloc(10, 'z')], { decodedLength: 11 });
    expect([short.status, codeOf(short)]).toEqual([400, 'IncompleteBody']);
    expect((await s3.send('GET', `/${BUCKET}/own/signed.bin`)).body.equals(Buffer.concat(chunks))).toBe(true);
  });

  it('refuses a trailer checksum that does not match the payload', async () => {
    const payload = 'payload';
    const body = `${payload.length.toString(16)}\r\n${payload}\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n`;
    const answer = await s3.send('PUT', `/${BUCKET}/own/trailer.txt`, body, {
      payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      headers: {
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': String(payload.length),
        'x-amz-trailer': 'x-amz-checksum-crc32',
      },
    });
    expect([answer.status, codeOf(answer)]).toEqual([400, 'BadDigest']);
    expect(codeOf(await s3.send('GET', `/${BUCKET}/own/trailer.txt`))).toBe('NoSuchKey');
  });
});

describe('sub-resources and features that are not implemented', () => {
  it('answers PUT ?acl and DELETE ?tagging with NotImplemented and leaves the object alone', async () => {
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'own/keep.txt', Body: 'keep me' }));
    const acl = await s3.send('PUT', `/${BUCKET}/own/keep.txt?acl`, '<AccessControlPolicy/>');
    expect([acl.status, codeOf(acl)]).toEqual([501, 'NotImplemented']);
    const tagging = await s3.send('DELETE', `/${BUCKET}/own/keep.txt?tagging`);
    expect([tagging.status, codeOf(tagging)]).toEqual([501, 'NotImplemented']);
    for (const sub of ['versionId=1', 'retention', 'legal-hold', 'torrent', 'restore', 'attributes', 'partNumber=1']) {
      const answer = await s3.send('GET', `/${BUCKET}/own/keep.txt?${sub}`);
      expect([sub, answer.status, codeOf(answer)]).toEqual([sub, 501, 'NotImplemented']);
    }
    for (const sub of ['acl', 'cors', 'policy', 'versions', 'uploads', 'delete', 'lifecycle', 'location']) {
      const answer = await s3.send('GET', `/${BUCKET}?${sub}`);
      expect([sub, answer.status, codeOf(answer)]).toEqual([sub, 501, 'NotImplemented']);
    }
    expect(await getText('own/keep.txt')).toBe('keep me');
  });

  it('answers the SDK’s unimplemented commands with NotImplemented', async () => {
    const notImplemented = { name: 'NotImplemented', status: 501 };
    expect(
      await failure(s3.client.send(new PutObjectAclCommand({ Bucket: BUCKET, Key: 'own/keep.txt', ACL: 'private' }))),
    ).toEqual(notImplemented);
    expect(await failure(s3.client.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: 'own/keep.txt' })))).toEqual(
      notImplemented,
    );
    expect(
      await failure(
        s3.client.send(
          new CopyObjectCommand({ Bucket: BUCKET, Key: 'own/copy.txt', CopySource: `${BUCKET}/own/keep.txt` }),
        ),
      ),
    ).toEqual(notImplemented);
    expect(codeOf(await s3.send('GET', `/${BUCKET}/own/copy.txt`))).toBe('NoSuchKey');
  });
});

describe('body size', () => {
  it('answers a PUT over the local limit with S3’s EntityTooLarge instead of closing the socket', async () => {
    const error = await failure(
      s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'own/huge.bin', Body: Buffer.alloc(MAX_BYTES + 1) })),
    );
    expect(error).toEqual({ name: 'EntityTooLarge', status: 400 });
    // Without a Content-Length (chunked transfer), the limit is found while reading.
    const raw = await s3.send('PUT', `/${BUCKET}/own/huge.bin`, Buffer.alloc(MAX_BYTES + 1), {
      payloadHash: 'UNSIGNED-PAYLOAD',
      headers: { 'transfer-encoding': 'chunked' },
    });
    expect([raw.status, codeOf(raw)]).toEqual([400, 'EntityTooLarge']);
    expect(raw.text).toContain('<MaxSizeAllowed>1048576</MaxSizeAllowed>');
    expect(codeOf(await s3.send('GET', `/${BUCKET}/own/huge.bin`))).toBe('NoSuchKey');
    // The server still serves the next request.
    expect(await getText('own/keep.txt')).toBe('keep me');
  });
});

describe('ListObjectsV2', () => {
  it('answers a negative or non-integer max-keys and a forged continuation token with InvalidArgument', async () => {
    for (const query of [
      'list-type=2&max-keys=-1',
      'list-type=2&max-keys=abc',
      'list-type=2&max-keys=99999999999',
      'list-type=2&continuation-token=garbage',
      'list-type=2&continuation-token=',
      `list-type=2&continuation-token=${Buffer.from('v2:own/').toString('base64')}`,
      'list-type=3',
      'list-type=2&encoding-type=base64',
    ]) {
      const answer = await s3.send('GET', `/${BUCKET}?${query}`);
      expect([query, answer.status, codeOf(answer)]).toEqual([query, 400, 'InvalidArgument']);
    }
    expect(await failure(s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: -1 })))).toEqual({
      name: 'InvalidArgument',
      status: 400,
    });
  });

  it('pages with its own continuation tokens and groups by delimiter', async () => {
    for (const key of ['own/list/a', 'own/list/b', 'own/list/sub/c', 'own/list/sub/d'])
      await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
    const seen: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 10; page += 1) {
      const listed = await s3.client.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'own/list/', MaxKeys: 1, ContinuationToken: token }),
      );
      seen.push(...(listed.Contents ?? []).map((c) => c.Key ?? ''));
      token = listed.NextContinuationToken;
      if (!listed.IsTruncated) break;
    }
    expect(seen).toEqual(['own/list/a', 'own/list/b', 'own/list/sub/c', 'own/list/sub/d']);
    const grouped = await s3.client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'own/list/', Delimiter: '/' }),
    );
    expect(grouped.Contents?.map((c) => c.Key)).toEqual(['own/list/a', 'own/list/b']);
    expect(grouped.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['own/list/sub/']);
    expect((await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: 0 }))).KeyCount).toBe(0);
  });
});

describe('CORS from the bucket configuration', () => {
  const preflight = (bucket: string, origin: string, method: string, requestHeaders?: string) =>
    s3.send('OPTIONS', `/${bucket}/own/upload.jpg`, '', {
      sign: false,
      unsigned: {
        origin,
        'access-control-request-method': method,
        ...(requestHeaders ? { 'access-control-request-headers': requestHeaders } : {}),
      },
    });

  it('answers an allowed preflight with the rule’s headers', async () => {
    const answer = await preflight(
      BUCKET,
      'http://localhost:5173',
      'PUT',
      'authorization,content-type,x-amz-content-sha256,x-amz-date,x-amz-security-token,x-amz-user-agent',
    );
    expect(answer.status).toBe(200);
    expect(answer.headers).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, HEAD, PUT, POST, DELETE',
      'access-control-allow-headers':
        'authorization, content-type, x-amz-content-sha256, x-amz-date, x-amz-security-token, x-amz-user-agent',
      'access-control-expose-headers': 'x-amz-server-side-encryption, x-amz-request-id, x-amz-id-2, ETag',
      'access-control-max-age': '3000',
    });
  });

  it('refuses a preflight no rule allows, and one to a bucket without CORS, with S3’s 403', async () => {
    const wrongOrigin = await preflight('assets.local', 'http://localhost:5173', 'GET');
    expect([wrongOrigin.status, codeOf(wrongOrigin)]).toEqual([403, 'AccessForbidden']);
    expect(wrongOrigin.text).toContain('CORSResponse: This CORS request is not allowed.');
    expect(wrongOrigin.headers['access-control-allow-origin']).toBeUndefined();
    const wrongMethod = await preflight('assets.local', 'https://us-east-1.console.aws.amazon.com/amplify', 'PUT');
    expect([wrongMethod.status, codeOf(wrongMethod)]).toEqual([403, 'AccessForbidden']);
    const allowed = await preflight('assets.local', 'https://us-east-1.console.aws.amazon.com/amplify', 'GET', 'range');
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://us-east-1.console.aws.amazon.com/amplify');
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
    const none = await preflight('logs.local', 'http://localhost:5173', 'GET');
    expect([none.status, codeOf(none)]).toEqual([403, 'AccessForbidden']);
    expect(none.text).toContain('CORS is not enabled for this bucket');
    const noOrigin = await s3.send('OPTIONS', `/${BUCKET}/own/upload.jpg`, '', { sign: false });
    expect([noOrigin.status, codeOf(noOrigin)]).toEqual([400, 'BadRequest']);
  });

  it('adds the rule’s headers to actual answers, errors included, exposing ETag', async () => {
    const origin = { origin: 'http://localhost:5173' };
    const put = await s3.send('PUT', `/${BUCKET}/own/cors.txt`, 'from a browser', { headers: origin });
    expect(put.status).toBe(200);
    expect(put.headers['access-control-allow-origin']).toBe('*');
    expect(String(put.headers['access-control-expose-headers'])).toContain('ETag');
    expect(put.headers.etag).toBeDefined();
    const denied = await s3.send('GET', `/${BUCKET}/theirs/x.txt`, '', { headers: origin });
    expect([denied.status, denied.headers['access-control-allow-origin']]).toEqual([403, '*']);
    const elsewhere = await s3.send('GET', '/assets.local/own/x.txt', '', { headers: origin });
    expect(elsewhere.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('objects stored by the previous version', () => {
  it('are moved to the hashed layout on start, owner-only, and keep their bytes and metadata', async () => {
    // Prepare: the old layout, `<encoded key>` beside `<encoded key>.meta.json`, 0644.
    const old = await startS3Fixture({
      before: (objectsDir) => {
        mkdirSync(join(objectsDir, BUCKET), { recursive: true });
        const name = encodeURIComponent('own/old photo.jpg');
        writeFileSync(join(objectsDir, BUCKET, name), 'old bytes', { mode: 0o644 });
        writeFileSync(
          join(objectsDir, BUCKET, `${name}.meta.json`),
          JSON.stringify({
            key: 'own/old photo.jpg',
            size: 9,
            etag: '"e0ca3a1b1e7b2f1e0a3a4f8e5f1b2c3d"',
            contentType: 'image/jpeg',
            lastModified: '2026-11-30T00:00:00.000Z',
            metadata: { caption: 'harbour' },
          }),
          { mode: 0o644 },
        );
      },
    });
    try {
      // Act
      const got = await old.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'own/old photo.jpg' }));
      // Assess
      expect(await got.Body?.transformToString()).toBe('old bytes');
      expect(got.ContentType).toBe('image/jpeg');
      expect(got.Metadata).toEqual({ caption: 'harbour' });
      expect(readdirSync(join(old.dir, 'objects', BUCKET))).toEqual(['@objects']);
      for (const name of readdirSync(join(old.dir, 'objects', BUCKET, '@objects'))) {
        expect(statSync(join(old.dir, 'objects', BUCKET, '@objects', name)).mode & 0o777).toBe(0o600);
      }
    } finally {
      await old.close();
    }
  });
});
