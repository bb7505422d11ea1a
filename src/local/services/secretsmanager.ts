import type { SecretsEngine } from '../secretsmanager/engine';
import { startLocalSecretsManager } from '../secretsmanager/server';
import type { ServiceContext } from './context';
import { serviceOf } from './registry';

/** Secrets Manager: the template's secrets and those the developer set, checked against the caller's role. */
export const secretsManagerService = (context: ServiceContext, engine: SecretsEngine) => {
  const { credentials } = context;
  return serviceOf(
    'secretsmanager',
    () =>
      startLocalSecretsManager({
        port: context.ports.secretsmanager,
        engine,
        verify: credentials.verify,
        authorize: credentials.authorize,
        deniedMessage: (principal, action, resource, decision) =>
          credentials.deniedMessage(principal, action, resource, decision),
      }),
    { stop: (server) => server.close(), info: ({ url }) => ({ url }) },
  );
};
