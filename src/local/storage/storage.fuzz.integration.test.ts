import { createHash } from 'node:crypto';
import { connect } from 'node:tls';
import { Sha256 } from '@aws-crypto/sha256-js';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Answer,
  BUCKET,
  CREDENTIALS,
  REGION,
  type S3Fixture,
  type SendOptions,
  startS3Fixture,
} from '../../test/local-s3';
import { corsRulesOf } from './cors';

/**
 * A fuzz pass over the local S3 wire: malformed paths, encodings, headers,
 * signatures, sub-resources, multipart XML, aws-chunked framing and numbers.
 * Every answer must be an S3 XML error with a 4xx status (or 501
 * NotImplemented); afterwards the server still answers and the canary
 * objects are byte for byte what they were.
 */

const MAX_BYTES = 256 * 1024;
const CANARIES: Record<string, Buffer> = {
  'own/canary.txt': Buffer.from('the canary sings'),
  'own/canary.bin': Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 256)),
  'own/канарейка 🐤.json': Buffer.from('{"bird":"yes"}'),
};
const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

let s3: S3Fixture;
let uploadId = '';
let partEtag = '';

beforeAll(async () => {
  s3 = await startS3Fixture({
    maxObjectBytes: MAX_BYTES,
    cors: {
      [BUCKET]: corsRulesOf({ CorsRules: [{ AllowedOrigins: ['https://app.example.com'], AllowedMethods: ['GET'] }] }),
    },
  });
  for (const [key, body] of Object.entries(CANARIES)) {
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  }
  const created = await s3.send('POST', `/${BUCKET}/own/multi.bin?uploads`);
  uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.text)?.[1] ?? '';
  const part = await s3.send('PUT', `/${BUCKET}/own/multi.bin?partNumber=1&uploadId=${uploadId}`, 'small part');
  partEtag = String(part.headers.etag);
  await s3.send('PUT', `/${BUCKET}/own/multi.bin?partNumber=2&uploadId=${uploadId}`, 'second part');
});

afterAll(async () => {
  await s3.close();
});

interface Case {
  name: string;
  method: string;
  path: string;
  body?: string | Buffer;
  options?: SendOptions;
}

const O = `/${BUCKET}/own/canary.txt`;
const M = `/${BUCKET}/own/multi.bin`;
const complete = (xml: string): Case => ({
  name: `complete ${xml.slice(0, 40)}`,
  method: 'POST',
  path: `${M}?uploadId=${uploadId}`,
  body: xml,
});

/** Pairs of strings, typed as pairs (array literals of arrays are not inferred as tuples). */
const pairs = (...items: Array<[string, string]>): Array<[string, string]> => items;

const cases = (): Case[] => {
  const list: Case[] = [];
  const add = (name: string, method: string, path: string, body?: string | Buffer, options?: SendOptions): void => {
    list.push({ name, method, path, body, options });
  };
  // Bad paths and encodings.
  for (const path of [
    '/%',
    '/%ZZ',
    `/${BUCKET}/%`,
    `/${BUCKET}/own/%FF%FE`,
    `/${BUCKET}/own/%C0%AF`,
    `/${BUCKET}/own/%E2%82`,
    `/${BUCKET}/own/%ED%A0%80`,
    `/${BUCKET}/own/%F4%90%80%80`,
    `/${BUCKET}/own/a%2`,
    `/${BUCKET}/own/${'x'.repeat(1021)}`,
    `/${BUCKET}/own/${'%C3%A9'.repeat(511)}`,
    `/${BUCKET}?prefix=%ZZ`,
    `/${BUCKET}?list-type=2&prefix=%C3`,
    `/${BUCKET}?max-keys=%`,
    `${O}?response-content-type=%E0%A4%A`,
    '/no-such-bucket/own/a',
    '/no-such-bucket',
    '/',
    `/${BUCKET}/theirs/secret.txt`,
    `/${BUCKET}/own/../theirs/secret.txt`,
    `/${BUCKET}/own/no-such-key`,
  ]) {
    add(`GET ${path.slice(0, 60)}`, 'GET', path);
  }
  add('PUT with a key over 1,024 bytes', 'PUT', `/${BUCKET}/own/${'k'.repeat(1100)}`, 'x');
  add('DELETE a path with bad encoding', 'DELETE', `/${BUCKET}/own/canary.txt%`);
  // Bad signatures and authorization headers.
  const auth = (authorization: string): SendOptions => ({
    sign: false,
    unsigned: { authorization, 'x-amz-date': '20261201T000000Z' },
  });
  for (const authorization of [
    'AWS4-HMAC-SHA256',
    'AWS4-HMAC-SHA256 ',
    'AWS4-HMAC-SHA256 Credential=',
    'AWS4-HMAC-SHA256 Credential=a, SignedHeaders=host, Signature=00',
    'AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=zz',
    `AWS4-HMAC-SHA256 Credential=${CREDENTIALS.accessKeyId}/20261201/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=00`,
    `AWS4-HMAC-SHA256 Credential=${CREDENTIALS.accessKeyId}/20261201/us-east-1/s3/aws4_request, SignedHeaders=, Signature=00`,
    'AWS ASIA:c2lnbmF0dXJl',
    'Basic dXNlcjpwYXNz',
    'Bearer eyJhbGciOiJub25lIn0.e30.',
    `AWS4-HMAC-SHA256 Credential=${'A'.repeat(5000)}/x/y/z/aws4_request, SignedHeaders=host, Signature=00`,
    'AWS4-ECDSA-P256-SHA256 Credential=x/20261201/s3/aws4_request, SignedHeaders=host, Signature=00',
  ]) {
    add(`authorization ${authorization.slice(0, 40)}`, 'GET', O, '', auth(authorization));
  }
  add('unsigned GET', 'GET', O, '', { sign: false });
  add('unsigned PUT over a canary', 'PUT', O, 'overwritten', { sign: false });
  add('unsigned DELETE of a canary', 'DELETE', O, '', { sign: false });
  add('a malformed x-amz-date', 'GET', O, '', { unsigned: { 'x-amz-date': 'yesterday' } });
  add('a missing session token', 'GET', O, '', { unsigned: { 'x-amz-security-token': '' } });
  add('a wrong session token', 'GET', O, '', { unsigned: { 'x-amz-security-token': 'forged' } });
  add('a header changed after signing', 'GET', O, '', { unsigned: { 'x-amz-content-sha256': sha(Buffer.from('x')) } });
  for (const query of [
    'X-Amz-Algorithm=AWS4-HMAC-SHA256',
    'X-Amz-Signature=00',
    'X-Amz-Algorithm=AWS4-HMAC-SHA1&X-Amz-Signature=00',
    `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${CREDENTIALS.accessKeyId}%2F20261201%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261201T000000Z&X-Amz-Expires=-1&X-Amz-SignedHeaders=host&X-Amz-Signature=00`,
    `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${CREDENTIALS.accessKeyId}%2F20261201%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261201T000000Z&X-Amz-Expires=99999999999&X-Amz-SignedHeaders=host&X-Amz-Signature=00`,
    `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${CREDENTIALS.accessKeyId}%2F20130101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00`,
  ]) {
    add(`presigned ${query.slice(0, 50)}`, 'GET', `${O}?${query}`, '', { sign: false });
  }
  // Headers that ask for what is not there, or lie.
  for (const [name, value] of pairs(
    ['x-amz-copy-source', `${BUCKET}/own/canary.bin`],
    ['x-amz-acl', 'public-read'],
    ['x-amz-grant-read', 'uri=http://acs.amazonaws.com/groups/global/AllUsers'],
    ['x-amz-tagging', 'a=b'],
    ['x-amz-server-side-encryption', 'aws:kms'],
    ['x-amz-server-side-encryption-customer-algorithm', 'AES256'],
    ['x-amz-storage-class', 'GLACIER'],
    ['x-amz-website-redirect-location', 'https://evil.example'],
    ['x-amz-object-lock-mode', 'GOVERNANCE'],
    ['x-amz-checksum-crc32', 'AAAAAA=='],
    ['x-amz-checksum-sha256', 'not base64'],
    ['x-amz-checksum-crc64nvme', 'AAAAAAAAAAA='],
    ['content-md5', 'AAAAAAAAAAAAAAAAAAAAAA=='],
    ['x-amz-content-sha256', 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD'],
    ['x-amz-content-sha256', 'NOT-A-HASH'],
    ['if-match', '"not-the-etag"'],
    ['if-none-match', '*'],
  )) {
    const payloadHash = name === 'x-amz-content-sha256' ? value : undefined;
    add(`PUT over a canary with ${name}: ${value.slice(0, 20)}`, 'PUT', O, 'replaced', {
      payloadHash,
      headers: name === 'x-amz-content-sha256' ? {} : { [name]: value },
    });
  }
  add('GET with if-match that does not hold', 'GET', O, '', { headers: { 'if-match': '"nope"' } });
  add('GET with an unsatisfiable range', 'GET', O, '', { headers: { range: 'bytes=999999-' } });
  add('GET with an empty suffix range', 'GET', O, '', { headers: { range: 'bytes=-0' } });
  add('HEAD a missing key', 'HEAD', `/${BUCKET}/own/none`);
  add('HEAD unsigned', 'HEAD', O, '', { sign: false });
  // Sub-resources, on objects and on the bucket.
  for (const [method, sub] of pairs(
    ['PUT', 'acl'],
    ['GET', 'acl'],
    ['PUT', 'tagging'],
    ['DELETE', 'tagging'],
    ['GET', 'tagging'],
    ['PUT', 'retention'],
    ['PUT', 'legal-hold'],
    ['POST', 'restore'],
    ['POST', 'select&select-type=2'],
    ['GET', 'torrent'],
    ['GET', 'attributes'],
    ['GET', 'versionId=null'],
    ['DELETE', 'versionId=3HL4kqtJlcpXroDTDmJ'],
    ['PUT', 'renameObject'],
    ['GET', 'partNumber=1'],
    ['GET', 'uploads'],
  )) {
    add(`${method} ?${sub} on a canary`, method, `${O}?${sub}`, method === 'PUT' ? '<x/>' : '');
  }
  for (const [method, sub] of pairs(
    ['GET', 'acl'],
    ['PUT', 'cors'],
    ['DELETE', 'cors'],
    ['PUT', 'policy'],
    ['GET', 'versions'],
    ['GET', 'uploads'],
    ['POST', 'delete'],
    ['PUT', 'lifecycle'],
    ['GET', 'location'],
    ['PUT', 'versioning'],
    ['PUT', 'website'],
    ['PUT', ''],
    ['DELETE', ''],
  )) {
    add(`${method} bucket ?${sub}`, method, `/${BUCKET}${sub ? `?${sub}` : ''}`, method === 'PUT' ? '<x/>' : '');
  }
  for (const method of ['PATCH', 'TRACE', 'PROPFIND', 'MKCOL', 'LOCK']) add(`${method} on a canary`, method, O);
  // Negative and huge numbers.
  for (const query of [
    'list-type=2&max-keys=-1',
    'list-type=2&max-keys=-2147483649',
    'list-type=2&max-keys=1e400',
    'list-type=2&max-keys=99999999999999999999',
    'list-type=2&max-keys=NaN',
    'list-type=2&max-keys=',
    'list-type=2&continuation-token=garbage',
    'list-type=2&continuation-token=%00%01',
    `list-type=2&continuation-token=${'A'.repeat(4000)}`,
    'list-type=1',
    'list-type=-2',
    'list-type=2&encoding-type=base64',
  ]) {
    add(`list ${query.slice(0, 40)}`, 'GET', `/${BUCKET}?${query}`);
  }
  for (const partNumber of ['-1', '0', '10001', '1e3', 'NaN', '99999999999', '']) {
    add(`part number ${partNumber}`, 'PUT', `${M}?partNumber=${partNumber}&uploadId=${uploadId}`, 'x');
  }
  add('max-parts -1', 'GET', `${M}?uploadId=${uploadId}&max-parts=-1`);
  add('part-number-marker huge', 'GET', `${M}?uploadId=${uploadId}&part-number-marker=99999999`);
  add('a declared body over the limit', 'PUT', O, 'short', { unsigned: { 'content-length': String(10 * MAX_BYTES) } });
  add('a body over the limit', 'PUT', O, Buffer.alloc(MAX_BYTES + 10, 1), { payloadHash: 'UNSIGNED-PAYLOAD' });
  // Multipart: unknown uploads and bad completion XML.
  add('complete an unknown upload', 'POST', `${M}?uploadId=00000000-0000-0000-0000-000000000000`, '<x/>');
  add('complete with a malformed id', 'POST', `${M}?uploadId=../../etc`, '<x/>');
  add('complete another key’s upload', 'POST', `/${BUCKET}/own/other.bin?uploadId=${uploadId}`, '<x/>');
  add('abort unsigned', 'DELETE', `${M}?uploadId=${uploadId}`, '', { sign: false });
  add('uploads with an uploadId', 'POST', `${M}?uploads&uploadId=${uploadId}`);
  const part = (n: string, etag: string) => `<Part><PartNumber>${n}</PartNumber><ETag>${etag}</ETag></Part>`;
  for (const c of [
    '',
    'not xml',
    '<CompleteMultipartUpload/>',
    '<CompleteMultipartUpload></CompleteMultipartUpload>',
    `<CompleteMultipartUpload>${part('1', partEtag)}`,
    `<Other>${part('1', partEtag)}</Other>`,
    `<CompleteMultipartUpload>${part('-1', partEtag)}</CompleteMultipartUpload>`,
    `<CompleteMultipartUpload>${part('99999', partEtag)}</CompleteMultipartUpload>`,
    `<CompleteMultipartUpload>${part('one', partEtag)}</CompleteMultipartUpload>`,
    `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>`,
    `<CompleteMultipartUpload>${part('1', '"0000"')}</CompleteMultipartUpload>`,
    `<CompleteMultipartUpload>${part('3', partEtag)}</CompleteMultipartUpload>`,
    `<CompleteMultipartUpload>${part('2', '"x"')}${part('1', partEtag)}</CompleteMultipartUpload>`,
    `<CompleteMultipartUpload>${part('1', partEtag)}${part('1', partEtag)}</CompleteMultipartUpload>`,
    `<CompleteMultipartUpload>${part('1', partEtag)}junk</CompleteMultipartUpload>`,
    `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><CompleteMultipartUpload>${part('1', '&e;')}</CompleteMultipartUpload>`,
    `<CompleteMultipartUpload>${part('1', partEtag).repeat(40_000)}</CompleteMultipartUpload>`,
  ]) {
    const made = complete(c);
    list.push(made);
  }
  // aws-chunked framing.
  const chunked = (trailer: boolean, decoded: string): SendOptions => ({
    payloadHash: trailer ? 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    headers: {
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': decoded,
      ...(trailer ? { 'x-amz-trailer': 'x-amz-checksum-crc32' } : {}),
    },
  });
  for (const [body, trailer, decoded] of [
    ['zz\r\nhello\r\n0\r\n\r\n', true, '5'],
    ['5\r\nhello0\r\n\r\n', true, '5'],
    ['5\r\nhel', true, '5'],
    ['5\r\nhello\r\n0\r\n\r\nextra', true, '5'],
    ['5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n', true, '5'],
    ['5\r\nhello\r\n0\r\nx-amz-meta-injected:1\r\n\r\n', true, '5'],
    ['5\r\nhello\r\n0\r\nnot a header\r\n\r\n', true, '5'],
    ['5\r\nhello\r\n0\r\n\r\n', true, '6'],
    ['5\r\nhello\r\n0\r\n\r\n', true, '-1'],
    ['5\r\nhello\r\n0\r\n\r\n', true, '999999999999'],
    ['5;chunk-signature=00\r\nhello\r\n0;chunk-signature=00\r\n\r\n', false, '5'],
    ['5\r\nhello\r\n0\r\n\r\n', false, '5'],
    [`FFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n`, true, '5'],
  ] as const) {
    add(`aws-chunked ${JSON.stringify(body).slice(0, 40)}`, 'PUT', O, body, chunked(trailer, decoded));
  }
  add('aws-chunked without a decoded length', 'PUT', O, '5\r\nhello\r\n0\r\n\r\n', {
    payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
    headers: { 'content-encoding': 'aws-chunked' },
  });
  // CORS.
  for (const [origin, method] of pairs(
    ['https://evil.example', 'GET'],
    ['https://app.example.com', 'PUT'],
    ['https://app.example.com', 'FOO'],
    ['', 'GET'],
  )) {
    add(`preflight ${origin} ${method}`, 'OPTIONS', O, '', {
      sign: false,
      unsigned: { ...(origin ? { origin } : {}), 'access-control-request-method': method },
    });
  }
  add('preflight asking for a header no rule allows', 'OPTIONS', O, '', {
    sign: false,
    unsigned: {
      origin: 'https://app.example.com',
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'x-evil',
    },
  });
  return list;
};

/** Raw bytes on a TLS connection, for what no HTTP client sends; the status and body of the answer. */
const raw = (bytes: string): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const { port } = new URL(s3.storage.url);
    const socket = connect({ host: '127.0.0.1', port: Number(port), ca: s3.tls.ca, servername: 'localhost' }, () => {
      socket.write(bytes);
    });
    const chunks: Buffer[] = [];
    const done = (): void => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const at = text.indexOf('\r\n\r\n');
      const type = /content-type: *([^\r\n]*)/i.exec(text.slice(0, at))?.[1];
      const body = Buffer.from(at < 0 ? '' : text.slice(at + 4));
      resolve({ status, headers: { 'content-type': type }, body, text: body.toString('utf8') });
    };
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // One answer is enough: keep-alive connections stay open.
      if (/\r\n\r\n[\s\S]*<\/Error>/.test(Buffer.concat(chunks).toString('utf8'))) socket.end();
    });
    socket.on('end', done);
    socket.on('error', reject);
    socket.setTimeout(3000, () => {
      socket.destroy();
      done();
    });
  });

const RAW_CASES: Array<[string, string]> = [
  ['request target *', 'OPTIONS * HTTP/1.1\r\nhost: x\r\n\r\n'],
  ['absolute request target', `GET https://evil.example/${BUCKET}/own/canary.txt HTTP/1.1\r\nhost: x\r\n\r\n`],
  ['a garbage request line', 'HELLO\r\n\r\n'],
  ['a space in the target', `GET /${BUCKET}/own/a b HTTP/1.1\r\nhost: x\r\n\r\n`],
  ['a header without a colon', `GET /${BUCKET}/own/canary.txt HTTP/1.1\r\nhost: x\r\nbroken\r\n\r\n`],
  ['a 40 KB header', `GET /${BUCKET}/own/canary.txt HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(40_000)}\r\n\r\n`],
  [
    'two content lengths',
    `PUT /${BUCKET}/own/canary.txt HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab`,
  ],
  ['a negative content length', `PUT /${BUCKET}/own/canary.txt HTTP/1.1\r\nhost: x\r\ncontent-length: -5\r\n\r\n`],
  [
    'bad chunked framing',
    `PUT /${BUCKET}/own/canary.txt HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n`,
  ],
  ['a NUL in the path', `GET /${BUCKET}/own/\0 HTTP/1.1\r\nhost: x\r\n\r\n`],
  ['HTTP/0.9', `GET /${BUCKET}/own/canary.txt\r\n\r\n`],
];

/** A request's answer, or a status 0 "answer" when the connection broke or nothing came within 5 s. */
const answered = async (request: Promise<Answer>): Promise<Answer> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Answer>((resolve) => {
    timer = setTimeout(
      () => resolve({ status: 0, headers: {}, body: Buffer.alloc(0), text: 'no answer in 5 s' }),
      5000,
    );
  });
  try {
    return await Promise.race([request, timeout]);
  } catch (error) {
    return { status: 0, headers: {}, body: Buffer.alloc(0), text: String(error) };
  } finally {
    clearTimeout(timer);
  }
};

const isS3Error = (answer: Answer, method: string): boolean => {
  const errorStatus = (answer.status >= 400 && answer.status < 500) || answer.status === 501;
  if (method === 'HEAD') return errorStatus;
  return (
    errorStatus &&
    String(answer.headers['content-type']).startsWith('application/xml') &&
    /^<\?xml version="1\.0" encoding="UTF-8"\?>\s*<Error><Code>[A-Za-z0-9]+<\/Code><Message>[^<]+<\/Message>[\s\S]*<RequestId>[^<]*<\/RequestId><\/Error>$/.test(
      answer.text,
    )
  );
};

describe('a fuzz pass over the local S3 wire', () => {
  it('answers every malformed request with an S3 XML error, keeps serving, and keeps the canaries intact', async () => {
    // Prepare
    const all = cases();
    const wrong: string[] = [];
    // Act
    for (const c of all) {
      const answer = await answered(s3.send(c.method, c.path, c.body, c.options));
      if (!isS3Error(answer, c.method)) wrong.push(`${c.name}: ${answer.status} ${answer.text.slice(0, 200)}`);
    }
    for (const [name, bytes] of RAW_CASES) {
      const answer = await answered(raw(bytes));
      if (!isS3Error(answer, 'RAW')) wrong.push(`raw ${name}: ${answer.status} ${answer.text.slice(0, 200)}`);
    }
    // A presigned URL that expired, made by the SDK's signer.
    const signer = new SignatureV4({
      credentials: CREDENTIALS,
      region: REGION,
      service: 's3',
      sha256: Sha256,
      uriEscapePath: false,
    });
    const { port } = new URL(s3.storage.url);
    const presigned = await signer.presign(
      new HttpRequest({
        method: 'GET',
        protocol: 'https:',
        hostname: '127.0.0.1',
        port: Number(port),
        path: O,
        headers: { host: `127.0.0.1:${port}` },
      }),
      { expiresIn: 1, signingDate: new Date(Date.now() - 60_000) },
    );
    const query = Object.entries(presigned.query ?? {})
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    const expired = await answered(s3.send('GET', `${O}?${query}`, '', { sign: false }));
    if (!isS3Error(expired, 'GET')) wrong.push(`expired presigned URL: ${expired.status}`);
    // Assess
    const attempts = all.length + RAW_CASES.length + 1;
    console.log(`S3 fuzz: ${attempts} malformed requests, ${wrong.length} wrong answers`);
    expect(wrong).toEqual([]);
    expect(attempts).toBeGreaterThanOrEqual(100);
    for (const [key, body] of Object.entries(CANARIES)) {
      const got = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(sha(Buffer.from((await got.Body?.transformToByteArray()) ?? []))).toBe(sha(body));
      const head = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(head.ETag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    }
    // The upload the fuzz tried to complete is still there, with its parts.
    const parts = await s3.send('GET', `${M}?uploadId=${uploadId}`);
    expect(parts.status).toBe(200);
    expect(parts.text.match(/<PartNumber>/g)?.length).toBe(2);
  }, 300_000);
});
