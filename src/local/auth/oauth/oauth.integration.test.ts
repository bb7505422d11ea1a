import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RequestEvent, requestLog } from '../../http/request-log';
import type { OAuthSettings } from '../../settings/oauth';
import { loadOrCreateTls } from '../../tls';
import type { PostConfirmationEvent } from '../cognito';
import { type LocalAuth, startLocalAuth } from '../server';

/**
 * The hosted UI's OAuth 2.0 endpoints on the real auth server, over HTTPS
 * with the local CA: authorize → the provider stand-in's form → a code →
 * tokens, and each of Cognito's refusals in its own format.
 */

const POOL = 'us-east-1_oauthtest';
const CLIENT = 'oauthclient';
const APP = 'https://127.0.0.1:20040/';
const SIGNED_OUT = 'https://127.0.0.1:20040/signed-out';
const SETTINGS: OAuthSettings = {
  domainPrefix: 'abc123',
  providers: [
    {
      name: 'Google',
      type: 'Google',
      attributeMapping: { email: 'email', name: 'name' },
      scopes: ['email', 'profile'],
    },
    { name: 'WorkSSO', type: 'OIDC', attributeMapping: { email: 'email' }, scopes: ['openid', 'email'] },
  ],
  client: {
    callbackUrls: [APP],
    logoutUrls: [SIGNED_OUT],
    allowedFlows: ['code'],
    allowedScopes: ['phone', 'email', 'openid', 'profile', 'aws.cognito.signin.user.admin'],
    supportedProviders: ['Google', 'WorkSSO', 'COGNITO'],
  },
};
const POLICY = {
  minimumLength: 8,
  requireLowercase: false,
  requireUppercase: false,
  requireNumbers: false,
  requireSymbols: false,
};

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('the local hosted UI (OAuth 2.0 endpoints)', () => {
  let auth: LocalAuth;
  let secretAuth: LocalAuth;
  let dir: string;
  let ca: string;
  let clock = Date.now();
  const confirmed: PostConfirmationEvent[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oauth-'));
    const tls = await loadOrCreateTls(join(dir, 'tls'));
    ca = tls.ca;
    const common = {
      userPoolId: POOL,
      clientId: CLIENT,
      passwordPolicy: POLICY,
      oauth: SETTINGS,
      tls,
      now: () => clock,
    };
    auth = await startLocalAuth({
      ...common,
      postConfirmation: async (event) => {
        confirmed.push(event);
      },
    });
    secretAuth = await startLocalAuth({ ...common, clientSecret: 'the-client-secret' });
  });
  afterAll(async () => {
    await auth?.close();
    await secretAuth?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const port = (server: LocalAuth = auth) => new URL(server.url).port;
  /** One HTTPS request, redirects not followed, headers exactly as given. */
  const call = (
    method: string,
    path: string,
    options: { headers?: Record<string, string>; body?: string; server?: LocalAuth; tls?: boolean } = {},
  ): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const send = options.tls === false ? httpRequest : httpsRequest;
      const req = send(
        {
          host: '127.0.0.1',
          port: port(options.server),
          method,
          path,
          ca,
          // The certificate is checked against this name, whatever Host header the test sends.
          servername: 'localhost',
          headers: { host: `127.0.0.1:${port(options.server)}`, ...options.headers },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end(options.body);
    });
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

  const pkce = () => {
    const verifier = randomBytes(48).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  };
  const authorizePath = (params: Record<string, string>) =>
    `/oauth2/authorize?${new URLSearchParams({
      client_id: CLIENT,
      redirect_uri: APP,
      response_type: 'code',
      identity_provider: 'Google',
      scope: 'openid email profile aws.cognito.signin.user.admin',
      state: 'st4te',
      ...params,
    }).toString()}`;

  /** authorize → the provider page → its form posted back: the app's redirect with the code. */
  const signIn = async (
    who: { sub: string; email?: string; name?: string },
    params: Record<string, string> = {},
    server: LocalAuth = auth,
  ): Promise<{ location: URL; verifier: string }> => {
    const { verifier, challenge } = pkce();
    const authorize = await call(
      'GET',
      authorizePath({ code_challenge: challenge, code_challenge_method: 'S256', ...params }),
      { server },
    );
    expect(authorize.status).toBe(302);
    const cookie = String(authorize.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
    const providerPage = await call('GET', String(authorize.headers.location), { server, headers: { cookie } });
    expect(providerPage.status).toBe(200);
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(providerPage.body)?.[1] ?? '';
    const submitted = await call('POST', '/oauth2/_local/provider', {
      server,
      headers: { ...FORM, cookie, origin: `https://127.0.0.1:${port(server)}` },
      body: form({
        login: field('login'),
        csrf: field('csrf'),
        sub: who.sub,
        email: who.email ?? '',
        name: who.name ?? '',
        action: 'sign-in',
      }),
    });
    expect(submitted.status).toBe(302);
    return { location: new URL(String(submitted.headers.location)), verifier };
  };
  const redeem = (code: string, verifier: string, extra: Record<string, string> = {}, server: LocalAuth = auth) =>
    call('POST', '/oauth2/token', {
      server,
      headers: FORM,
      body: form({
        grant_type: 'authorization_code',
        client_id: CLIENT,
        code,
        redirect_uri: APP,
        code_verifier: verifier,
        ...extra,
      }),
    });

  it('signs a provider account in: a federated user as Cognito makes it, tokens for the code, the trigger once', async () => {
    // Act
    const first = await signIn({ sub: '1234', email: 'Ada@Example.com', name: 'Ada' });
    const tokens = await redeem(first.location.searchParams.get('code') ?? '', first.verifier);
    const again = await signIn({ sub: '1234', email: 'ada@example.com', name: 'Ada L.' });
    const second = await redeem(again.location.searchParams.get('code') ?? '', again.verifier);
    // Assess
    expect(first.location.origin + first.location.pathname).toBe(APP);
    expect(first.location.searchParams.get('state')).toBe('st4te');
    expect(tokens.status).toBe(200);
    expect(tokens.headers['access-control-allow-origin']).toBe('*');
    const body = JSON.parse(tokens.body);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const jwks = createLocalJWKSet(auth.tokens.jwks());
    const { payload: id } = await jwtVerify(body.id_token, jwks, { issuer: auth.issuer, audience: CLIENT });
    expect(id).toMatchObject({
      'cognito:username': 'google_1234',
      'cognito:groups': [`${POOL}_Google`],
      email: 'ada@example.com',
      email_verified: false,
      name: 'Ada',
      identities: [{ userId: '1234', providerName: 'Google', providerType: 'Google', issuer: null, primary: 'true' }],
    });
    const access = decodeJwt(body.access_token);
    expect(access).toMatchObject({ username: 'google_1234', token_use: 'access', client_id: CLIENT });
    expect(String(access.scope).split(' ').sort()).toEqual([
      'aws.cognito.signin.user.admin',
      'email',
      'openid',
      'profile',
    ]);
    expect(confirmed).toHaveLength(1);
    expect(confirmed[0]).toMatchObject({
      userName: 'google_1234',
      triggerSource: 'PostConfirmation_ConfirmSignUp',
      request: { userAttributes: { 'cognito:user_status': 'EXTERNAL_PROVIDER', email: 'ada@example.com' } },
    });
    // The second sign-in links the same user and refreshes the mapped attributes.
    expect(decodeJwt(JSON.parse(second.body).id_token)).toMatchObject({ sub: id.sub, name: 'Ada L.' });
  });

  it('answers userInfo for the access token, and 401 without one', async () => {
    // Prepare
    const { location, verifier } = await signIn({ sub: 'info-1', email: 'info@example.com', name: 'Info' });
    const { access_token } = JSON.parse((await redeem(location.searchParams.get('code') ?? '', verifier)).body);
    // Act
    const info = await call('GET', '/oauth2/userInfo', { headers: { authorization: `Bearer ${access_token}` } });
    const none = await call('GET', '/oauth2/userInfo');
    const forged = await call('GET', '/oauth2/userInfo', { headers: { authorization: `Bearer ${access_token}x` } });
    // Assess
    expect(info.status).toBe(200);
    expect(JSON.parse(info.body)).toMatchObject({ username: 'google_info-1', email: 'info@example.com', name: 'Info' });
    expect(JSON.parse(JSON.parse(info.body).identities)[0]).toMatchObject({ providerName: 'Google', userId: 'info-1' });
    expect(none.status).toBe(401);
    expect(forged.status).toBe(401);
    expect(JSON.parse(forged.body).error).toBe('invalid_token');
  });

  it('refuses a code_verifier that does not match the challenge, and a missing one', async () => {
    // Prepare
    const a = await signIn({ sub: 'pkce-1' });
    const b = await signIn({ sub: 'pkce-2' });
    // Act
    const wrong = await redeem(a.location.searchParams.get('code') ?? '', pkce().verifier);
    const missing = await call('POST', '/oauth2/token', {
      headers: FORM,
      body: form({
        grant_type: 'authorization_code',
        client_id: CLIENT,
        code: b.location.searchParams.get('code') ?? '',
        redirect_uri: APP,
      }),
    });
    // Assess
    expect(wrong.status).toBe(400);
    expect(JSON.parse(wrong.body).error).toBe('invalid_grant');
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.body).error).toBe('invalid_request');
  });

  it('takes a code once, and not after five minutes', async () => {
    // Prepare
    const used = await signIn({ sub: 'reuse-1' });
    const late = await signIn({ sub: 'late-1' });
    const code = used.location.searchParams.get('code') ?? '';
    // Act
    const firstUse = await redeem(code, used.verifier);
    const secondUse = await redeem(code, used.verifier);
    clock += 5 * 60_000 + 1;
    const expired = await redeem(late.location.searchParams.get('code') ?? '', late.verifier);
    // Assess
    expect(firstUse.status).toBe(200);
    expect(secondUse.status).toBe(400);
    expect(JSON.parse(secondUse.body)).toMatchObject({ error: 'invalid_grant' });
    expect(JSON.parse(expired.body)).toMatchObject({ error: 'invalid_grant' });
  });

  it('sends a redirect_uri the client does not list to the redirect_mismatch page, never to it', async () => {
    // Act
    const mismatch = await call('GET', authorizePath({ redirect_uri: 'https://evil.example/' }));
    const prefix = await call('GET', authorizePath({ redirect_uri: `${APP}x` }));
    const page = await call('GET', String(mismatch.headers.location));
    // Assess
    expect(mismatch.status).toBe(302);
    expect(mismatch.headers.location).toMatch(/^\/error\?error=redirect_mismatch/);
    expect(prefix.headers.location).toMatch(/^\/error\?error=redirect_mismatch/);
    expect(page.status).toBe(400);
    expect(page.body).toContain('redirect_mismatch');
    expect(mismatch.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a code redeemed with another redirect_uri than it was issued for', async () => {
    // Prepare
    const { location, verifier } = await signIn({ sub: 'redir-1' });
    // Act
    const other = await redeem(location.searchParams.get('code') ?? '', verifier, {
      redirect_uri: 'https://127.0.0.1:20040/other',
    });
    // Assess
    expect(JSON.parse(other.body)).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses an unknown client: the error page at authorize, invalid_client at the token endpoint', async () => {
    // Prepare
    const { location, verifier } = await signIn({ sub: 'client-1' });
    // Act
    const page = await call('GET', authorizePath({ client_id: 'someoneelse' }));
    const token = await redeem(location.searchParams.get('code') ?? '', verifier, { client_id: 'someoneelse' });
    // Assess
    expect(page.headers.location).toMatch(/^\/error\?error=invalid_request/);
    expect(token.status).toBe(400);
    expect(JSON.parse(token.body)).toMatchObject({ error: 'invalid_client' });
  });

  it('sends other authorize errors back to the app with the state: provider, scope, PKCE method, response type', async () => {
    // Act
    const answers = await Promise.all([
      call('GET', authorizePath({ identity_provider: 'Facebook' })),
      call('GET', authorizePath({ scope: 'openid admin' })),
      call('GET', authorizePath({ code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' })),
      call('GET', authorizePath({ response_type: 'id_token' })),
      call('GET', authorizePath({ response_type: 'token' })),
    ]);
    // Assess
    const errors = answers.map((a) => {
      const url = new URL(String(a.headers.location));
      return [url.origin + url.pathname, url.searchParams.get('error'), url.searchParams.get('state')];
    });
    expect(errors).toEqual([
      [APP, 'invalid_request', 'st4te'],
      [APP, 'invalid_scope', 'st4te'],
      [APP, 'invalid_request', 'st4te'],
      [APP, 'unsupported_response_type', 'st4te'],
      [APP, 'unauthorized_client', 'st4te'],
    ]);
  });

  it('refreshes with the refresh_token grant, keeping the scopes; a revoked or foreign refresh token is invalid_grant', async () => {
    // Prepare
    const { location, verifier } = await signIn({ sub: 'refresh-1', email: 'r@example.com' });
    const { refresh_token } = JSON.parse((await redeem(location.searchParams.get('code') ?? '', verifier)).body);
    const refresh = (token: string) =>
      call('POST', '/oauth2/token', {
        headers: FORM,
        body: form({ grant_type: 'refresh_token', client_id: CLIENT, refresh_token: token }),
      });
    // Act
    const refreshed = await refresh(refresh_token);
    const bogus = await refresh('not-a-refresh-token');
    const revoke = await call('POST', '/oauth2/revoke', {
      headers: FORM,
      body: form({ client_id: CLIENT, token: refresh_token }),
    });
    const afterRevoke = await refresh(refresh_token);
    const unsupported = await call('POST', '/oauth2/token', {
      headers: FORM,
      body: form({ grant_type: 'password', client_id: CLIENT }),
    });
    // Assess
    expect(refreshed.status).toBe(200);
    const body = JSON.parse(refreshed.body);
    expect(body.refresh_token).toBeUndefined();
    expect(decodeJwt(body.access_token).scope).toContain('openid');
    expect(decodeJwt(body.id_token)['cognito:username']).toBe('google_refresh-1');
    expect(JSON.parse(bogus.body)).toMatchObject({ error: 'invalid_grant' });
    expect(revoke.status).toBe(200);
    expect(JSON.parse(afterRevoke.body)).toMatchObject({ error: 'invalid_grant' });
    expect(JSON.parse(unsupported.body)).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('authenticates a client that has a secret: without it invalid_client, with HTTP Basic tokens', async () => {
    // Prepare
    const a = await signIn({ sub: 'secret-1' }, {}, secretAuth);
    const b = await signIn({ sub: 'secret-2' }, {}, secretAuth);
    // Act
    const without = await redeem(a.location.searchParams.get('code') ?? '', a.verifier, {}, secretAuth);
    const basic = await call('POST', '/oauth2/token', {
      server: secretAuth,
      headers: { ...FORM, authorization: `Basic ${Buffer.from(`${CLIENT}:the-client-secret`).toString('base64')}` },
      body: form({
        grant_type: 'authorization_code',
        code: b.location.searchParams.get('code') ?? '',
        redirect_uri: APP,
        code_verifier: b.verifier,
      }),
    });
    // Assess
    expect(JSON.parse(without.body)).toMatchObject({ error: 'invalid_client' });
    expect(basic.status).toBe(200);
  });

  it('signs out to a listed logout_uri only', async () => {
    // Act
    const ok = await call('GET', `/logout?client_id=${CLIENT}&logout_uri=${encodeURIComponent(SIGNED_OUT)}`);
    const open = await call(
      'GET',
      `/logout?client_id=${CLIENT}&logout_uri=${encodeURIComponent('https://evil.example/')}`,
    );
    const noClient = await call('GET', `/logout?logout_uri=${encodeURIComponent(SIGNED_OUT)}`);
    // Assess
    expect(ok.status).toBe(302);
    expect(ok.headers.location).toBe(SIGNED_OUT);
    expect(open.headers.location).toMatch(/^\/error\?error=redirect_mismatch/);
    expect(noClient.headers.location).toMatch(/^\/error\?/);
  });

  it('mints nothing for a form that is not from this browser’s provider page', async () => {
    // Prepare
    const { challenge } = pkce();
    const authorize = await call('GET', authorizePath({ code_challenge: challenge, code_challenge_method: 'S256' }));
    const cookie = String(authorize.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
    const providerPage = await call('GET', String(authorize.headers.location), { headers: { cookie } });
    const login = /name="login" value="([^"]*)"/.exec(providerPage.body)?.[1] ?? '';
    const csrf = /name="csrf" value="([^"]*)"/.exec(providerPage.body)?.[1] ?? '';
    const post = (headers: Record<string, string>, fields: Record<string, string>) =>
      call('POST', '/oauth2/_local/provider', {
        headers: { ...FORM, ...headers },
        body: form({ login, sub: 'csrf-1', action: 'sign-in', ...fields }),
      });
    // Act
    const noCookie = await post({}, { csrf });
    const wrongToken = await post({ cookie }, { csrf: 'guess' });
    const foreignOrigin = await post({ cookie, origin: 'https://127.0.0.1:9999' }, { csrf });
    // Assess
    for (const answer of [noCookie, wrongToken, foreignOrigin]) {
      expect(answer.status).toBe(302);
      expect(answer.headers.location).toMatch(/^\/error\?/);
    }
    expect(providerPage.headers['x-frame-options']).toBe('DENY');
    expect(providerPage.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(providerPage.body).toContain('<form method="post"');
  });

  it('answers loopback hosts over HTTPS only, and CORS on the token endpoint but not on authorize', async () => {
    // Act
    const rebinding = await call('GET', authorizePath({}), { headers: { host: 'attacker.example:20003' } });
    const plain = await call('GET', authorizePath({}), { tls: false });
    const tokenPreflight = await call('OPTIONS', '/oauth2/token', {
      headers: {
        origin: APP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, x-amz-user-agent',
      },
    });
    const authorizePreflight = await call('OPTIONS', '/oauth2/authorize', { headers: { origin: APP } });
    const discovery = await call('GET', `/${POOL}/.well-known/openid-configuration`);
    // Assess
    expect(rebinding.status).toBe(421);
    expect(plain.status).toBe(400);
    expect(tokenPreflight.status).toBe(204);
    expect(tokenPreflight.headers['access-control-allow-headers']).toContain('x-amz-user-agent');
    expect(authorizePreflight.status).toBe(403);
    expect(authorizePreflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(JSON.parse(discovery.body)).toMatchObject({
      issuer: auth.issuer,
      token_endpoint: `https://127.0.0.1:${port()}/oauth2/token`,
      code_challenge_methods_supported: ['S256'],
    });
  });

  it('reports each HTTPS request to the request log once, with its path and error', async () => {
    // Prepare
    const heard: RequestEvent[] = [];
    const stop = requestLog.subscribe((event) => heard.push(event));
    // Act
    await call('POST', '/oauth2/token', {
      headers: FORM,
      body: form({ grant_type: 'authorization_code', client_id: CLIENT, code: 'x', redirect_uri: APP }),
    });
    await new Promise((r) => setTimeout(r, 50));
    stop();
    // Assess
    const token = heard.filter((e) => e.operation === 'POST /oauth2/token');
    expect(token).toHaveLength(1);
    expect(token[0]).toMatchObject({ service: 'cognito', status: 400 });
  });

  it('keeps the user pool API on plain HTTP on the same port', async () => {
    // Act
    const answer = await fetch(auth.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSCognitoIdentityProviderService.GetUser',
      },
      body: JSON.stringify({ AccessToken: 'nope' }),
    });
    // Assess
    expect(answer.status).toBe(400);
    expect((await answer.json()).__type).toBe('NotAuthorizedException');
  });
});
