import type { CloudAssembly } from '../cloud/assembly';
import type { PolicyDocument } from './policy';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isPolicyDocument = (value: unknown): value is PolicyDocument => isRecord(value) && 'Statement' in value;

/**
 * The identity-based policies of every role the templates define, by role
 * ARN: the roles' inline policies and the `AWS::IAM::Policy` resources
 * and `AWS::IAM::ManagedPolicy` resources attached to them, with every intrinsic
 * resolved to local names. AWS managed policies (`ManagedPolicyArns`) are not read.
 */
export const rolePolicies = (assembly: CloudAssembly): Map<string, PolicyDocument[]> => {
  const byName = new Map<string, PolicyDocument[]>();
  const add = (roleName: string, document: unknown): void => {
    if (!isPolicyDocument(document)) return;
    byName.set(roleName, [...(byName.get(roleName) ?? []), document]);
  };
  for (const { logicalId, stack, properties } of assembly.resources('AWS::IAM::Role')) {
    const inline = stack.resolve(properties.Policies);
    for (const policy of Array.isArray(inline) ? inline : []) {
      if (isRecord(policy)) add(logicalId, policy.PolicyDocument);
    }
  }
  // Customer managed policies attach the same way (their Roles); Amplify's data construct gives the identity pool's roles one.
  for (const { stack, properties } of [
    ...assembly.resources('AWS::IAM::Policy'),
    ...assembly.resources('AWS::IAM::ManagedPolicy'),
  ]) {
    const roles = stack.resolve(properties.Roles);
    const document = stack.resolve(properties.PolicyDocument);
    for (const role of Array.isArray(roles) ? roles : []) add(String(role), document);
  }
  const accountId = assembly.names.accountId;
  return new Map([...byName].map(([name, documents]) => [`arn:aws:iam::${accountId}:role/${name}`, documents]));
};
