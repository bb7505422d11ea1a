import { createHash } from 'node:crypto';
import type { CloudAssembly } from '../cloud/assembly';

/**
 * The authorization modes of an AppSync API as its template defines them:
 * the default mode (`AuthenticationType`), the additional providers, the API
 * keys with their expiry, the Lambda authorizer and the OIDC provider. The
 * local server authenticates each request against these, as AppSync does.
 */

export type AuthMode = 'API_KEY' | 'AMAZON_COGNITO_USER_POOLS' | 'AWS_IAM' | 'OPENID_CONNECT' | 'AWS_LAMBDA';
const MODES: readonly AuthMode[] = ['API_KEY', 'AMAZON_COGNITO_USER_POOLS', 'AWS_IAM', 'OPENID_CONNECT', 'AWS_LAMBDA'];

/** The schema directive that opens a field or type to a mode. */
export const MODE_DIRECTIVES: Record<AuthMode, string> = {
  API_KEY: 'aws_api_key',
  AMAZON_COGNITO_USER_POOLS: 'aws_cognito_user_pools',
  AWS_IAM: 'aws_iam',
  OPENID_CONNECT: 'aws_oidc',
  AWS_LAMBDA: 'aws_lambda',
};

/** What `$util.authType()` answers for each mode. */
export const AUTH_TYPE_NAMES: Record<AuthMode, string> = {
  API_KEY: 'API Key Authorization',
  AMAZON_COGNITO_USER_POOLS: 'User Pool Authorization',
  AWS_IAM: 'IAM Authorization',
  OPENID_CONNECT: 'Open ID Connect Authorization',
  AWS_LAMBDA: 'Lambda Authorization',
};

export interface ApiKey {
  /** The key apps send in `x-api-key`. */
  id: string;
  /** Seconds since the epoch; AppSync refuses the key after it. */
  expires: number;
}

export interface ApiAuthSettings {
  defaultMode: AuthMode;
  additionalModes: AuthMode[];
  apiKeys: ApiKey[];
  /** The authorizer's function (logical ID) and how long AppSync may cache its answer. */
  lambda?: { functionId: string; ttlSeconds: number; identityValidationExpression?: string };
  oidc?: { issuer: string; clientId?: string; authTtlSeconds?: number; iatTtlSeconds?: number };
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const asMode = (value: unknown): AuthMode | undefined => MODES.find((mode) => mode === value);

/**
 * A local API key: `da2-` and 26 characters, as AppSync's look, derived from
 * the key's place in the assembly so that the outputs stay the same across
 * restarts and synthesis runs.
 */
export const localApiKey = (stackPath: string, logicalId: string): string =>
  `da2-${createHash('sha256').update(`${stackPath}/${logicalId}`).digest('hex').slice(0, 26)}`;

const providerSettings = (provider: Json, settings: ApiAuthSettings): void => {
  const lambda = isRecord(provider.LambdaAuthorizerConfig) ? provider.LambdaAuthorizerConfig : undefined;
  if (lambda) {
    const uri = String(lambda.AuthorizerUri ?? '');
    settings.lambda = {
      functionId: uri.split(':').at(-1) ?? uri,
      ttlSeconds: Number(lambda.AuthorizerResultTtlInSeconds ?? 300),
      ...(lambda.IdentityValidationExpression
        ? { identityValidationExpression: String(lambda.IdentityValidationExpression) }
        : {}),
    };
  }
  const oidc = isRecord(provider.OpenIDConnectConfig) ? provider.OpenIDConnectConfig : undefined;
  if (oidc) {
    settings.oidc = {
      issuer: String(oidc.Issuer ?? ''),
      ...(oidc.ClientId ? { clientId: String(oidc.ClientId) } : {}),
      ...(oidc.AuthTTL !== undefined ? { authTtlSeconds: Number(oidc.AuthTTL) / 1000 } : {}),
      ...(oidc.IatTTL !== undefined ? { iatTtlSeconds: Number(oidc.IatTTL) / 1000 } : {}),
    };
  }
};

/** The auth settings of the assembly's (first) GraphQL API, or undefined without one. */
export const apiAuthSettingsOf = (assembly: CloudAssembly): ApiAuthSettings | undefined => {
  const api = assembly.resources('AWS::AppSync::GraphQLApi')[0];
  if (!api) return undefined;
  const props = api.stack.resolve(api.properties);
  if (!isRecord(props)) return undefined;
  const settings: ApiAuthSettings = {
    defaultMode: asMode(props.AuthenticationType) ?? 'AMAZON_COGNITO_USER_POOLS',
    additionalModes: [],
    apiKeys: assembly.resources('AWS::AppSync::ApiKey').map(({ stack, logicalId, properties }) => ({
      id: localApiKey(stack.path, logicalId),
      // Without Expires, AppSync gives a key 7 days.
      expires:
        properties.Expires === undefined
          ? Math.floor(Date.now() / 1000) + 7 * 86_400
          : Number(stack.resolve(properties.Expires)),
    })),
  };
  providerSettings(props, settings);
  for (const provider of Array.isArray(props.AdditionalAuthenticationProviders)
    ? props.AdditionalAuthenticationProviders
    : []) {
    if (!isRecord(provider)) continue;
    const mode = asMode(provider.AuthenticationType);
    if (mode) settings.additionalModes.push(mode);
    providerSettings(provider, settings);
  }
  return settings;
};
