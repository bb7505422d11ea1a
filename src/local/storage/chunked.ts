import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { S3Error, S3Errors } from './errors';

/**
 * S3's `aws-chunked` request bodies (SigV4 streaming uploads), which the AWS
 * SDK sends for stream bodies: `<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n`
 * chunks, a zero-size last chunk, and in the `-TRAILER` variants trailing
 * headers (checksums, a trailer signature). Only the payload is the object.
 */
export const STREAMING = {
  signed: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  signedTrailer: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
  unsignedTrailer: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
} as const;

export interface ChunkSigning {
  /** The request's own signature, which the first chunk's signature chains from. */
  signature: string;
  amzDate: string;
  scope: string;
  key: Buffer;
}

export interface DecodedBody {
  payload: Buffer;
  /** Trailing headers, lower-cased names, without the trailer signature. */
  trailers: Record<string, string>;
}

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
const sha256Hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

const sameSignature = (given: string, expected: string): boolean => {
  const a = Buffer.from(given, 'hex');
  const b = Buffer.from(expected, 'hex');
  return /^[0-9a-f]{64}$/i.test(given) && a.length === b.length && timingSafeEqual(a, b);
};

/**
 * Decodes an aws-chunked body. `signing` is given for the signed variants:
 * every chunk's signature (and the trailer's) is checked against the chain
 * that starts at the request's signature, as S3 checks it.
 */
export const decodeAwsChunked = (body: Buffer, options: { signing?: ChunkSigning; trailer: boolean }): DecodedBody => {
  const { signing, trailer } = options;
  let at = 0;
  let previous = signing?.signature ?? '';
  const chunks: Buffer[] = [];
  const readLine = (): string => {
    const end = body.indexOf('\r\n', at);
    if (end < 0 || end - at > 4096) throw S3Errors.incompleteBody();
    const line = body.subarray(at, end).toString('latin1');
    at = end + 2;
    return line;
  };
  for (;;) {
    const header = readLine();
    const [sizeText = '', ...extensions] = header.split(';');
    if (!/^[0-9a-fA-F]{1,15}$/.test(sizeText)) {
      throw new S3Error('InvalidRequest', 'The aws-chunked body has a malformed chunk header.', 400);
    }
    const size = Number.parseInt(sizeText, 16);
    if (size > body.length - at) throw S3Errors.incompleteBody();
    const data = body.subarray(at, at + size);
    at += size;
    if (signing) {
      const given = extensions.find((e) => e.startsWith('chunk-signature='))?.slice('chunk-signature='.length) ?? '';
      const expected = createHmac('sha256', signing.key)
        .update(
          ['AWS4-HMAC-SHA256-PAYLOAD', signing.amzDate, signing.scope, previous, EMPTY_SHA256, sha256Hex(data)].join(
            '\n',
          ),
        )
        .digest('hex');
      if (!sameSignature(given, expected)) throw S3Errors.signatureMismatch();
      previous = expected;
    }
    if (size === 0) break;
    chunks.push(data);
    if (body.subarray(at, at + 2).toString('latin1') !== '\r\n') throw S3Errors.incompleteBody();
    at += 2;
  }
  const trailers: Record<string, string> = {};
  if (!trailer) {
    // The last chunk ends with an empty line; nothing may follow it.
    if (at < body.length && readLine() !== '') throw S3Errors.incompleteBody();
    if (at !== body.length) throw new S3Error('InvalidRequest', 'Data follows the last aws-chunked chunk.', 400);
    return { payload: Buffer.concat(chunks), trailers };
  }
  let trailerSignature: string | undefined;
  const signedLines: string[] = [];
  while (at < body.length) {
    const line = readLine();
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new S3Error('InvalidRequest', 'The aws-chunked body has a malformed trailer.', 400);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') trailerSignature = value;
    else {
      trailers[name] = value;
      signedLines.push(`${name}:${value}\n`);
    }
  }
  if (at !== body.length) throw new S3Error('InvalidRequest', 'Data follows the aws-chunked trailer.', 400);
  if (signing) {
    const expected = createHmac('sha256', signing.key)
      .update(
        ['AWS4-HMAC-SHA256-TRAILER', signing.amzDate, signing.scope, previous, sha256Hex(signedLines.join(''))].join(
          '\n',
        ),
      )
      .digest('hex');
    if (!sameSignature(trailerSignature ?? '', expected)) throw S3Errors.signatureMismatch();
  }
  return { payload: Buffer.concat(chunks), trailers };
};

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

const crc32c = (data: Buffer): number => {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
};

const uint32Base64 = (value: number): string => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return bytes.toString('base64');
};

/** The flexible checksums S3 accepts, by the name of their `x-amz-checksum-*` header; CRC64NVME is not here. */
const CHECKSUMS: Record<string, (data: Buffer) => string> = {
  'x-amz-checksum-crc32': (data) => uint32Base64(crc32(data)),
  'x-amz-checksum-crc32c': (data) => uint32Base64(crc32c(data)),
  'x-amz-checksum-sha1': (data) => createHash('sha1').update(data).digest('base64'),
  'x-amz-checksum-sha256': (data) => createHash('sha256').update(data).digest('base64'),
};

/**
 * Checks the `x-amz-checksum-*` values a request gives (in its headers or its
 * trailer) against the payload, and `Content-MD5`, as S3 does; returns the
 * checksums to answer with.
 */
export const checkChecksums = (payload: Buffer, given: Record<string, string | undefined>): Record<string, string> => {
  const checked: Record<string, string> = {};
  const md5 = given['content-md5'];
  if (md5 !== undefined && createHash('md5').update(payload).digest('base64') !== md5) {
    throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400);
  }
  for (const [name, value] of Object.entries(given)) {
    // x-amz-checksum-algorithm and -type describe a checksum; they are not one.
    if (!name.startsWith('x-amz-checksum-') || value === undefined) continue;
    if (name === 'x-amz-checksum-type' || name === 'x-amz-checksum-algorithm') continue;
    const compute = CHECKSUMS[name];
    if (!compute) throw S3Errors.notImplemented(name);
    const actual = compute(payload);
    if (actual !== value) {
      throw new S3Error(
        'BadDigest',
        `The ${name.slice('x-amz-checksum-'.length).toUpperCase()} you specified did not match the calculated checksum.`,
        400,
      );
    }
    checked[name] = actual;
  }
  return checked;
};
