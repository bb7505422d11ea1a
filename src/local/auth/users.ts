import { existsSync, readFileSync } from 'node:fs';
import { makePrivate, writePrivateFile } from '../private-files';
import type { PasswordVerifier } from './srp';

/** Cognito's user statuses that the local pool reaches. */
export type UserStatus = 'UNCONFIRMED' | 'CONFIRMED' | 'FORCE_CHANGE_PASSWORD' | 'RESET_REQUIRED' | 'EXTERNAL_PROVIDER';

/** A provider account linked to a user, as Cognito's `identities` attribute and ID-token claim list them. */
export interface FederatedIdentity {
  userId: string;
  providerName: string;
  providerType: string;
  issuer: string | null;
  primary: string;
  dateCreated: string;
}

/** What a code is for: sign-up confirmation, a password reset, or verifying (a new) email. */
export type CodePurpose = 'signup' | 'reset' | 'email';

/** Failed attempts that lead to a temporary lockout (sign-in) or an attempt limit (codes). */
export interface Attempts {
  failures: number;
  lastFailureAt: number;
  /** Until when (ms since epoch) attempts are refused. */
  lockedUntil: number;
}

export interface LocalUser {
  /** The internal username, a UUID: Cognito's `cognito:username` in a pool that signs in with email. */
  username: string;
  sub: string;
  email: string;
  emailVerified: boolean;
  status: UserStatus;
  verifier: PasswordVerifier;
  groups: string[];
  totp?: { secret: string; verified: boolean; enabled: boolean };
  /** Codes the user was sent, by purpose. */
  codes: Partial<Record<CodePurpose, { code: string; expiresAt: number }>>;
  createdAt: string;
  /** Absent in files written before it existed: enabled. */
  enabled?: boolean;
  updatedAt?: string;
  /** Standard attributes other than sub and email (name, given_name, locale, ...). */
  attributes?: Record<string, string>;
  /** A new email waiting for its verification code while the old one stays in use. */
  pendingEmail?: string;
  /** A temporary password (AdminCreateUser, AdminSetUserPassword with Permanent false) expires. */
  temporaryPasswordExpiresAt?: number;
  /** Failed sign-ins, and failed codes by purpose: they survive a resent code. */
  signInAttempts?: Attempts;
  codeAttempts?: Partial<Record<CodePurpose, Attempts>>;
  /** A federated user's provider account (status EXTERNAL_PROVIDER). */
  identities?: FederatedIdentity[];
}

export interface RefreshSession {
  username: string;
  clientId: string;
  authTime: number;
  originJti: string;
  /** The OAuth scopes of a hosted-UI sign-in; its refreshed access tokens keep them. */
  scope?: string;
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

  /** Every user, oldest first. */
  list(): LocalUser[] {
    return [...this.state.users];
  }

  /** Deletes a user and revokes every refresh token they hold. */
  remove(user: LocalUser): void {
    this.state.users = this.state.users.filter((u) => u !== user);
    this.revoke((s) => s.username === user.username);
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
