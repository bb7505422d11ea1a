import { createHash, createHmac } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkChecksums, decodeAwsChunked } from './chunked';
import { S3Error } from './errors';

// The example in S3's "Signature Calculations for the Authorization Header: Transferring Payload in Multiple
// Chunks": 65 KB of 'a' in a 64 KB chunk and a 1 KB chunk, signed on 2013-05-24 with the documentation's key.
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const signing = {
  signature: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
  amzDate: '20130524T000000Z',
  scope: '20130524/us-east-1/s3/aws4_request',
  key: hmac(
    hmac(hmac(hmac('AWS4wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524'), 'us-east-1'), 's3'),
    'aws4_request',
  ),
};
const documented = Buffer.concat([
  Buffer.from('10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n'),
  Buffer.alloc(65_536, 'a'),
  Buffer.from('\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n'),
  Buffer.alloc(1024, 'a'),
  Buffer.from('\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n'),
]);

const codeOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (error instanceof S3Error) return error.code;
    throw error;
  }
  return 'none';
};

describe('aws-chunked bodies', () => {
  it('decodes S3’s documented signed example to its 66,560 bytes', () => {
    const { payload } = decodeAwsChunked(documented, { signing, trailer: false });
    expect(payload.equals(Buffer.alloc(66_560, 'a'))).toBe(true);
    expect(documented.length).toBe(66_824);
  });

  it('refuses the example with a byte changed, a signature changed, or cut short', () => {
    const changed = Buffer.from(documented);
    changed[200] = 'b'.charCodeAt(0);
    expect(codeOf(() => decodeAwsChunked(changed, { signing, trailer: false }))).toBe('SignatureDoesNotMatch');
    const resigned = Buffer.from(documented.toString('latin1').replace('ad80c7', 'ad80c8'), 'latin1');
    expect(codeOf(() => decodeAwsChunked(resigned, { signing, trailer: false }))).toBe('SignatureDoesNotMatch');
    expect(codeOf(() => decodeAwsChunked(documented.subarray(0, 66_000), { signing, trailer: false }))).toBe(
      'IncompleteBody',
    );
    expect(codeOf(() => decodeAwsChunked(Buffer.from('zz\r\nabc\r\n0\r\n\r\n'), { trailer: false }))).toBe(
      'InvalidRequest',
    );
  });

  it('reads the trailer of an unsigned body, as the AWS SDK frames it', () => {
    const checksum = Buffer.alloc(4);
    checksum.writeUInt32BE(crc32(Buffer.from('hello world')));
    const body = Buffer.from(
      `6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:${checksum.toString('base64')}\r\n\r\n`,
    );
    const decoded = decodeAwsChunked(body, { trailer: true });
    expect(decoded.payload.toString()).toBe('hello world');
    expect(checkChecksums(decoded.payload, decoded.trailers)).toEqual({
      'x-amz-checksum-crc32': checksum.toString('base64'),
    });
    expect(codeOf(() => checkChecksums(Buffer.from('hello world!'), decoded.trailers))).toBe('BadDigest');
    // Without a checksum the SDK ends with the zero-size chunk alone.
    expect(decodeAwsChunked(Buffer.from('2\r\nok\r\n0\r\n'), { trailer: true }).payload.toString()).toBe('ok');
  });

  it('checks CRC32C, SHA-1, SHA-256 and Content-MD5, and refuses a checksum it cannot compute', () => {
    const data = Buffer.from('123456789');
    // CRC32C's check value for "123456789" is 0xE3069283.
    expect(
      checkChecksums(data, { 'x-amz-checksum-crc32c': Buffer.from('e3069283', 'hex').toString('base64') }),
    ).toBeDefined();
    expect(codeOf(() => checkChecksums(data, { 'x-amz-checksum-sha1': 'AAAA' }))).toBe('BadDigest');
    expect(codeOf(() => checkChecksums(data, { 'content-md5': 'AAAA' }))).toBe('BadDigest');
    expect(codeOf(() => checkChecksums(data, { 'x-amz-checksum-crc64nvme': 'AAAAAAAAAAA=' }))).toBe('NotImplemented');
  });

  it('checks the chained chunk signatures and the trailer signature of a signed body with a trailer', () => {
    // Built as the SigV4 streaming-with-trailer documentation describes, from the documented seed.
    const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
    const sign = (lines: string[]) => hmac(signing.key, lines.join('\n')).toString('hex');
    const chunk = Buffer.from('trailer payload');
    const first = sign([
      'AWS4-HMAC-SHA256-PAYLOAD',
      signing.amzDate,
      signing.scope,
      signing.signature,
      sha(''),
      sha(chunk),
    ]);
    const last = sign(['AWS4-HMAC-SHA256-PAYLOAD', signing.amzDate, signing.scope, first, sha(''), sha('')]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(chunk));
    const trailer = `x-amz-checksum-crc32:${crc.toString('base64')}\n`;
    const trailerSignature = sign(['AWS4-HMAC-SHA256-TRAILER', signing.amzDate, signing.scope, last, sha(trailer)]);
    const body = (signature: string) =>
      Buffer.from(
        `${chunk.length.toString(16)};chunk-signature=${first}\r\n${chunk}\r\n0;chunk-signature=${last}\r\n${trailer.trim()}\r\nx-amz-trailer-signature:${signature}\r\n\r\n`,
      );
    const decoded = decodeAwsChunked(body(trailerSignature), { signing, trailer: true });
    expect(decoded.payload.equals(chunk)).toBe(true);
    expect(decoded.trailers).toEqual({ 'x-amz-checksum-crc32': crc.toString('base64') });
    expect(codeOf(() => decodeAwsChunked(body(last), { signing, trailer: true }))).toBe('SignatureDoesNotMatch');
  });
});
