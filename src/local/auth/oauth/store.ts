import { randomBytes, randomUUID } from 'node:crypto';

/** An authorize request waiting for the user on the provider page. */
export interface PendingLogin {
  clientId: string;
  redirectUri: string;
  provider: string;
  scopes: string[];
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  /** Bound to the browser that opened the page (a cookie) and to the form. */
  csrf: string;
  expiresAt: number;
}

/** What an authorization code stands for, until it is redeemed once. */
export interface CodeGrant {
  clientId: string;
  redirectUri: string;
  username: string;
  scopes: string[];
  nonce?: string;
  codeChallenge?: string;
  authTime: number;
  expiresAt: number;
}

/** Cognito's authorization codes last five minutes; the provider page gets as long. */
export const CODE_TTL_MS = 5 * 60_000;
export const LOGIN_TTL_MS = 10 * 60_000;
/** Past this many outstanding entries the oldest go first: a flood of authorize requests cannot exhaust memory. */
const MAX_ENTRIES = 1000;

const bounded = <T extends { expiresAt: number }>(map: Map<string, T>, now: number): void => {
  for (const [key, entry] of map) if (entry.expiresAt <= now) map.delete(key);
  while (map.size >= MAX_ENTRIES) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) break;
    map.delete(oldest);
  }
};

/**
 * Pending provider-page logins and authorization codes. In memory: both
 * live minutes, as in Cognito, and a restart ends them as a lost session
 * would. A code is taken once: a second redemption finds nothing.
 */
export class OAuthStore {
  private readonly logins = new Map<string, PendingLogin>();
  private readonly codes = new Map<string, CodeGrant>();

  constructor(private readonly now: () => number) {}

  addLogin(login: Omit<PendingLogin, 'csrf' | 'expiresAt'>): { id: string; pending: PendingLogin } {
    const now = this.now();
    bounded(this.logins, now);
    const id = randomBytes(24).toString('base64url');
    const pending = { ...login, csrf: randomBytes(24).toString('base64url'), expiresAt: now + LOGIN_TTL_MS };
    this.logins.set(id, pending);
    return { id, pending };
  }

  login(id: string): PendingLogin | undefined {
    const pending = this.logins.get(id);
    return pending && pending.expiresAt > this.now() ? pending : undefined;
  }

  /** The pending login, removed: a form is submitted once. */
  takeLogin(id: string): PendingLogin | undefined {
    const pending = this.login(id);
    this.logins.delete(id);
    return pending;
  }

  addCode(grant: Omit<CodeGrant, 'expiresAt'>): string {
    const now = this.now();
    bounded(this.codes, now);
    const code = randomUUID();
    this.codes.set(code, { ...grant, expiresAt: now + CODE_TTL_MS });
    return code;
  }

  /** The code's grant, removed whether or not it is still valid: codes are single-use. */
  takeCode(code: string): CodeGrant | undefined {
    const grant = this.codes.get(code);
    this.codes.delete(code);
    return grant && grant.expiresAt > this.now() ? grant : undefined;
  }
}
