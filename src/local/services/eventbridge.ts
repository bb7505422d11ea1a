import type { LocalEventBridge } from '../events/bus';
import { startLocalEventsServer } from '../events/server';
import type { ServiceContext } from './context';
import { serviceOf } from './registry';

/** EventBridge's PutEvents endpoint, over the running generation's buses and rules. */
export const eventBridgeService = (context: ServiceContext, bridge: LocalEventBridge) => {
  const { credentials } = context;
  return serviceOf(
    'eventbridge',
    () =>
      startLocalEventsServer({
        port: context.ports.eventbridge,
        bridge,
        verify: credentials.verify,
        authorize: credentials.authorize,
        deniedMessage: (principal, action, resource) =>
          credentials.deniedMessage(principal, action, resource, 'ImplicitDeny'),
      }),
    { stop: (server) => server.close(), info: ({ url }) => ({ url }) },
  );
};
