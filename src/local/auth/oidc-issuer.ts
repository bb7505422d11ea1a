import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type JWK, SignJWT } from 'jose';
import { sameSecret } from './codes';
import { loadSigningKey, type SigningKey } from './tokens';

/**
 * A local stand-in for the OpenID Connect provider an API's OPENID_CONNECT
 * mode names. Its tokens carry `iss` = the issuer the template names, so
 * resolvers and owner fields see what they would in the cloud; they are
 * signed with a key kept in the data folder, and the local AppSync verifies
 * them against this issuer's JWKS instead of fetching the real provider's.
 * Served on the auth server under `/oidc`: the discovery document, the JWKS,
 * and `POST /oidc/token` to mint an ID token for tests and development.
 * Minting is signing in as anyone, so it is no open door: only a bearer of
 * the local admin secret may mint, only on this server's loopback Host, never
 * from a page (an Origin is refused, and the answer has no CORS header).
 * Discovery and the JWKS are public, as a provider's are.
 */

export const OIDC_PATH = '/oidc';
const LIFETIME_SECONDS = 3600;

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export interface MintOptions {
  sub: string;
  /** `aud`: the client id the API expects, when it names one. */
  clientId?: string;
  /** Further claims (`email`, `groups`, `username`, ...). */
  claims?: Json;
  expiresInSeconds?: number;
  /** Seconds since the epoch; defaults to now. */
  issuedAt?: number;
  authTime?: number;
}

export class LocalOidcIssuer {
  private constructor(
    private readonly privateKey: SigningKey,
    private readonly publicJwk: JWK,
    /** The `iss` of its tokens: the template's issuer. */
    readonly issuer: string,
    /** Where it is served locally: `<auth url>/oidc`. */
    readonly localUrl: string,
    /** The local admin secret, which `POST /token` requires; absent, nobody may mint over HTTP. */
    private readonly mintSecret?: () => string,
  ) {}

  static async create(
    issuer: string,
    localUrl: string,
    keyFile?: string,
    mintSecret?: () => string,
  ): Promise<LocalOidcIssuer> {
    const { privateKey, publicJwk } = await loadSigningKey(keyFile, 'the OIDC signing key');
    return new LocalOidcIssuer(privateKey, publicJwk, issuer, localUrl, mintSecret);
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  discovery(): Json {
    return {
      issuer: this.issuer,
      jwks_uri: `${this.localUrl}/.well-known/jwks.json`,
      token_endpoint: `${this.localUrl}/token`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    };
  }

  /** An ID token as the provider would issue it. */
  async mint(options: MintOptions): Promise<string> {
    const iat = options.issuedAt ?? Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ ...options.claims, auth_time: options.authTime ?? iat, token_use: 'id' })
      .setProtectedHeader({ alg: 'RS256', kid: String(this.publicJwk.kid ?? '') })
      .setIssuer(this.issuer)
      .setSubject(options.sub)
      .setIssuedAt(iat)
      .setExpirationTime(iat + (options.expiresInSeconds ?? LIFETIME_SECONDS))
      .setJti(randomUUID());
    if (options.clientId) jwt.setAudience(options.clientId);
    return jwt.sign(this.privateKey);
  }

  /** Serves `/oidc/...`; false for a path that is not its own. Never throws. */
  async handle(req: IncomingMessage, res: ServerResponse, body: () => Promise<Buffer>): Promise<boolean> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path !== OIDC_PATH && !path.startsWith(`${OIDC_PATH}/`)) return false;
    const rest = path.slice(OIDC_PATH.length);
    const minting = rest === '/token';
    const send = (status: number, value: unknown, extra: Record<string, string> = {}) => {
      res.writeHead(status, {
        'content-type': 'application/json',
        // Discovery and keys are public; a minted token is for the tool that asked, not for pages.
        ...(minting ? { 'cache-control': 'no-store' } : { 'access-control-allow-origin': '*' }),
        ...extra,
      });
      res.end(JSON.stringify(value));
    };
    if (minting) {
      const port = new URL(this.localUrl).port;
      const host = String(req.headers.host ?? '').toLowerCase();
      const bearer = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
      const secret = this.mintSecret?.();
      let refusal: [number, string] | undefined;
      if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`)
        refusal = [403, `Host must be 127.0.0.1:${port} or localhost:${port}.`];
      else if (req.headers.origin !== undefined) refusal = [403, 'Tokens are minted for tools and tests, not pages.'];
      else if (!bearer || !secret || !sameSecret(bearer, secret))
        refusal = [
          401,
          'Send Authorization: Bearer <secretAccessKey> of the local admin credentials (custom.local.admin_credentials_file).',
        ];
      if (refusal) {
        req.resume();
        const [status, description] = refusal;
        send(
          status,
          { error: status === 401 ? 'invalid_client' : 'access_denied', error_description: description },
          status === 401 ? { 'www-authenticate': 'Bearer realm="local"' } : {},
        );
        return true;
      }
    }
    if (req.method === 'GET' && rest === '/.well-known/openid-configuration') send(200, this.discovery());
    else if (req.method === 'GET' && rest === '/.well-known/jwks.json') send(200, this.jwks());
    else if (req.method === 'POST' && rest === '/token') {
      let input: unknown;
      try {
        input = JSON.parse((await body()).toString('utf8'));
      } catch {
        input = undefined;
      }
      const sub = isRecord(input) ? input.sub : undefined;
      if (!isRecord(input) || typeof sub !== 'string' || sub === '') {
        send(400, { error: 'invalid_request', error_description: 'POST a JSON object with a string "sub".' });
        return true;
      }
      const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
      const expiresIn = number(input.expiresInSeconds) ?? LIFETIME_SECONDS;
      const idToken = await this.mint({
        sub,
        clientId: typeof input.clientId === 'string' ? input.clientId : undefined,
        claims: isRecord(input.claims) ? input.claims : undefined,
        expiresInSeconds: expiresIn,
        issuedAt: number(input.issuedAt),
        authTime: number(input.authTime),
      });
      send(200, { id_token: idToken, token_type: 'Bearer', expires_in: expiresIn });
    } else send(404, { error: 'not_found', error_description: `No ${req.method} ${path} on the local OIDC issuer.` });
    return true;
  }
}
