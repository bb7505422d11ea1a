import { NAMES } from '../settings/names';
import type { ssmParametersOf } from '../ssm/server';
import { startLocalSsm } from '../ssm/server';
import type { ServiceContext } from './context';
import { serviceOf } from './registry';

/** SSM Parameter Store with the running generation's parameters. */
export const ssmService = (context: ServiceContext, parameters: () => ReturnType<typeof ssmParametersOf>) => {
  const { credentials } = context;
  return serviceOf(
    'ssm',
    () =>
      startLocalSsm({
        port: context.ports.ssm,
        parameters,
        region: NAMES.region,
        accountId: NAMES.accountId,
        verify: credentials.verify,
        authorize: credentials.authorize,
        deniedMessage: (principal, action, resource) =>
          credentials.deniedMessage(principal, action, resource, 'ImplicitDeny'),
      }),
    { stop: (ssm) => ssm.close(), info: ({ url }) => ({ url }) },
  );
};
