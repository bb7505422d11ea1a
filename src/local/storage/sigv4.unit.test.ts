import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { type IncomingSignedRequest, verifySigV4 } from './sigv4';

const CREDENTIALS = {
  accessKeyId: 'ASIALOCALTESTKEY0001',
  secretAccessKey: 'c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seQ==',
  sessionToken: 'session-token-for-tests',
};
const SCOPE = { region: 'us-east-1', service: 's3' };
const NOW = Date.UTC(2026, 10, 21, 8, 0, 0);
const lookup = (id: string) => (id === CREDENTIALS.accessKeyId ? CREDENTIALS : undefined);

/**
 * The SDK's own signer, configured as the S3 client configures it. Presigning
 * keeps the `x-amz-content-sha256: UNSIGNED-PAYLOAD` header, as the S3 presigner sets it.
 */
const signer = new SignatureV4({ credentials: CREDENTIALS, ...SCOPE, sha256: Sha256, uriEscapePath: false });

/** RFC 3986, as the SDK builds a URL's query. */
const uriEscape = (value: string): string =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

interface Signed {
  method: string;
  path: string;
  query?: Record<string, unknown>;
  headers: Record<string, string>;
}

const toIncoming = (request: Signed): IncomingSignedRequest => ({
  method: request.method,
  path: request.path,
  query: Object.entries(request.query ?? {})
    .map(([k, v]) => `${uriEscape(k)}=${uriEscape(String(v))}`)
    .join('&'),
  headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v])),
});

const request = (overrides: Partial<ConstructorParameters<typeof HttpRequest>[0]> = {}) =>
  new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname: '127.0.0.1',
    port: 4443,
    path: '/media-bucket/media/us-east-1%3Aabc/photo%20one.jpg',
    query: { 'x-id': 'GetObject' },
    headers: { host: '127.0.0.1:4443', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    ...overrides,
  });

describe('verifySigV4 against the AWS SDK signer', () => {
  it('accepts a header-signed request and a presigned URL', async () => {
    const signed = await signer.sign(request(), { signingDate: new Date(NOW) });
    const presigned = await signer.presign(request(), {
      signingDate: new Date(NOW),
      expiresIn: 900,
    });
    expect(verifySigV4(toIncoming(signed), lookup, SCOPE, NOW + 1000)).toMatchObject({
      accessKeyId: CREDENTIALS.accessKeyId,
      payloadHash: 'UNSIGNED-PAYLOAD',
      presigned: false,
    });
    expect(verifySigV4(toIncoming(presigned), lookup, SCOPE, NOW + 1000)).toMatchObject({ presigned: true });
  });

  it('returns the signed body hash for the caller to check', async () => {
    const body = 'hello';
    const hash = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';
    const signed = await signer.sign(
      request({ method: 'PUT', body, headers: { host: '127.0.0.1:4443', 'x-amz-content-sha256': hash } }),
      { signingDate: new Date(NOW) },
    );
    expect(verifySigV4(toIncoming(signed), lookup, SCOPE, NOW).payloadHash).toBe(hash);
  });

  it('refuses a tampered path, query, header or signature', async () => {
    const presigned = toIncoming(
      await signer.presign(request(), {
        signingDate: new Date(NOW),
        expiresIn: 900,
      }),
    );
    const signed = toIncoming(await signer.sign(request(), { signingDate: new Date(NOW) }));
    const refusals = [
      { ...presigned, path: presigned.path.replace('abc', 'xyz') },
      { ...presigned, query: presigned.query.replace('X-Amz-Expires=900', 'X-Amz-Expires=901') },
      { ...presigned, query: presigned.query.replace(/X-Amz-Signature=[0-9a-f]/, 'X-Amz-Signature=0') },
      { ...presigned, method: 'DELETE' },
      { ...signed, headers: { ...signed.headers, host: '127.0.0.1:9999' } },
      { ...signed, query: 'x-id=DeleteObject' },
    ];
    for (const tampered of refusals) {
      expect(() => verifySigV4(tampered, lookup, SCOPE, NOW)).toThrow(
        expect.objectContaining({ code: 'SignatureDoesNotMatch' }),
      );
    }
  });

  it('refuses an expired URL, a skewed clock, an unknown key, a missing token and an unsigned request', async () => {
    const presigned = toIncoming(
      await signer.presign(request(), {
        signingDate: new Date(NOW),
        expiresIn: 60,
      }),
    );
    const signed = toIncoming(await signer.sign(request(), { signingDate: new Date(NOW) }));
    const codeOf = (run: () => unknown): unknown => {
      try {
        run();
        return 'accepted';
      } catch (error) {
        return (error as { code?: unknown }).code;
      }
    };
    expect(codeOf(() => verifySigV4(presigned, lookup, SCOPE, NOW + 61_000))).toBe('AccessDenied');
    expect(codeOf(() => verifySigV4(signed, lookup, SCOPE, NOW + 16 * 60_000))).toBe('RequestTimeTooSkewed');
    expect(codeOf(() => verifySigV4(signed, () => undefined, SCOPE, NOW))).toBe('InvalidAccessKeyId');
    const withoutToken = { ...signed, headers: { ...signed.headers, 'x-amz-security-token': undefined } };
    expect(codeOf(() => verifySigV4(withoutToken, lookup, SCOPE, NOW))).toBe('InvalidToken');
    expect(codeOf(() => verifySigV4({ ...signed, headers: { host: '127.0.0.1:4443' } }, lookup, SCOPE, NOW))).toBe(
      'AccessDenied',
    );
    expect(codeOf(() => verifySigV4(signed, lookup, { ...SCOPE, region: 'eu-west-1' }, NOW))).toBe(
      'AuthorizationHeaderMalformed',
    );
  });
});
