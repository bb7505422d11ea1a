import { type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';

/**
 * AppSync's OPENID_CONNECT checks on a token: its signature by the issuer's
 * keys, `iss` exactly the configured issuer, `exp`, the client id (a regular
 * expression) against `aud` when one is configured, and the two TTLs:
 * `iat` + IatTTL and `auth_time` + AuthTTL must not have passed.
 */

export interface OidcSettings {
  issuer: string;
  clientId?: string;
  authTtlSeconds?: number;
  iatTtlSeconds?: number;
}

export class OidcTokenError extends Error {
  override readonly name = 'UnauthorizedException';
}

const INVALID = 'Valid authorization header not provided.';
const EXPIRED = 'Token has expired.';

/** The client ids a token was issued to: `aud` (one or a list), else `azp` or `client_id`. */
const audiences = (payload: JWTPayload): string[] => {
  const aud = payload.aud;
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === 'string');
  const other = payload.azp ?? payload.client_id;
  return typeof other === 'string' ? [other] : [];
};

/** The pure checks after the signature: client id and TTLs, at `nowSeconds`. */
export const checkOidcClaims = (payload: JWTPayload, settings: OidcSettings, nowSeconds: number): void => {
  if (settings.clientId) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(`^(?:${settings.clientId})$`);
    } catch {
      throw new OidcTokenError(INVALID);
    }
    if (!audiences(payload).some((a) => pattern.test(a))) throw new OidcTokenError(INVALID);
  }
  if (settings.iatTtlSeconds) {
    if (typeof payload.iat !== 'number') throw new OidcTokenError(INVALID);
    if (nowSeconds > payload.iat + settings.iatTtlSeconds) throw new OidcTokenError(EXPIRED);
  }
  if (settings.authTtlSeconds) {
    const authTime = payload.auth_time;
    if (typeof authTime !== 'number') throw new OidcTokenError(INVALID);
    if (nowSeconds > authTime + settings.authTtlSeconds) throw new OidcTokenError(EXPIRED);
  }
};

/** Verifies an OIDC token as AppSync does; returns its claims. */
export const verifyOidcToken = async (
  token: string | undefined,
  settings: OidcSettings,
  keys: JWTVerifyGetKey,
  now: () => number = Date.now,
): Promise<JWTPayload> => {
  if (!token) throw new OidcTokenError(INVALID);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token.replace(/^Bearer\s+/i, ''), keys, {
      issuer: settings.issuer,
      algorithms: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'],
      currentDate: new Date(now()),
    }));
  } catch (error) {
    const expired = error instanceof Error && 'code' in error && error.code === 'ERR_JWT_EXPIRED';
    throw new OidcTokenError(expired ? EXPIRED : INVALID);
  }
  checkOidcClaims(payload, settings, Math.floor(now() / 1000));
  return payload;
};
