import type { CloudAssembly } from '../cloud/assembly';
import { userPoolOf } from './auth';
import { isRecord } from './names';
import { refersTo, theResource } from './resources';

/** One `AWS::Cognito::UserPoolIdentityProvider` of the pool. */
export interface IdentityProviderSettings {
  /** `ProviderName`: what `identity_provider=` names, and the prefix of its users' usernames. */
  name: string;
  /** `ProviderType`: Google, Facebook, SignInWithApple, LoginWithAmazon, OIDC or SAML. */
  type: string;
  /** User-pool attribute ← the provider's attribute. */
  attributeMapping: Record<string, string>;
  /** `ProviderDetails.authorize_scopes`, as the provider page shows them. */
  scopes: string[];
}

/** What the hosted UI's OAuth endpoints take from the templates: the domain, the providers, the app client. */
export interface OAuthSettings {
  /** `AWS::Cognito::UserPoolDomain.Domain`: the prefix of `<prefix>.auth.<region>.amazoncognito.com`. */
  domainPrefix: string;
  providers: IdentityProviderSettings[];
  client: {
    callbackUrls: string[];
    logoutUrls: string[];
    /** `code`, `implicit`, `client_credentials`. */
    allowedFlows: string[];
    allowedScopes: string[];
    /** Provider names, and `COGNITO` for the pool's own users. */
    supportedProviders: string[];
  };
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/**
 * The hosted UI of the pool the local backend runs, when the pool has a
 * domain and its app client allows OAuth flows; absent otherwise (then no
 * `/oauth2/*` endpoint answers, as on a pool without a domain).
 */
export const oauthSettingsOf = (assembly: CloudAssembly): OAuthSettings | undefined => {
  const pool = userPoolOf(assembly);
  if (!pool) return undefined;
  const domain = assembly
    .resources('AWS::Cognito::UserPoolDomain')
    .find((d) => d.stack === pool.stack && refersTo(d.properties.UserPoolId, pool));
  const client = theResource(assembly, 'AWS::Cognito::UserPoolClient', 'webClientId');
  if (!domain || !client || client.stack.resolve(client.properties.AllowedOAuthFlowsUserPoolClient) !== true)
    return undefined;
  const idps = assembly
    .resources('AWS::Cognito::UserPoolIdentityProvider')
    .filter((p) => p.stack === pool.stack && refersTo(p.properties.UserPoolId, pool));
  const providers = idps.map(({ stack, properties }): IdentityProviderSettings => {
    const mapping = stack.resolve(properties.AttributeMapping);
    // The client id and secret are deploy-time values (the secret fetcher's): the local stand-in needs neither.
    const details = isRecord(properties.ProviderDetails) ? properties.ProviderDetails : {};
    const scopes = stack.resolve(details.authorize_scopes);
    return {
      name: String(stack.resolve(properties.ProviderName)),
      type: String(stack.resolve(properties.ProviderType)),
      attributeMapping: isRecord(mapping)
        ? Object.fromEntries(Object.entries(mapping).map(([k, v]) => [k, String(v)]))
        : {},
      scopes: typeof scopes === 'string' ? scopes.split(/[\s,]+/).filter(Boolean) : [],
    };
  });
  // A `Ref` to an identity provider is its ProviderName.
  const supported = (
    Array.isArray(client.properties.SupportedIdentityProviders) ? client.properties.SupportedIdentityProviders : []
  ).flatMap((entry): string[] => {
    if (!isRecord(entry) || typeof entry.Ref !== 'string') return [String(client.stack.resolve(entry))];
    const id = entry.Ref;
    const index = idps.findIndex((p) => p.logicalId === id && p.stack === client.stack);
    const provider = providers[index];
    return provider ? [provider.name] : [];
  });
  const props = client.stack.resolve(client.properties);
  const get = (key: string) => (isRecord(props) ? props[key] : undefined);
  return {
    domainPrefix: String(domain.stack.resolve(domain.properties.Domain)),
    providers,
    client: {
      callbackUrls: strings(get('CallbackURLs')),
      logoutUrls: strings(get('LogoutURLs')),
      allowedFlows: strings(get('AllowedOAuthFlows')),
      allowedScopes: strings(get('AllowedOAuthScopes')),
      supportedProviders: supported,
    },
  };
};
