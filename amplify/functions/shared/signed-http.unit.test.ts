import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedHttpClient } from './signed-http';

const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' };

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData): Buffer =>
  typeof data === 'string'
    ? Buffer.from(data)
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** Node's own SHA-256 in the shape the signer takes, for the server side of the check. */
class ServerSha256 {
  private readonly chunks: Buffer[] = [];
  constructor(private readonly secret?: SourceData) {}
  update(data: SourceData): void {
    this.chunks.push(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    const data = Buffer.concat(this.chunks);
    const hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.secret));
    return new Uint8Array(hash.update(data).digest());
  }
  reset(): void {
    this.chunks.length = 0;
  }
}

interface Received {
  method: string;
  url: string;
  body: string;
  headers: IncomingMessage['headers'];
  expectedAuthorization: string;
}

describe('signedHttpClient', () => {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const signed = String(request.headers.authorization ?? '');
      const signedHeaders = /SignedHeaders=([^,]+)/.exec(signed)?.[1]?.split(';') ?? [];
      // Re-sign what actually arrived, with the same date and signed headers, and compare.
      const verifier = new SignatureV4({
        service: 'es',
        region: 'eu-west-1',
        sha256: ServerSha256,
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' },
      });
      const date = String(request.headers['x-amz-date']);
      const headers = Object.fromEntries(signedHeaders.map((name) => [name, String(request.headers[name] ?? '')]));
      const again = await verifier.sign(
        {
          method: String(request.method),
          protocol: 'http:',
          hostname: '127.0.0.1',
          path: String(request.url),
          headers,
          body,
          query: {},
        },
        {
          signingDate: new Date(
            `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
          ),
        },
      );
      received.push({
        method: String(request.method),
        url: String(request.url),
        body,
        headers: request.headers,
        expectedAuthorization: String(again.headers.authorization),
      });
      response.writeHead(request.url === '/missing' ? 404 : 200, { 'content-type': 'application/json' });
      response.end(request.url === '/text' ? 'not json' : JSON.stringify({ ok: true }));
    });
  });
  let endpoint = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends a request whose SigV4 signature matches what arrived (host with port, path, body)', async () => {
    // Prepare
    const client = signedHttpClient(CREDENTIALS, { endpoint, service: 'es', region: 'eu-west-1', timeoutMs: 5000 });
    const body = '{"index":{"_id":"a"}}\n{"headline":"x"}\n';

    // Act
    const response = await client.request('POST', '/notes/_bulk', body, 'application/x-ndjson');

    // Assess
    expect(response).toEqual({ status: 200, body: { ok: true } });
    const [request] = received.splice(0);
    expect(request).toMatchObject({ method: 'POST', url: '/notes/_bulk', body });
    expect(request?.headers['content-type']).toBe('application/x-ndjson');
    expect(request?.headers['x-amz-security-token']).toBe('token');
    expect(request?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/es\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/,
    );
    expect(request?.headers.authorization).toBe(request?.expectedAuthorization);
  });

  it('returns the status and the text of a non-JSON answer', async () => {
    // Prepare
    const client = signedHttpClient(CREDENTIALS, { endpoint, service: 'es', region: 'eu-west-1', timeoutMs: 5000 });

    // Act & Assess
    expect(await client.request('PUT', '/text', '{}')).toEqual({ status: 200, body: 'not json' });
    expect((await client.request('POST', '/missing', '{}')).status).toBe(404);
    received.splice(0);
  });

  it('names a missing credential variable', async () => {
    // Prepare
    const client = signedHttpClient({}, { endpoint, service: 'es', region: 'eu-west-1', timeoutMs: 5000 });

    // Act & Assess
    await expect(client.request('POST', '/x', '{}')).rejects.toThrow(/Missing environment variable AWS_ACCESS_KEY_ID/);
  });

  it('rejects an endpoint that is not a URL', () => {
    // Act & Assess
    expect(() =>
      signedHttpClient(CREDENTIALS, { endpoint: 'search-host', service: 'es', region: 'eu-west-1', timeoutMs: 1 }),
    ).toThrow(/is not a URL/);
  });
});
