import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { ConfigError, requireEnv } from './errors';

/** SHA-256 for the signer, from node:crypto (the signer takes any Checksum implementation). */
export class Sha256 {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.create();
  }

  private create(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    const key =
      typeof this.secret === 'string'
        ? this.secret
        : ArrayBuffer.isView(this.secret)
          ? new Uint8Array(this.secret.buffer, this.secret.byteOffset, this.secret.byteLength)
          : new Uint8Array(this.secret);
    return createHmac('sha256', key);
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(
      typeof data === 'string'
        ? data
        : ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : new Uint8Array(data),
    );
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = this.create();
  }
}

export interface SignedResponse {
  status: number;
  /** The parsed JSON body, or the text when it is not JSON. */
  body: unknown;
}

export interface SignedHttpClient {
  request(method: 'GET' | 'PUT' | 'POST', path: string, body: string, contentType?: string): Promise<SignedResponse>;
}

/**
 * A SigV4-signing HTTP client for one endpoint (OpenSearch Service: service
 * `es`). Credentials are the function role's, which Lambda puts in the
 * environment. The endpoint is `https://host[:port]`.
 */
export const signedHttpClient = (
  env: Record<string, string | undefined>,
  options: { endpoint: string; service: string; region: string; timeoutMs: number },
): SignedHttpClient => {
  let url: URL;
  try {
    url = new URL(options.endpoint);
  } catch {
    throw new ConfigError(`The search endpoint ${JSON.stringify(options.endpoint)} is not a URL.`);
  }
  const signer = new SignatureV4({
    service: options.service,
    region: options.region,
    sha256: Sha256,
    credentials: async () => ({
      accessKeyId: requireEnv(env, 'AWS_ACCESS_KEY_ID'),
      secretAccessKey: requireEnv(env, 'AWS_SECRET_ACCESS_KEY'),
      sessionToken: env.AWS_SESSION_TOKEN || undefined,
    }),
  });
  return {
    async request(method, path, body, contentType = 'application/json') {
      const signed = await signer.sign({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path,
        query: {},
        headers: { host: url.host, 'content-type': contentType },
        body,
      });
      const response = await fetch(new URL(path, url), {
        method,
        headers: signed.headers,
        body: method === 'GET' ? undefined : body,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON: the caller reports the text.
      }
      return { status: response.status, body: parsed };
    },
  };
};
