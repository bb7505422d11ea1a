import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { importJWK, jwtVerify } from 'jose';
import { CognitoError } from './cognito';
import type { TokenIssuer } from './tokens';

type Json = Record<string, unknown>;

export interface IdentityPoolOptions {
  identityPoolId: string;
  region: string;
  /** The app clients whose ID tokens the pool accepts (its CognitoIdentityProviders). */
  clientIds: string[];
  allowUnauthenticated: boolean;
  tokens: TokenIssuer;
  /** The role ARNs the pool's role attachment names. */
  roles: { authenticated: string; unauthenticated?: string };
  /**
   * A Token role mapping for the user pool: the ID token's
   * `cognito:preferred_role` (a group's role) is used when present, the
   * authenticated role otherwise (AmbiguousRoleResolution AuthenticatedRole).
   */
  tokenRoleMapping?: boolean;
  /** Where identities persist; in memory when absent. */
  file?: string;
  /** How long issued credentials last; Cognito issues one hour. */
  credentialsTtlMs?: number;
}

/** Who a set of issued credentials signs as. */
export interface CredentialIdentity {
  identityId: string;
  roleArn: string;
  authenticated: boolean;
  /** The user-pool `sub` and groups, for signed-in identities. */
  sub?: string;
  groups: string[];
  secretAccessKey: string;
  sessionToken: string;
  expiresAt: number;
}

interface State {
  /** Identity IDs by user-pool `sub`. */
  users: Record<string, string>;
  guests: string[];
}

/**
 * Cognito Identity's GetId and GetCredentialsForIdentity, as the Amplify
 * clients call them. Signed-in users get one stable identity each, proven by
 * an ID token from the local user pool; guests get one identity per GetId
 * when the pool allows them. Every credential set is recorded with the
 * identity and role it was issued to, so a service receiving a SigV4
 * request can tell who signed it.
 */
export class LocalIdentityPool {
  private state: State = { users: {}, guests: [] };
  private readonly credentials = new Map<string, CredentialIdentity>();
  private readonly provider: string;

  constructor(private readonly options: IdentityPoolOptions) {
    // As in the cloud, the provider name is the user pool's issuer without its scheme.
    this.provider = options.tokens.issuer.replace(/^\w+:\/\//, '');
    if (options.file && existsSync(options.file)) this.state = JSON.parse(readFileSync(options.file, 'utf8'));
  }

  async handle(operation: string, body: Json): Promise<Json> {
    switch (operation) {
      case 'GetId':
        return this.getId(body);
      case 'GetCredentialsForIdentity':
        return this.getCredentialsForIdentity(body);
      default:
        throw new CognitoError(
          'UnknownOperationException',
          `${operation} is not supported by the local identity pool.`,
        );
    }
  }

  /** The identity a credential set was issued to, while it has not expired. */
  credentialsFor(accessKeyId: string, now = Date.now()): CredentialIdentity | undefined {
    const found = this.credentials.get(accessKeyId);
    if (found && found.expiresAt <= now) this.credentials.delete(accessKeyId);
    return found && found.expiresAt > now ? found : undefined;
  }

  private async getId(body: Json): Promise<Json> {
    this.checkPool(body.IdentityPoolId);
    const login = await this.login(body.Logins);
    if (login) {
      let identityId = this.state.users[login.sub];
      if (!identityId) {
        identityId = this.newIdentityId();
        this.state.users[login.sub] = identityId;
        this.save();
      }
      return { IdentityId: identityId };
    }
    this.requireGuests();
    const identityId = this.newIdentityId();
    this.state.guests.push(identityId);
    this.save();
    return { IdentityId: identityId };
  }

  private async getCredentialsForIdentity(body: Json): Promise<Json> {
    let identityId = typeof body.IdentityId === 'string' ? body.IdentityId : '';
    if (!identityId) throw new CognitoError('InvalidParameterException', 'IdentityId is required.');
    let owner = Object.entries(this.state.users).find(([, id]) => id === identityId)?.[0];
    const isGuest = this.state.guests.includes(identityId);
    if (!owner && !isGuest) throw new CognitoError('ResourceNotFoundException', `Identity '${identityId}' not found.`);
    const login = await this.login(body.Logins);
    if (isGuest && login) {
      // A guest who signs in: Cognito links the login to the unauthenticated identity, or, when the
      // login already has an identity, merges the guest into it and answers with that identity.
      this.state.guests = this.state.guests.filter((id) => id !== identityId);
      identityId = this.state.users[login.sub] ?? identityId;
      this.state.users[login.sub] = identityId;
      this.save();
      owner = login.sub;
    }
    let issued: Omit<CredentialIdentity, 'secretAccessKey' | 'sessionToken' | 'expiresAt'>;
    if (owner) {
      // An authenticated identity only hands out credentials to the user it belongs to.
      if (!login || login.sub !== owner) {
        throw new CognitoError('NotAuthorizedException', 'Invalid login token. Not a valid login for this identity.');
      }
      issued = {
        identityId,
        roleArn: (this.options.tokenRoleMapping && login.preferredRole) || this.options.roles.authenticated,
        authenticated: true,
        sub: owner,
        groups: login.groups,
      };
    } else {
      if (login) {
        throw new CognitoError('NotAuthorizedException', 'Logins do not match the unauthenticated identity.');
      }
      this.requireGuests();
      issued = {
        identityId,
        roleArn: this.options.roles.unauthenticated ?? '',
        authenticated: false,
        groups: [],
      };
    }
    const accessKeyId = `ASIA${randomBytes(10).toString('hex').toUpperCase().slice(0, 16)}`;
    const credentials: CredentialIdentity = {
      ...issued,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(48).toString('base64'),
      expiresAt: Date.now() + (this.options.credentialsTtlMs ?? 60 * 60 * 1000),
    };
    this.pruneExpired();
    this.credentials.set(accessKeyId, credentials);
    return {
      IdentityId: identityId,
      Credentials: {
        AccessKeyId: accessKeyId,
        SecretKey: credentials.secretAccessKey,
        SessionToken: credentials.sessionToken,
        // Cognito Identity answers in epoch seconds.
        Expiration: Math.floor(credentials.expiresAt / 1000),
      },
    };
  }

  private checkPool(poolId: unknown): void {
    if (poolId !== this.options.identityPoolId) {
      throw new CognitoError('ResourceNotFoundException', `IdentityPool '${String(poolId)}' not found.`);
    }
  }

  private requireGuests(): void {
    if (!this.options.allowUnauthenticated) {
      throw new CognitoError(
        'NotAuthorizedException',
        'Unauthenticated access is not supported for this identity pool.',
      );
    }
  }

  /** The user an ID token in `Logins` proves, or undefined when no login is given. */
  private async login(logins: unknown): Promise<{ sub: string; groups: string[]; preferredRole?: string } | undefined> {
    if (logins === undefined || logins === null) return undefined;
    if (typeof logins !== 'object' || Array.isArray(logins)) {
      throw new CognitoError('InvalidParameterException', 'Logins must be a map of provider name to token.');
    }
    const entries = Object.entries(logins);
    if (entries.length === 0) return undefined;
    const [provider, token] = entries[0] ?? [];
    if (entries.length > 1 || provider !== this.provider || typeof token !== 'string') {
      throw new CognitoError('NotAuthorizedException', `Invalid login token. Only ${this.provider} is configured.`);
    }
    try {
      const key = await importJWK(this.options.tokens.jwks().keys[0] ?? {}, 'RS256');
      const { payload } = await jwtVerify(token, key, {
        issuer: this.options.tokens.issuer,
        audience: this.options.clientIds,
        algorithms: ['RS256'],
      });
      if (payload.token_use !== 'id' || typeof payload.sub !== 'string') throw new Error('not an ID token');
      const groups = Array.isArray(payload['cognito:groups']) ? payload['cognito:groups'].map(String) : [];
      const preferred = payload['cognito:preferred_role'];
      return { sub: payload.sub, groups, ...(typeof preferred === 'string' ? { preferredRole: preferred } : {}) };
    } catch {
      throw new CognitoError('NotAuthorizedException', 'Invalid login token. The token is invalid or has expired.');
    }
  }

  private newIdentityId(): string {
    return `${this.options.region}:${randomUUID()}`;
  }

  private pruneExpired(now = Date.now()): void {
    for (const [key, value] of this.credentials) if (value.expiresAt <= now) this.credentials.delete(key);
  }

  private save(): void {
    const file = this.options.file;
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, JSON.stringify(this.state), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }
}
