import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';

export interface TokenSubject {
  sub: string;
  username: string;
  email: string;
  emailVerified: boolean;
  groups: string[];
  /** Further standard attributes (name, locale, ...): the ID token carries them. */
  attributes?: Record<string, string>;
  /** A federated user's provider accounts: the ID token's `identities` claim. */
  identities?: readonly object[];
}

/** What a hosted-UI (OAuth) sign-in adds: the granted scopes, and the nonce the app sent. */
export interface OAuthClaims {
  scope?: string;
  nonce?: string;
}

/** What a pre token generation trigger changes in the tokens it is asked about. */
export interface TokenOverrides {
  id?: { add: Record<string, unknown>; suppress: string[] };
  /** Only the V2_0 event can change the access token. */
  access?: { add: Record<string, unknown>; suppress: string[] };
  scopesToAdd?: string[];
  scopesToSuppress?: string[];
  /** Replaces `cognito:groups` in both tokens. */
  groups?: string[];
}

/** Claims no trigger may add, override or suppress (Cognito ignores such changes). */
const RESERVED_CLAIMS = new Set([
  'acr',
  'amr',
  'aud',
  'at_hash',
  'auth_time',
  'azp',
  'client_id',
  'cognito:username',
  'event_id',
  'exp',
  'iat',
  'identities',
  'iss',
  'jti',
  'nbf',
  'nonce',
  'origin_jti',
  'scope',
  'sub',
  'token_use',
  'username',
  'cognito:groups',
  'cognito:roles',
  'cognito:preferred_role',
]);

const applyOverrides = (
  claims: Record<string, unknown>,
  change: { add: Record<string, unknown>; suppress: string[] } | undefined,
): Record<string, unknown> => {
  if (!change) return claims;
  const result = { ...claims };
  for (const name of change.suppress) if (!RESERVED_CLAIMS.has(name)) delete result[name];
  for (const [name, value] of Object.entries(change.add)) if (!RESERVED_CLAIMS.has(name)) result[name] = value;
  return result;
};

export interface IssuedTokens {
  IdToken: string;
  AccessToken: string;
  ExpiresIn: number;
  TokenType: 'Bearer';
}

const LIFETIME_SECONDS = 3600;

export type SigningKey = Exclude<Awaited<ReturnType<typeof importJWK>>, Uint8Array>;

/**
 * An RS256 signing key kept in `keyFile` (mode 0600), made on first use, so
 * that tokens signed before a restart still verify after it; without a file,
 * a fresh key per process. `what` names the key in the one error it can give.
 */
export const loadSigningKey = async (
  keyFile: string | undefined,
  what: string,
): Promise<{ privateKey: SigningKey; publicJwk: JWK }> => {
  let privateJwk: JWK;
  if (keyFile && existsSync(keyFile)) {
    privateJwk = JSON.parse(readFileSync(keyFile, 'utf8'));
  } else {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
    privateJwk = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };
    if (keyFile) {
      mkdirSync(dirname(keyFile), { recursive: true });
      writeFileSync(keyFile, JSON.stringify(privateJwk), { mode: 0o600 });
    }
  }
  const { d, p, q, dp, dq, qi, ...publicJwk } = privateJwk;
  const privateKey = await importJWK(privateJwk, 'RS256');
  if (privateKey instanceof Uint8Array) throw new Error(`${what} imported as a secret, not an RSA key`);
  return { privateKey, publicJwk };
};

/**
 * RS256 tokens with the claims Cognito puts in them, signed with a key kept
 * in the data folder, and the JWKS that verifies them.
 */
export class TokenIssuer {
  /**
   * The IAM role of each group that has one, as the pool's groups define them:
   * ID tokens then carry `cognito:roles` and `cognito:preferred_role`.
   */
  groupRoles: Record<string, { roleArn: string; precedence: number }> = {};

  private constructor(
    private readonly privateKey: SigningKey,
    private readonly publicJwk: JWK,
    readonly issuer: string,
  ) {}

  static async create(issuer: string, keyFile?: string): Promise<TokenIssuer> {
    const { privateKey, publicJwk } = await loadSigningKey(keyFile, 'the signing key');
    return new TokenIssuer(privateKey, publicJwk, issuer);
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  async issue(
    subject: TokenSubject,
    clientId: string,
    authTime: number,
    originJti: string = randomUUID(),
    oauth: OAuthClaims = {},
    overrides?: TokenOverrides,
  ): Promise<IssuedTokens & { originJti: string }> {
    const now = Math.floor(Date.now() / 1000);
    const eventId = randomUUID();
    const common = { origin_jti: originJti, event_id: eventId, auth_time: authTime };
    const groupNames = overrides?.groups ?? subject.groups;
    const groups = groupNames.length > 0 ? { 'cognito:groups': groupNames } : {};
    const roles = groupNames.flatMap((g) => this.groupRoles[g] ?? []).sort((a, b) => a.precedence - b.precedence);
    // Cognito names a preferred role only when one group's precedence is strictly the lowest.
    const preferred = roles[0] && roles[0].precedence !== roles[1]?.precedence ? roles[0].roleArn : undefined;
    const roleClaims =
      roles.length > 0
        ? {
            'cognito:roles': roles.map((r) => r.roleArn),
            ...(preferred ? { 'cognito:preferred_role': preferred } : {}),
          }
        : {};
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: this.publicJwk.kid ?? '' })
        .setIssuer(this.issuer)
        .setSubject(subject.sub)
        .setIssuedAt(now)
        .setExpirationTime(now + LIFETIME_SECONDS)
        .setJti(randomUUID())
        .sign(this.privateKey);
    const scopes = [
      ...(oauth.scope ?? 'aws.cognito.signin.user.admin').split(' '),
      ...(overrides?.scopesToAdd ?? []),
    ].filter(
      (scope, i, all) => scope !== '' && all.indexOf(scope) === i && !overrides?.scopesToSuppress?.includes(scope),
    );
    const IdToken = await sign(
      applyOverrides(
        {
          ...subject.attributes,
          ...common,
          ...groups,
          ...roleClaims,
          ...(subject.identities && subject.identities.length > 0 ? { identities: subject.identities } : {}),
          ...(oauth.nonce ? { nonce: oauth.nonce } : {}),
          aud: clientId,
          token_use: 'id',
          'cognito:username': subject.username,
          email: subject.email,
          email_verified: subject.emailVerified,
        },
        overrides?.id,
      ),
    );
    const AccessToken = await sign(
      applyOverrides(
        {
          ...common,
          ...groups,
          client_id: clientId,
          token_use: 'access',
          scope: scopes.join(' '),
          username: subject.username,
        },
        overrides?.access,
      ),
    );
    return { IdToken, AccessToken, ExpiresIn: LIFETIME_SECONDS, TokenType: 'Bearer', originJti };
  }

  /** An opaque refresh token; the server keeps what it stands for. */
  newRefreshToken(): string {
    return randomBytes(48).toString('base64url');
  }
}
