import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Outbox } from '../outbox';
import type { UserStore } from './users';

/**
 * `GET /_local/codes[?username=<username or email>]`: the codes the user pool
 * has sent (sign-up, attribute verification, password reset, temporary
 * passwords), as Firebase's auth emulator serves its oobCodes. Cognito has no
 * such operation, so it is not an open door:
 * - only a bearer of the local admin secret (`<data>/admin-credentials.json`,
 *   0600) gets an answer;
 * - the Host must be this server's own loopback name, so a page on a
 *   rebinding DNS name cannot reach it through a victim's browser;
 * - no CORS header, not even on a preflight, so no web page can read it.
 */
export const CODES_PATH = '/_local/codes';

export interface SentCode {
  /** The address it was sent to (the pool signs in with email). */
  to: string;
  /** verification, attribute-verification, password-reset, temporary-password. */
  kind: string;
  code: string;
  sentAt: string;
}

export interface CodesEndpointOptions {
  /** The server's own URL (`http://127.0.0.1:<port>`). */
  url: string;
  outbox: Outbox;
  users: UserStore;
  /** The local admin secret; absent, every request is refused. */
  secret?: () => string;
  log: (line: string) => void;
}

interface Refusal {
  status: number;
  error: string;
  message: string;
  extra?: Record<string, string>;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Compares in constant time (over digests, so the lengths match). */
export const sameSecret = (given: string, expected: string): boolean =>
  expected.length > 0 && timingSafeEqual(digest(given), digest(expected));

const reply = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void => {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...extra });
  res.end(JSON.stringify(body));
};

export const codesEndpoint = (options: CodesEndpointOptions) => {
  const port = new URL(options.url).port;
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

  /** Why a request is refused, or undefined when it may read the codes. */
  const refusal = (req: IncomingMessage, url: URL): Refusal | undefined => {
    const host = String(req.headers.host ?? '').toLowerCase();
    if (!hosts.has(host))
      return { status: 403, error: 'ForbiddenHost', message: `Host must be 127.0.0.1:${port} or localhost:${port}.` };
    if (req.headers.origin !== undefined)
      return {
        status: 403,
        error: 'ForbiddenOrigin',
        message: 'The codes endpoint is for tools and tests, not pages.',
      };
    if (req.method !== 'GET')
      return { status: 405, error: 'MethodNotAllowed', message: 'Only GET.', extra: { allow: 'GET' } };
    if (url.pathname !== CODES_PATH) return { status: 404, error: 'NotFound', message: `Only ${CODES_PATH}.` };
    const match = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''));
    const secret = options.secret?.();
    if (!match?.[1] || !secret || !sameSecret(match[1], secret))
      return {
        status: 401,
        error: 'Unauthorized',
        message:
          'Send Authorization: Bearer <secretAccessKey> of the local admin credentials (custom.local.admin_credentials_file).',
        extra: { 'www-authenticate': 'Bearer realm="local"' },
      };
    return undefined;
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    // The body (if any) is not read; the answer closes the exchange.
    req.resume();
    const url = new URL(req.url ?? '/', options.url);
    const refused = refusal(req, url);
    if (refused) {
      options.log(`codes endpoint: refused ${req.method ?? '?'} ${CODES_PATH}: ${refused.error}`);
      reply(res, refused.status, { error: refused.error, message: refused.message }, refused.extra);
      return;
    }
    const username = url.searchParams.get('username') ?? undefined;
    // A username names the user's address; a user deleted since is still found by the address itself.
    const to = username === undefined ? undefined : (options.users.find(username)?.email ?? username.toLowerCase());
    const codes: SentCode[] = options.outbox
      .list()
      .filter((m) => m.channel === 'email' && m.code !== undefined && (to === undefined || m.to.toLowerCase() === to))
      .map((m) => ({ to: m.to, kind: m.kind, code: m.code ?? '', sentAt: m.at }));
    reply(res, 200, { codes });
  };
};
