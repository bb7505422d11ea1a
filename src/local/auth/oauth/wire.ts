import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TLSSocket } from 'node:tls';
import { OAuthError, OAuthPageError, OAuthRedirectError } from './errors';
import type { OAuthOperations } from './operations';
import { errorPage, providerPage } from './page';

/** The paths the hosted UI answers on the user pool's port. */
const OAUTH_PATHS = new Set([
  '/oauth2/authorize',
  '/oauth2/token',
  '/oauth2/userInfo',
  '/oauth2/revoke',
  '/logout',
  '/error',
]);
const PROVIDER_PATH = '/oauth2/_local/provider';
const CSRF_COOKIE = '__Host-local_oauth_login';
const MAX_FORM_BYTES = 64 * 1024;
/** Endpoints an app's own pages call with fetch (Cognito allows them from SPAs); the rest are for navigation only. */
const CORS_PATHS = new Set(['/oauth2/token', '/oauth2/userInfo', '/oauth2/revoke']);
const LOOPBACK_HOST = /^(127(?:\.\d{1,3}){3}|localhost|\[::1\])(?::\d{1,5})?$/i;

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // No framing (clickjacking on the provider form), no scripts at all.
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  // Not no-referrer: with it the form's POST carries `Origin: null`, and the origin check needs the real one.
  'referrer-policy': 'same-origin',
};

const CORS = { 'access-control-allow-origin': '*' };

export interface OAuthWireOptions {
  userPoolId: string;
  /** The `iss` of the pool's tokens (its JWKS is `<issuer>/.well-known/jwks.json`). */
  issuer: string;
  log: (line: string) => void;
}

const cookie = (req: IncomingMessage, name: string): string | undefined => {
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
};

const readForm = (req: IncomingMessage): Promise<URLSearchParams> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_FORM_BYTES) chunks.push(chunk);
      else req.destroy();
    });
    req.on('end', () => {
      const type = String(req.headers['content-type'] ?? '')
        .split(';')[0]
        ?.trim()
        .toLowerCase();
      if (size > 0 && type !== 'application/x-www-form-urlencoded')
        reject(new OAuthError('invalid_request', 'Content-Type must be application/x-www-form-urlencoded'));
      else resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', reject);
  });

/**
 * The hosted UI on the wire: which path is which operation, GET query or
 * POST form, redirects, the provider page and Cognito's error page, JSON
 * errors with `{"error": ...}`, CORS on the endpoints SPAs fetch and none on
 * the navigation ones, HTTPS only, and a loopback Host (no DNS rebinding).
 * Answers true when the request was one of its paths.
 */
export const oauthEndpoints = (operations: OAuthOperations, options: OAuthWireOptions) => {
  const discoveryPath = `/${options.userPoolId}/.well-known/openid-configuration`;

  const page = (res: ServerResponse, status: number, html: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...PAGE_HEADERS, ...extra });
    res.end(html);
  };
  const redirect = (res: ServerResponse, location: string, extra: Record<string, string> = {}) => {
    res.writeHead(302, { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', ...extra });
    res.end();
  };
  const json = (
    res: ServerResponse,
    status: number,
    body: unknown,
    cors: boolean,
    extra: Record<string, string> = {},
  ) => {
    res.writeHead(status, {
      'content-type': 'application/json;charset=UTF-8',
      'cache-control': 'no-store',
      'x-amzn-requestid': randomUUID(),
      ...(cors ? CORS : {}),
      ...extra,
    });
    res.end(JSON.stringify(body));
  };
  const errorLocation = (error: string, description: string) =>
    `/error?${new URLSearchParams({ error, error_description: description }).toString()}`;

  const answer = async (req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const cors = CORS_PATHS.has(path);
    if (method === 'OPTIONS') {
      if (!cors) {
        res.writeHead(403).end();
        return;
      }
      res.writeHead(204, {
        ...CORS,
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': String(
          req.headers['access-control-request-headers'] ?? 'content-type, authorization',
        ),
        'access-control-max-age': '86400',
      });
      res.end();
      return;
    }
    try {
      if (path === '/oauth2/authorize' && method === 'GET') {
        const { login, pending } = operations.authorize(url.searchParams);
        // Cognito would redirect to the provider; locally its stand-in is this server's page.
        return redirect(res, `${PROVIDER_PATH}?login=${encodeURIComponent(login)}`, {
          'set-cookie': `${CSRF_COOKIE}=${pending.csrf}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=600`,
        });
      }
      if (path === PROVIDER_PATH && method === 'GET') {
        const login = url.searchParams.get('login') ?? '';
        const pending = operations.pendingLogin(login);
        const provider = operations.settings.providers.find((p) => p.name === pending.provider);
        if (!provider) throw new OAuthPageError('invalid_request', 'Unknown identity provider');
        const n = Math.floor(Math.random() * 1e6);
        // The form posts here, and its answer redirects to the app: form-action covers both, and nothing else.
        const formAction = `'self' ${new URL(pending.redirectUri).origin}`;
        return page(
          res,
          200,
          providerPage(provider, login, pending, {
            sub: `${100000 + n}`,
            email: `user${n}@example.com`,
            name: `Local User ${n}`,
          }),
          {
            'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'`,
          },
        );
      }
      if (path === PROVIDER_PATH && method === 'POST') {
        // A form post from this server's own page only: same origin, then the CSRF token of the page and cookie.
        const origin = req.headers.origin;
        if (origin !== undefined && origin !== `https://${req.headers.host}`)
          throw new OAuthPageError('invalid_request', 'The sign-in form was posted from another origin.');
        const form = await readForm(req);
        const { location } = await operations.providerSignIn(form, cookie(req, CSRF_COOKIE));
        return redirect(res, location, {
          'set-cookie': `${CSRF_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0`,
        });
      }
      if (path === '/oauth2/token' && method === 'POST') {
        const tokens = await operations.token(await readForm(req), req.headers.authorization);
        return json(res, 200, tokens, true);
      }
      if (path === '/oauth2/revoke' && method === 'POST') {
        operations.revoke(await readForm(req), req.headers.authorization);
        return json(res, 200, {}, true);
      }
      if (path === '/oauth2/userInfo' && (method === 'GET' || method === 'POST'))
        return json(res, 200, await operations.userInfo(req.headers.authorization), true);
      if (path === '/logout' && method === 'GET') return redirect(res, operations.logout(url.searchParams).location);
      if (path === '/error' && method === 'GET')
        return page(
          res,
          400,
          errorPage(url.searchParams.get('error') ?? 'error', url.searchParams.get('error_description') ?? ''),
        );
      if (cors) throw new OAuthError('invalid_request', `${method} is not supported here`);
      throw new OAuthPageError('invalid_request', `${method} ${path} is not supported`);
    } catch (error) {
      if (error instanceof OAuthRedirectError) {
        const back = new URL(error.redirectUri);
        back.searchParams.set('error_description', error.description);
        back.searchParams.set('error', error.error);
        if (error.state !== undefined) back.searchParams.set('state', error.state);
        return redirect(res, back.toString());
      }
      if (error instanceof OAuthPageError) {
        options.log(`hosted UI: refused ${method} ${path}: ${error.error}`);
        return redirect(res, errorLocation(error.error, error.description));
      }
      if (error instanceof OAuthError) {
        options.log(`hosted UI: refused ${path}: ${error.error}`);
        return json(
          res,
          error.status,
          { error: error.error, error_description: error.description },
          cors,
          error.status === 401 ? { 'www-authenticate': `Bearer error="${error.error}"` } : {},
        );
      }
      throw error;
    }
  };

  return {
    /** True when the request was the hosted UI's (and it has been answered). */
    handle: async (req: IncomingMessage, res: ServerResponse, issuerBase: () => string): Promise<boolean> => {
      const url = new URL(req.url ?? '/', 'https://local');
      const path = url.pathname;
      const discovery = path === discoveryPath;
      if (!OAUTH_PATHS.has(path) && path !== PROVIDER_PATH && !discovery) return false;
      if (!LOOPBACK_HOST.test(String(req.headers.host ?? ''))) {
        res
          .writeHead(421, { 'content-type': 'text/plain' })
          .end('Misdirected Request: the local hosted UI answers loopback hosts only.');
        return true;
      }
      if (discovery) {
        const base = issuerBase();
        json(
          res,
          200,
          {
            issuer: options.issuer,
            authorization_endpoint: `${base}/oauth2/authorize`,
            token_endpoint: `${base}/oauth2/token`,
            userinfo_endpoint: `${base}/oauth2/userInfo`,
            revocation_endpoint: `${base}/oauth2/revoke`,
            end_session_endpoint: `${base}/logout`,
            jwks_uri: `${options.issuer}/.well-known/jwks.json`,
            response_types_supported: ['code'],
            grant_types_supported: ['authorization_code', 'refresh_token'],
            code_challenge_methods_supported: ['S256'],
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: ['RS256'],
            token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
            scopes_supported: operations.settings.client.allowedScopes,
          },
          true,
        );
        return true;
      }
      // Cognito's hosted UI is HTTPS only; so is its local stand-in (the Secure cookie needs it too).
      if (!(req.socket instanceof TLSSocket)) {
        json(
          res,
          400,
          { error: 'invalid_request', error_description: 'The hosted UI endpoints answer over HTTPS only.' },
          false,
        );
        return true;
      }
      await answer(req, res, path, url);
      return true;
    },
  };
};
