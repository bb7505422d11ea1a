import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Who may use the local console. It has no cloud counterpart, so it must not
 * be an open door on a developer's machine: a request must name this very
 * server in its Host header (a DNS-rebinding page names its own host), carry
 * a session cookie from a one-time login link or the local admin secret as a
 * bearer token, and, if it changes anything, come from the console's own
 * origin (SameSite=Strict cookies already keep other sites' requests out).
 */

export const SESSION_COOKIE = 'amplify_local_console';

/** The Host values a browser on this machine sends to the console: 127.0.0.1 or localhost, with its port. */
export const allowedHosts = (port: number): Set<string> => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

export const hostAllowed = (headers: IncomingHttpHeaders, port: number): boolean =>
  typeof headers.host === 'string' && allowedHosts(port).has(headers.host.toLowerCase());

/** A state-changing request's Origin, when it sends one, must be the console's own. */
export const originAllowed = (headers: IncomingHttpHeaders, port: number): boolean => {
  const origin = headers.origin;
  if (origin === undefined) return headers['sec-fetch-site'] !== 'cross-site';
  return [...allowedHosts(port)].some((host) => origin === `http://${host}`);
};

export const isStateChanging = (method: string | undefined): boolean =>
  method !== 'GET' && method !== 'HEAD' && method !== undefined;

/** One cookie's value from a Cookie header. */
export const cookieValue = (header: string | undefined, name: string): string | undefined => {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
};

/** The bearer token of an Authorization header. */
export const bearerOf = (headers: IncomingHttpHeaders): string | undefined =>
  /^Bearer (\S+)$/i.exec(headers.authorization ?? '')?.[1];

/** Compares secrets in constant time (their digests, so lengths leak nothing). */
export const sameSecret = (given: string, expected: string): boolean =>
  timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());

export const randomToken = (): string => randomBytes(32).toString('base64url');

/**
 * The console's sessions and its one-time login token: the banner prints a
 * link with the token; opening it once gives a session cookie, and the token
 * is spent. A new token is made on every start (and on request, for tools).
 */
export class ConsoleSessions {
  private readonly sessions = new Set<string>();
  private loginToken = randomToken();

  constructor(private readonly adminSecret: () => string) {}

  /** The token the next login link carries. */
  get token(): string {
    return this.loginToken;
  }

  /** Spends the login token: a new session, or undefined if the token is wrong or spent. */
  login(token: string): string | undefined {
    if (!sameSecret(token, this.loginToken)) return undefined;
    this.loginToken = randomToken();
    return this.newSession();
  }

  /** A session for the admin secret itself (the login form, for when the link was spent). */
  loginWithSecret(secret: string): string | undefined {
    return sameSecret(secret, this.adminSecret()) ? this.newSession() : undefined;
  }

  private newSession(): string {
    const session = randomToken();
    this.sessions.add(session);
    return session;
  }

  logout(session: string | undefined): void {
    if (session) this.sessions.delete(session);
  }

  /** Whether a request is signed in: a live session cookie, or the admin secret as a bearer token. */
  authenticated(headers: IncomingHttpHeaders): 'cookie' | 'bearer' | undefined {
    const bearer = bearerOf(headers);
    if (bearer !== undefined) return sameSecret(bearer, this.adminSecret()) ? 'bearer' : undefined;
    const session = cookieValue(headers.cookie, SESSION_COOKIE);
    return session !== undefined && this.sessions.has(session) ? 'cookie' : undefined;
  }

  cookie(session: string): string {
    return `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`;
  }
}
