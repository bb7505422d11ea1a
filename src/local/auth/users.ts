import { existsSync, readFileSync } from 'node:fs';
import { makePrivate, writePrivateFile } from '../private-files';
import type { PasswordVerifier } from './srp';

export interface LocalUser {
  /** The internal username, a UUID: Cognito's `cognito:username` in a pool that signs in with email. */
  username: string;
  sub: string;
  email: string;
  emailVerified: boolean;
  status: 'UNCONFIRMED' | 'CONFIRMED';
  verifier: PasswordVerifier;
  groups: string[];
  totp?: { secret: string; verified: boolean; enabled: boolean };
  /** Codes the user was sent, by purpose. */
  codes: Partial<Record<'signup' | 'reset', { code: string; expiresAt: number }>>;
  createdAt: string;
}

export interface RefreshSession {
  username: string;
  clientId: string;
  authTime: number;
  originJti: string;
}

interface State {
  users: LocalUser[];
  refresh: Record<string, RefreshSession>;
  revokedJtis: string[];
}

/** Users, refresh sessions and revocations, in memory and in `<data>/auth/state.json`. */
export class UserStore {
  private state: State = { users: [], refresh: {}, revokedJtis: [] };

  constructor(private readonly file?: string) {
    if (file && existsSync(file)) {
      makePrivate(file);
      this.state = JSON.parse(readFileSync(file, 'utf8'));
    }
  }

  private save(): void {
    // A fresh 0600 temporary file renamed over the state (a reused `.tmp` kept its old mode), in a 0700 folder.
    if (this.file) writePrivateFile(this.file, JSON.stringify(this.state));
  }

  /** A user by email (the sign-in alias) or by internal username. */
  find(login: string): LocalUser | undefined {
    const email = login.toLowerCase();
    return this.state.users.find((u) => u.username === login || u.email === email);
  }

  add(user: LocalUser): void {
    this.state.users.push(user);
    this.save();
  }

  update(user: LocalUser, change: (u: LocalUser) => void): void {
    change(user);
    this.save();
  }

  putRefresh(token: string, session: RefreshSession): void {
    this.state.refresh[token] = session;
    this.save();
  }

  getRefresh(token: string): RefreshSession | undefined {
    return this.state.refresh[token];
  }

  /** Revokes the refresh tokens of one sign-in (origin_jti), or all of a user's. */
  revoke(match: (session: RefreshSession) => boolean): void {
    for (const [token, session] of Object.entries(this.state.refresh)) {
      if (match(session)) {
        delete this.state.refresh[token];
        this.state.revokedJtis.push(session.originJti);
      }
    }
    this.save();
  }

  isRevoked(originJti: string): boolean {
    return this.state.revokedJtis.includes(originJti);
  }
}
