import type { CloudAssembly, FoundResource } from '../cloud/assembly';
import { apiAuthSettingsOf } from '../graphql/auth-modes';
import { isRecord, logicalIdOfRef } from './names';
import { AmbiguousResourceError, refersTo, resourceOf, resourceOfOutput, theResource } from './resources';

/** The user pools the GraphQL APIs' user-pool modes (default and additional) name. */
const apiUserPools = (assembly: CloudAssembly): FoundResource[] =>
  assembly.resources('AWS::AppSync::GraphQLApi').flatMap(({ stack, properties }) => {
    const configs = [
      properties.UserPoolConfig,
      ...(Array.isArray(properties.AdditionalAuthenticationProviders)
        ? properties.AdditionalAuthenticationProviders.map((p) => (isRecord(p) ? p.UserPoolConfig : undefined))
        : []),
    ];
    return configs.flatMap((config) => {
      const pool = isRecord(config) ? resourceOf(assembly, stack, config.UserPoolId) : undefined;
      return pool ? [pool] : [];
    });
  });

/**
 * The one user pool the local backend runs: the one the auth outputs name
 * (`userPoolId`, as ampx writes them), else the one the data API's user-pool
 * mode names, else the only one. Refused when the API names another pool than
 * the outputs, or when several pools are named by nothing.
 */
export const userPoolOf = (assembly: CloudAssembly): FoundResource | undefined => {
  const label = (r: FoundResource) => `${r.stack.path}/${r.logicalId}`;
  const fromApi = apiUserPools(assembly);
  const named = resourceOfOutput(assembly, 'userPoolId');
  const candidates = [...new Map([...(named ? [named] : []), ...fromApi].map((r) => [label(r), r])).values()];
  if (candidates.length > 1)
    throw new AmbiguousResourceError(
      `the auth outputs and the GraphQL API name different user pools (${candidates.map(label).join(', ')}): the local backend runs one`,
    );
  return candidates[0] ?? theResource(assembly, 'AWS::Cognito::UserPool', 'userPoolId');
};

/** The user-pool Lambda triggers the local user pool runs (LambdaConfig members). */
export const LOCAL_TRIGGERS = ['PreSignUp', 'PostConfirmation', 'PreTokenGeneration'] as const;
export type LocalTrigger = (typeof LOCAL_TRIGGERS)[number];

const lambdaConfigOf = (assembly: CloudAssembly): Record<string, unknown> => {
  const userPool = userPoolOf(assembly);
  const props = userPool ? userPool.stack.resolve(userPool.properties) : {};
  return isRecord(props) && isRecord(props.LambdaConfig) ? props.LambdaConfig : {};
};

/**
 * The pool's triggers by LambdaConfig member, with their functions' logical
 * IDs. `PreTokenGenerationConfig` (which chooses the event version) stands for
 * `PreTokenGeneration`, as on Cognito; `KMSKeyID` is no trigger.
 */
export const userPoolTriggersOf = (assembly: CloudAssembly): Record<string, string> =>
  triggersOfLambdaConfig(lambdaConfigOf(assembly));

/** A resolved LambdaConfig's triggers, by member. */
export const triggersOfLambdaConfig = (config: Record<string, unknown>): Record<string, string> => {
  const triggers: Record<string, string> = {};
  for (const [member, value] of Object.entries(config)) {
    if (member === 'KMSKeyID') continue;
    const arn = isRecord(value) ? value.LambdaArn : value;
    const id = logicalIdOfRef(arn);
    if (!id) continue;
    triggers[member === 'PreTokenGenerationConfig' ? 'PreTokenGeneration' : member] = id;
  }
  return triggers;
};

/** The pre token generation event's version: `PreTokenGenerationConfig.LambdaVersion` (V1_0 unless it says V2_0). */
export const preTokenVersionOf = (assembly: CloudAssembly): '1' | '2' => {
  const config = lambdaConfigOf(assembly).PreTokenGenerationConfig;
  return isRecord(config) && (config.LambdaVersion === 'V2_0' || config.LambdaVersion === 'V3_0') ? '2' : '1';
};

/** The post-confirmation trigger's function, by logical ID. */
export const postConfirmationIdOf = (assembly: CloudAssembly): string | undefined =>
  userPoolTriggersOf(assembly).PostConfirmation;

/** The pool's custom attributes (`custom:<name>`), from its Schema, as the local pool checks them. */
export interface CustomAttribute {
  mutable: boolean;
  type: string;
  maxLength?: number;
  minLength?: number;
}
const customAttributesOf = (props: unknown): Record<string, CustomAttribute> => {
  const schema = isRecord(props) && Array.isArray(props.Schema) ? props.Schema : [];
  return Object.fromEntries(
    schema.flatMap((entry) => {
      if (!isRecord(entry) || typeof entry.Name !== 'string') return [];
      // Standard attributes are listed too (required or mutable), without a data type.
      if (entry.AttributeDataType === undefined || entry.Name.startsWith('custom:')) return [];
      const limits = isRecord(entry.StringAttributeConstraints) ? entry.StringAttributeConstraints : {};
      return [
        [
          `custom:${entry.Name}`,
          {
            mutable: entry.Mutable !== false,
            type: String(entry.AttributeDataType),
            ...(limits.MaxLength === undefined ? {} : { maxLength: Number(limits.MaxLength) }),
            ...(limits.MinLength === undefined ? {} : { minLength: Number(limits.MinLength) }),
          },
        ],
      ];
    }),
  );
};

/** What the local auth servers take from the templates. */
export type AuthSettings = ReturnType<typeof authSettingsOf>;
export const authSettingsOf = (assembly: CloudAssembly) => {
  const userPool = userPoolOf(assembly);
  const poolProps = userPool ? userPool.stack.resolve(userPool.properties) : {};
  const policy =
    isRecord(poolProps) && isRecord(poolProps.Policies) && isRecord(poolProps.Policies.PasswordPolicy)
      ? poolProps.Policies.PasswordPolicy
      : {};
  const appClient = theResource(assembly, 'AWS::Cognito::UserPoolClient', 'webClientId');
  const updateSettings =
    isRecord(poolProps) && isRecord(poolProps.UserAttributeUpdateSettings) ? poolProps.UserAttributeUpdateSettings : {};
  const verifyBeforeUpdate = updateSettings.AttributesRequireVerificationBeforeUpdate;
  const identityPool = theResource(assembly, 'AWS::Cognito::IdentityPool', 'identityPoolId');
  // The identity pool's own role attachment (its IdentityPoolId refers to it).
  const attachment = identityPool
    ? assembly
        .resources('AWS::Cognito::IdentityPoolRoleAttachment')
        .find((a) => a.stack === identityPool.stack && refersTo(a.properties.IdentityPoolId, identityPool))
    : undefined;
  // The pool's groups: those whose UserPoolId refers to it.
  const groups = userPool
    ? assembly
        .resources('AWS::Cognito::UserPoolGroup')
        .filter((g) => g.stack === userPool.stack && refersTo(g.properties.UserPoolId, userPool))
    : [];
  const roles = attachment ? attachment.stack.resolve(attachment.properties.Roles) : {};
  const roleMappings = attachment ? attachment.stack.resolve(attachment.properties.RoleMappings) : {};
  return {
    passwordPolicy: {
      minimumLength: Number(policy.MinimumLength ?? 8),
      requireLowercase: policy.RequireLowercase === true,
      requireUppercase: policy.RequireUppercase === true,
      requireNumbers: policy.RequireNumbers === true,
      requireSymbols: policy.RequireSymbols === true,
      ...(policy.TemporaryPasswordValidityDays === undefined
        ? {}
        : { temporaryPasswordValidityDays: Number(policy.TemporaryPasswordValidityDays) }),
    },
    preventUserExistenceErrors: appClient?.properties.PreventUserExistenceErrors === 'ENABLED',
    verifyBeforeUpdate: Array.isArray(verifyBeforeUpdate) ? verifyBeforeUpdate.map(String) : [],
    postConfirmationId: postConfirmationIdOf(assembly),
    /** Every trigger the local pool runs, by LambdaConfig member (the others stop the start). */
    triggers: Object.fromEntries(
      Object.entries(userPoolTriggersOf(assembly)).filter(([member]) =>
        LOCAL_TRIGGERS.some((trigger) => trigger === member),
      ),
    ),
    preTokenVersion: preTokenVersionOf(assembly),
    customAttributes: customAttributesOf(poolProps),
    // OPENID_CONNECT: a local issuer stands in for the one the API names (served under /oidc).
    oidcIssuer: apiAuthSettingsOf(assembly)?.oidc?.issuer,
    groups: groups.map(({ stack, properties }) => String(stack.resolve(properties.GroupName))),
    groupRoles: Object.fromEntries(
      groups.flatMap(({ stack, properties }) => {
        const group = stack.resolve(properties);
        return isRecord(group) && group.RoleArn
          ? [[String(group.GroupName), { roleArn: String(group.RoleArn), precedence: Number(group.Precedence ?? 0) }]]
          : [];
      }),
    ),
    identityPool: identityPool && {
      allowUnauthenticated: identityPool.properties.AllowUnauthenticatedIdentities === true,
      tokenRoleMapping:
        isRecord(roleMappings) &&
        Object.values(roleMappings).some(
          (m) => isRecord(m) && m.Type === 'Token' && m.AmbiguousRoleResolution === 'AuthenticatedRole',
        ),
      roles: {
        authenticated: String(isRecord(roles) ? roles.authenticated : ''),
        unauthenticated: isRecord(roles) && roles.unauthenticated ? String(roles.unauthenticated) : undefined,
      },
    },
  };
};
