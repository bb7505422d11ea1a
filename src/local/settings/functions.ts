import type { CloudAssembly } from '../cloud/assembly';
import { eventBusesOf } from '../events/buses';
import { scheduledRulesOf } from '../events/scheduler';
import { apiAuthSettingsOf } from '../graphql/auth-modes';
import { evaluate } from '../iam/policy';
import { rolePolicies } from '../iam/roles';
import { restFunctionIds } from '../rest';
import { notificationSpecsOf } from '../storage/notifications';
import { LOCAL_TRIGGERS, userPoolTriggersOf } from './auth';
import { mappingSpecsOf } from './mappings';
import { messagingFunctionIds } from './messaging';
import { isRecord, NAMES } from './names';

/** Gen 2 functions (`defineFunction`): their environment has Amplify's SSM configuration. */
const isGen2Environment = (environment: unknown): boolean =>
  isRecord(environment) && isRecord(environment.Variables) && 'AMPLIFY_SSM_ENV_CONFIG' in environment.Variables;

/**
 * The functions the local backend runs: the user-pool triggers, Lambda data
 * sources and authorizer, conflict handlers, stream, storage, queue and topic consumers,
 * scheduled functions, every Gen 2 function (one with no trigger is invoked
 * through the local Lambda API), and the functions a running one may invoke
 * by name (`grantInvoke`).
 */
export const usedFunctionIds = (assembly: CloudAssembly): Set<string> => {
  const ids = triggeredFunctionIds(assembly);
  const functions = assembly.resources('AWS::Lambda::Function');
  for (const { logicalId, stack, properties } of functions)
    if (isGen2Environment(stack.resolve(properties.Environment))) ids.add(logicalId);
  const policies = rolePolicies(assembly);
  const roleOf = new Map(
    functions.map(({ logicalId, stack, properties }) => [logicalId, String(stack.resolve(properties.Role))]),
  );
  // Until no running function names another one.
  for (let added = true; added; ) {
    added = false;
    for (const { logicalId, stack } of functions) {
      if (ids.has(logicalId)) continue;
      const arn = String(stack.getAtt(logicalId, 'Arn'));
      const invokers = [...ids].filter((id) => {
        const documents = policies.get(roleOf.get(id) ?? '') ?? [];
        const named = documents
          .flatMap((d) => [d.Statement].flat())
          .some((statement) =>
            [statement.Resource ?? []].flat().some((resource) => resource === arn || resource === `${arn}:*`),
          );
        return (
          named && evaluate(documents, { action: 'lambda:InvokeFunction', resource: arn, context: {} }) === 'Allow'
        );
      });
      if (invokers.length > 0) {
        ids.add(logicalId);
        added = true;
      }
    }
  }
  return ids;
};

/** Whether a running function's role allows `lambda:InvokeFunction` on one of the running functions. */
export const functionsInvokeFunctions = (assembly: CloudAssembly): boolean => {
  const ids = usedFunctionIds(assembly);
  const policies = rolePolicies(assembly);
  const functions = assembly.resources('AWS::Lambda::Function').filter((f) => ids.has(f.logicalId));
  const arns = functions.map(({ logicalId, stack }) => String(stack.getAtt(logicalId, 'Arn')));
  return functions.some(({ stack, properties }) => {
    const documents = policies.get(String(stack.resolve(properties.Role))) ?? [];
    return arns.some(
      (arn) => evaluate(documents, { action: 'lambda:InvokeFunction', resource: arn, context: {} }) === 'Allow',
    );
  });
};

/** The functions something in the assembly triggers. */
const triggeredFunctionIds = (assembly: CloudAssembly): Set<string> => {
  const ids = new Set<string>();
  // The user-pool triggers the local pool runs (the others stop the start).
  for (const [member, id] of Object.entries(userPoolTriggersOf(assembly)))
    if (LOCAL_TRIGGERS.some((trigger) => trigger === member)) ids.add(id);
  for (const { stack, properties } of assembly.resources('AWS::AppSync::DataSource')) {
    const lambda = stack.resolve(properties.LambdaConfig);
    const id = isRecord(lambda) ? String(lambda.LambdaFunctionArn).split(':').at(-1) : undefined;
    if (id) ids.add(id);
  }
  // Conflict handlers (SyncConfig LAMBDA) of pipeline functions and unit resolvers.
  for (const type of ['AWS::AppSync::FunctionConfiguration', 'AWS::AppSync::Resolver']) {
    for (const { stack, properties } of assembly.resources(type)) {
      const sync = stack.resolve(properties.SyncConfig);
      const config = isRecord(sync) ? sync.LambdaConflictHandlerConfig : undefined;
      const id = isRecord(config) ? String(config.LambdaConflictHandlerArn).split(':').at(-1) : undefined;
      if (id) ids.add(id);
    }
  }
  for (const spec of mappingSpecsOf(assembly)) ids.add(spec.functionId);
  for (const spec of notificationSpecsOf(assembly)) ids.add(spec.functionId);
  for (const id of messagingFunctionIds(assembly)) ids.add(id);
  for (const rule of scheduledRulesOf(assembly, NAMES)) for (const target of rule.targets) ids.add(target.functionId);
  for (const rule of eventBusesOf(assembly, NAMES).rules) for (const target of rule.targets) ids.add(target.functionId);
  // The API's Lambda authorizer.
  const authorizer = apiAuthSettingsOf(assembly)?.lambda;
  if (authorizer) ids.add(authorizer.functionId);
  for (const id of restFunctionIds(assembly)) ids.add(id);
  return ids;
};
