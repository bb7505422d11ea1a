import type { CloudAssembly } from '../cloud/assembly';
import { eventBusesOf } from '../events/buses';
import { scheduledRulesOf } from '../events/scheduler';
import { apiAuthSettingsOf } from '../graphql/auth-modes';
import { restFunctionIds } from '../rest';
import { notificationSpecsOf } from '../storage/notifications';
import { LOCAL_TRIGGERS, userPoolTriggersOf } from './auth';
import { mappingSpecsOf } from './mappings';
import { messagingFunctionIds } from './messaging';
import { isRecord, NAMES } from './names';

/** The functions the local backend runs: the user-pool triggers, Lambda data sources and authorizer, conflict handlers, stream, storage, queue and topic consumers, scheduled functions. */
export const usedFunctionIds = (assembly: CloudAssembly): Set<string> => {
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
