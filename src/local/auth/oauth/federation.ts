import { randomBytes, randomUUID } from 'node:crypto';
import type { PostConfirmationEvent } from '../cognito';
import { createVerifier } from '../srp';
import type { TokenIssuer } from '../tokens';
import type { FederatedIdentity, LocalUser, UserStore } from '../users';

/** What the provider stand-in says about the person who signed in there: their id and claims. */
export interface ProviderProfile {
  /** The provider's own user id (`sub`). */
  sub: string;
  /** Claims by the provider's names (`email`, `name`, ...), which the attribute mapping reads. */
  claims: Record<string, string>;
}

export interface FederationOptions {
  userPoolId: string;
  users: UserStore;
  tokens: TokenIssuer;
  postConfirmation?: (event: PostConfirmationEvent) => Promise<unknown>;
  now: () => number;
}

/** The identity provider as the template defines it. */
export interface FederatedProvider {
  name: string;
  type: string;
  attributeMapping: Record<string, string>;
}

/** The post-confirmation trigger failed: Cognito sends the app `error_description=PostConfirmation failed with error ...`. */
export class FederationTriggerError extends Error {
  override readonly name = 'FederationTriggerError';
}

/** Social and enterprise providers Cognito gives no issuer in `identities`; OIDC and SAML carry theirs. */
const issuerOf = (provider: FederatedProvider): string | null =>
  provider.type === 'OIDC' || provider.type === 'SAML' ? provider.name : null;

/**
 * Federated sign-in as Cognito does it: the first sign-in with a provider
 * account creates a user named `<provider>_<provider sub>` (lower case, as a
 * case-insensitive pool keeps usernames), status EXTERNAL_PROVIDER, in the
 * pool's automatic group `<poolId>_<ProviderName>`, with the attributes the
 * provider's AttributeMapping takes from its claims, and runs the
 * post-confirmation trigger (PostConfirmation_ConfirmSignUp); every sign-in
 * refreshes the mapped attributes.
 */
export class Federation {
  constructor(private readonly options: FederationOptions) {}

  /** The pool user for the provider account, created or updated; then its tokens are the app's to redeem. */
  async link(provider: FederatedProvider, profile: ProviderProfile, clientId: string): Promise<LocalUser> {
    const username = `${provider.name}_${profile.sub}`.toLowerCase();
    const mapped = this.mappedAttributes(provider, profile);
    const { email = '', ...attributes } = mapped;
    const existing = this.options.users.find(username);
    if (existing && existing.username === username) {
      this.options.users.update(existing, (u) => {
        u.email = email.toLowerCase();
        u.attributes = { ...u.attributes, ...attributes };
        u.updatedAt = new Date(this.options.now()).toISOString();
      });
      return existing;
    }
    const at = new Date(this.options.now()).toISOString();
    const sub = randomUUID();
    const identity: FederatedIdentity = {
      userId: profile.sub,
      providerName: provider.name,
      providerType: provider.type,
      issuer: issuerOf(provider),
      primary: 'true',
      dateCreated: String(this.options.now()),
    };
    const user: LocalUser = {
      username,
      sub,
      email: email.toLowerCase(),
      // Cognito trusts a provider's email only when the mapping says so (email_verified ← a claim).
      emailVerified: mapped.email_verified === 'true',
      status: 'EXTERNAL_PROVIDER',
      // No password signs in a federated user: the verifier is of a random one nobody holds.
      verifier: createVerifier(this.options.userPoolId.split('_')[1] ?? '', username, randomBytes(32).toString('hex')),
      groups: [`${this.options.userPoolId}_${provider.name}`],
      codes: {},
      createdAt: at,
      updatedAt: at,
      enabled: true,
      identities: [identity],
      ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
    };
    delete user.attributes?.email_verified;
    this.options.users.add(user);
    await this.runPostConfirmation(user, clientId);
    return user;
  }

  /** Pool attribute ← provider claim, for each mapping whose claim the provider sent. */
  private mappedAttributes(provider: FederatedProvider, profile: ProviderProfile): Record<string, string> {
    const claims: Record<string, string> = { ...profile.claims, sub: profile.sub };
    const out: Record<string, string> = {};
    for (const [poolAttribute, claim] of Object.entries(provider.attributeMapping)) {
      // `username` ← sub names the provider's id, which the username already carries.
      if (poolAttribute === 'username' || poolAttribute === 'sub') continue;
      const value = claims[claim];
      if (value !== undefined && value !== '') out[poolAttribute] = value;
    }
    return out;
  }

  private async runPostConfirmation(user: LocalUser, clientId: string): Promise<void> {
    if (!this.options.postConfirmation) return;
    try {
      await this.options.postConfirmation({
        version: '1',
        region: this.options.userPoolId.split('_')[0] ?? 'local',
        userPoolId: this.options.userPoolId,
        userName: user.username,
        triggerSource: 'PostConfirmation_ConfirmSignUp',
        callerContext: { awsSdkVersion: 'local', clientId },
        request: {
          userAttributes: {
            ...user.attributes,
            sub: user.sub,
            ...(user.email ? { email: user.email } : {}),
            email_verified: String(user.emailVerified),
            identities: JSON.stringify(user.identities ?? []),
            'cognito:user_status': 'EXTERNAL_PROVIDER',
          },
        },
        response: {},
      });
    } catch (error) {
      throw new FederationTriggerError(
        `PostConfirmation failed with error ${error instanceof Error ? error.message : String(error)}.`,
      );
    }
  }

  /** Id, access and refresh tokens of a hosted-UI sign-in, with its scopes and the app's nonce. */
  async signIn(
    user: LocalUser,
    clientId: string,
    grant: { scopes: string[]; nonce?: string; authTime: number },
  ): Promise<{
    id_token: string;
    access_token: string;
    refresh_token: string;
    expires_in: number;
    token_type: 'Bearer';
  }> {
    const scope = grant.scopes.join(' ');
    const issued = await this.options.tokens.issue(user, clientId, grant.authTime, randomUUID(), {
      scope,
      ...(grant.nonce ? { nonce: grant.nonce } : {}),
    });
    const refresh = this.options.tokens.newRefreshToken();
    this.options.users.putRefresh(refresh, {
      username: user.username,
      clientId,
      authTime: grant.authTime,
      originJti: issued.originJti,
      scope,
    });
    return {
      id_token: issued.IdToken,
      access_token: issued.AccessToken,
      refresh_token: refresh,
      expires_in: issued.ExpiresIn,
      token_type: 'Bearer',
    };
  }
}
