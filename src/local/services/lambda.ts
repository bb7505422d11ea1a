import type { LambdaFunctions } from '../lambda/operations';
import { startLocalLambda } from '../lambda/server';
import { NAMES } from '../settings/names';
import type { ServiceContext } from './context';
import { serviceOf } from './registry';

/** Lambda's Invoke API over the running generation's functions, checked against the caller's role. */
export const lambdaService = (context: ServiceContext, functions: LambdaFunctions) => {
  const { credentials } = context;
  return serviceOf(
    'lambda',
    () =>
      startLocalLambda({
        ...functions,
        port: context.ports.lambda,
        names: NAMES,
        verify: credentials.verify,
        authorize: credentials.authorize,
        deniedMessage: (principal, action, resource, decision) =>
          credentials.deniedMessage(principal, action, resource, decision),
      }),
    { stop: (server) => server.close(), info: ({ url }) => ({ url }) },
  );
};
