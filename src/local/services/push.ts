import type { Outbox } from '../outbox';
import { startLocalPush } from '../push/server';
import { NAMES } from '../settings/names';
import type { ServiceContext } from './context';
import { accessOf } from './context';
import { serviceOf } from './registry';

/** Pinpoint's SendMessages: each push lands in the outbox. */
export const pushService = (context: ServiceContext, outbox: Outbox) =>
  serviceOf(
    'push',
    () =>
      startLocalPush({
        outbox,
        applicationIds: [NAMES.pushApplicationId],
        access: { region: NAMES.region, accountId: NAMES.accountId, ...accessOf(context.credentials) },
        port: context.ports.push,
      }),
    { stop: (push) => push.close(), info: ({ url }) => ({ url }) },
  );
