import { createHash, timingSafeEqual } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { OAuthSettings } from '../../settings/oauth';
import { attributesOf } from '../attributes';
import type { TokenIssuer } from '../tokens';
import type { UserStore } from '../users';
import { OAuthError, OAuthPageError, OAuthRedirectError } from './errors';
import { type Federation, FederationTriggerError, type ProviderProfile } from './federation';
import { OAuthStore, type PendingLogin } from './store';

export interface OAuthOperationsOptions {
  userPoolId: string;
  clientId: string;
  /** The app client's secret, when it has one (GenerateSecret): the token endpoint then authenticates it. */
  clientSecret?: string;
  settings: OAuthSettings;
  users: UserStore;
  tokens: TokenIssuer;
  federation: Federation;
  now: () => number;
}

/** One request's parameters: the query of a GET, the form of a POST. */
export type Params = URLSearchParams;

const one = (params: Params, name: string): string | undefined => {
  const values = params.getAll(name);
  if (values.length > 1) throw new OAuthError('invalid_request', `Duplicate parameter ${name}`);
  return values[0];
};

const s256 = (verifier: string): string => createHash('sha256').update(verifier).digest('base64url');

const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * The hosted UI's OAuth 2.0 operations, over parsed parameters: authorize,
 * the provider stand-in's sign-in, token (authorization_code with PKCE,
 * refresh_token), userInfo, revoke and logout, with Cognito's checks and
 * errors. The wire layer turns their results into redirects, pages and JSON.
 */
export class OAuthOperations {
  readonly store: OAuthStore;

  constructor(private readonly options: OAuthOperationsOptions) {
    this.store = new OAuthStore(options.now);
  }

  set settings(settings: OAuthSettings) {
    this.options.settings = settings;
  }

  get settings(): OAuthSettings {
    return this.options.settings;
  }

  /** The app client a request names; an unknown one gets the error page, never a redirect. */
  private client(clientId: string | undefined): OAuthSettings['client'] {
    if (!clientId) throw new OAuthPageError('invalid_request', 'Required String parameter client_id is not present');
    if (clientId !== this.options.clientId) throw new OAuthPageError('invalid_request', 'Invalid client_id');
    return this.options.settings.client;
  }

  /**
   * GET /oauth2/authorize: once the client and redirect_uri check out (exact
   * match against CallbackURLs, else Cognito's `redirect_mismatch` page),
   * every other error goes back to the app; success opens the provider page.
   */
  authorize(params: Params): { login: string; pending: PendingLogin } {
    let clientId: string | undefined;
    let redirectUri: string | undefined;
    try {
      clientId = one(params, 'client_id');
      redirectUri = one(params, 'redirect_uri');
    } catch (error) {
      throw error instanceof OAuthError ? new OAuthPageError(error.error, error.description) : error;
    }
    const client = this.client(clientId);
    if (!redirectUri)
      throw new OAuthPageError('invalid_request', 'Required String parameter redirect_uri is not present');
    if (!client.callbackUrls.includes(redirectUri)) throw new OAuthPageError('redirect_mismatch', 'redirect_mismatch');
    const state = params.get('state') ?? undefined;
    const fail = (error: OAuthRedirectError['error'], description: string) =>
      new OAuthRedirectError(redirectUri, error, description, state);
    const responseType = params.get('response_type');
    if (!responseType) throw fail('invalid_request', 'response_type is required');
    if (responseType !== 'code' && responseType !== 'token') throw fail('unsupported_response_type', responseType);
    const flow = responseType === 'code' ? 'code' : 'implicit';
    if (!client.allowedFlows.includes(flow))
      throw fail('unauthorized_client', `${flow} flow is not allowed for this client`);
    if (flow === 'implicit')
      throw fail('unsupported_response_type', 'the local hosted UI issues authorization codes only');
    const requested = (params.get('scope') ?? '').split(/\s+/).filter(Boolean);
    // Without a scope Cognito grants every scope the client allows.
    const scopes = requested.length > 0 ? requested : client.allowedScopes;
    const unknown = scopes.find((s) => !client.allowedScopes.includes(s));
    if (unknown) throw fail('invalid_scope', `Scope ${unknown} is not allowed for this client`);
    const challenge = params.get('code_challenge') ?? undefined;
    const method = params.get('code_challenge_method') ?? undefined;
    if (challenge !== undefined && method !== 'S256')
      throw fail('invalid_request', 'code_challenge_method must be S256');
    if (challenge === undefined && method !== undefined) throw fail('invalid_request', 'code_challenge is required');
    if (challenge !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(challenge))
      throw fail('invalid_request', 'code_challenge is not a base64url SHA-256 digest');
    const provider = params.get('identity_provider') ?? undefined;
    if (!provider)
      throw fail(
        'invalid_request',
        params.has('idp_identifier')
          ? 'idp_identifier is not supported locally; name the provider in identity_provider'
          : 'the local hosted UI has no managed login page for the pool’s own users; name an identity_provider',
      );
    const known = this.options.settings.providers.find((p) => p.name === provider);
    if (!known || !client.supportedProviders.includes(provider))
      throw fail('invalid_request', `identity_provider ${provider} is not enabled for this client`);
    const nonce = params.get('nonce') ?? undefined;
    const { id, pending } = this.store.addLogin({
      clientId: this.options.clientId,
      redirectUri,
      provider,
      scopes,
      ...(state !== undefined ? { state } : {}),
      ...(nonce !== undefined ? { nonce } : {}),
      ...(challenge !== undefined ? { codeChallenge: challenge } : {}),
    });
    return { login: id, pending };
  }

  /** The provider page's pending login; an unknown or expired one has nowhere safe to go. */
  pendingLogin(id: string | undefined): PendingLogin {
    const pending = id ? this.store.login(id) : undefined;
    if (!pending)
      throw new OAuthPageError(
        'invalid_request',
        'This sign-in has expired or was already used. Start again from the app.',
      );
    return pending;
  }

  /**
   * POST from the provider page: the form's CSRF token must equal the one
   * this browser's cookie and the pending login carry. The account is
   * linked (or created) and the app gets a single-use code at its redirect_uri.
   */
  async providerSignIn(params: Params, cookieCsrf: string | undefined): Promise<{ location: string }> {
    const id = params.get('login') ?? undefined;
    const pending = this.pendingLogin(id);
    const csrf = params.get('csrf') ?? '';
    if (!cookieCsrf || !same(csrf, pending.csrf) || !same(cookieCsrf, pending.csrf))
      throw new OAuthPageError('invalid_request', 'The sign-in form did not come from this browser’s sign-in page.');
    if (id) this.store.takeLogin(id);
    const back = (query: Record<string, string>) => {
      const url = new URL(pending.redirectUri);
      for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
      if (pending.state !== undefined) url.searchParams.set('state', pending.state);
      return { location: url.toString() };
    };
    if (params.get('action') === 'cancel')
      return back({ error_description: 'The user cancelled the sign-in.', error: 'access_denied' });
    const provider = this.options.settings.providers.find((p) => p.name === pending.provider);
    const sub = (params.get('sub') ?? '').trim();
    if (!provider || !/^[\w.@+-]{1,128}$/.test(sub))
      return back({ error_description: 'The provider returned no valid user id.', error: 'invalid_request' });
    const claims: Record<string, string> = {};
    for (const claim of ['email', 'name', 'given_name', 'family_name', 'email_verified']) {
      const value = (params.get(claim) ?? '').trim();
      if (value) claims[claim] = value.slice(0, 256);
    }
    const profile: ProviderProfile = { sub, claims };
    let username: string;
    try {
      username = (await this.options.federation.link(provider, profile, pending.clientId)).username;
    } catch (error) {
      if (error instanceof FederationTriggerError)
        return back({ error_description: error.message, error: 'invalid_request' });
      throw error;
    }
    const code = this.store.addCode({
      clientId: pending.clientId,
      redirectUri: pending.redirectUri,
      username,
      scopes: pending.scopes,
      authTime: Math.floor(this.options.now() / 1000),
      ...(pending.nonce !== undefined ? { nonce: pending.nonce } : {}),
      ...(pending.codeChallenge !== undefined ? { codeChallenge: pending.codeChallenge } : {}),
    });
    return back({ code });
  }

  /** The client a token request authenticates as: HTTP Basic or the form's client_id (and client_secret). */
  private tokenClient(params: Params, authorization: string | undefined): string {
    let clientId = one(params, 'client_id');
    let secret = one(params, 'client_secret');
    if (authorization?.startsWith('Basic ')) {
      const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new OAuthError('invalid_client', 'Malformed Basic authorization');
      const basicId = decodeURIComponent(decoded.slice(0, colon));
      if (clientId !== undefined && clientId !== basicId) throw new OAuthError('invalid_client', 'client_id mismatch');
      clientId = basicId;
      secret = decodeURIComponent(decoded.slice(colon + 1));
    }
    if (!clientId) throw new OAuthError('invalid_request', 'client_id is required');
    if (clientId !== this.options.clientId) throw new OAuthError('invalid_client', 'Client does not exist');
    const expected = this.options.clientSecret;
    if (expected !== undefined && (secret === undefined || !same(secret, expected)))
      throw new OAuthError('invalid_client', 'Client authentication failed');
    if (expected === undefined && secret !== undefined)
      throw new OAuthError('invalid_client', 'The client has no secret');
    return clientId;
  }

  /** POST /oauth2/token. */
  async token(params: Params, authorization: string | undefined): Promise<Record<string, unknown>> {
    const grantType = one(params, 'grant_type');
    if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required');
    const clientId = this.tokenClient(params, authorization);
    const client = this.options.settings.client;
    if (grantType === 'authorization_code') {
      if (!client.allowedFlows.includes('code'))
        throw new OAuthError('unauthorized_client', 'The client is not allowed the code flow');
      const code = one(params, 'code');
      const redirectUri = one(params, 'redirect_uri');
      if (!code || !redirectUri) throw new OAuthError('invalid_request', 'code and redirect_uri are required');
      const grant = this.store.takeCode(code);
      if (!grant || grant.clientId !== clientId || grant.redirectUri !== redirectUri)
        throw new OAuthError(
          'invalid_grant',
          'The authorization code is invalid, expired, already used, or not for this client and redirect_uri',
        );
      const verifier = one(params, 'code_verifier');
      if (grant.codeChallenge !== undefined) {
        if (!verifier) throw new OAuthError('invalid_request', 'code_verifier is required');
        if (!same(s256(verifier), grant.codeChallenge))
          throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
      }
      const user = this.options.users.find(grant.username);
      if (!user || user.username !== grant.username || user.enabled === false)
        throw new OAuthError('invalid_grant', 'The user is disabled or was deleted');
      return this.options.federation.signIn(user, clientId, grant);
    }
    if (grantType === 'refresh_token') {
      const token = one(params, 'refresh_token');
      if (!token) throw new OAuthError('invalid_request', 'refresh_token is required');
      const session = this.options.users.getRefresh(token);
      const user = session && this.options.users.find(session.username);
      if (!session || !user || session.clientId !== clientId || this.options.users.isRevoked(session.originJti))
        throw new OAuthError('invalid_grant', 'Invalid Refresh Token');
      if (user.enabled === false) throw new OAuthError('invalid_grant', 'User is disabled.');
      const issued = await this.options.tokens.issue(user, clientId, session.authTime, session.originJti, {
        ...(session.scope !== undefined ? { scope: session.scope } : {}),
      });
      return {
        id_token: issued.IdToken,
        access_token: issued.AccessToken,
        expires_in: issued.ExpiresIn,
        token_type: 'Bearer',
      };
    }
    throw new OAuthError('unsupported_grant_type', `grant_type ${grantType} is not supported`);
  }

  /** POST /oauth2/revoke: ends the refresh token's sign-in; an unknown token is not an error (RFC 7009). */
  revoke(params: Params, authorization: string | undefined): void {
    const clientId = this.tokenClient(params, authorization);
    const token = one(params, 'token');
    if (!token) throw new OAuthError('invalid_request', 'token is required');
    const session = this.options.users.getRefresh(token);
    if (session && session.clientId !== clientId)
      throw new OAuthError('unauthorized_client', 'Token was not issued to this client');
    if (session) this.options.users.revoke((s) => s.originJti === session.originJti);
  }

  /** GET/POST /oauth2/userInfo: the signed-in user's attributes, for a valid access token. */
  async userInfo(authorization: string | undefined): Promise<Record<string, unknown>> {
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : '';
    if (!token) throw new OAuthError('invalid_request', 'Access token is missing', 401);
    let username: string;
    let originJti: string;
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet(this.options.tokens.jwks()), {
        issuer: this.options.tokens.issuer,
        algorithms: ['RS256'],
      });
      if (payload.token_use !== 'access') throw new Error('not an access token');
      username = String(payload.username);
      originJti = String(payload.origin_jti);
    } catch {
      throw new OAuthError('invalid_token', 'Access token is expired, revoked or not valid', 401);
    }
    const user = this.options.users.find(username);
    if (!user || user.username !== username || this.options.users.isRevoked(originJti) || user.enabled === false)
      throw new OAuthError('invalid_token', 'Access token has been revoked', 401);
    const attributes: Record<string, unknown> = Object.fromEntries(attributesOf(user).map((a) => [a.Name, a.Value]));
    if (user.identities) attributes.identities = JSON.stringify(user.identities);
    return { ...attributes, username: user.username };
  }

  /**
   * GET /logout: back to the app only at a URL its LogoutURLs list exactly;
   * Cognito's sign-in session ends (there is none to keep locally: the
   * provider page asks every time).
   */
  logout(params: Params): { location: string } {
    const client = this.client(params.get('client_id') ?? undefined);
    const logoutUri = params.get('logout_uri');
    if (logoutUri !== null) {
      if (!client.logoutUrls.includes(logoutUri)) throw new OAuthPageError('redirect_mismatch', 'redirect_mismatch');
      return { location: logoutUri };
    }
    // The other form: sign out, then start a new sign-in at the authorize endpoint.
    const redirectUri = params.get('redirect_uri');
    if (redirectUri === null || !client.callbackUrls.includes(redirectUri))
      throw new OAuthPageError('redirect_mismatch', 'redirect_mismatch');
    const query = new URLSearchParams(params);
    return { location: `/oauth2/authorize?${query.toString()}` };
  }
}
