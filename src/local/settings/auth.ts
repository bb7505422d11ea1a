import type { CloudAssembly } from '../cloud/assembly';
import { isRecord, logicalIdOfRef } from './names';

/** The post-confirmation trigger's function, by logical ID. */
export const postConfirmationIdOf = (assembly: CloudAssembly): string | undefined => {
  const userPool = assembly.resources('AWS::Cognito::UserPool')[0];
  const props = userPool ? userPool.stack.resolve(userPool.properties) : {};
  const lambdaConfig = isRecord(props) && isRecord(props.LambdaConfig) ? props.LambdaConfig : {};
  return logicalIdOfRef(lambdaConfig.PostConfirmation);
};

/** What the local auth servers take from the templates. */
export type AuthSettings = ReturnType<typeof authSettingsOf>;
export const authSettingsOf = (assembly: CloudAssembly) => {
  const userPool = assembly.resources('AWS::Cognito::UserPool')[0];
  const poolProps = userPool ? userPool.stack.resolve(userPool.properties) : {};
  const policy =
    isRecord(poolProps) && isRecord(poolProps.Policies) && isRecord(poolProps.Policies.PasswordPolicy)
      ? poolProps.Policies.PasswordPolicy
      : {};
  const appClient = assembly.resources('AWS::Cognito::UserPoolClient')[0];
  const updateSettings =
    isRecord(poolProps) && isRecord(poolProps.UserAttributeUpdateSettings) ? poolProps.UserAttributeUpdateSettings : {};
  const verifyBeforeUpdate = updateSettings.AttributesRequireVerificationBeforeUpdate;
  const identityPool = assembly.resources('AWS::Cognito::IdentityPool')[0];
  const attachment = assembly.resources('AWS::Cognito::IdentityPoolRoleAttachment')[0];
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
    groups: assembly
      .resources('AWS::Cognito::UserPoolGroup')
      .map(({ stack, properties }) => String(stack.resolve(properties.GroupName))),
    groupRoles: Object.fromEntries(
      assembly.resources('AWS::Cognito::UserPoolGroup').flatMap(({ stack, properties }) => {
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
