import { join } from 'node:path';
import { NAMES } from '../settings/names';
import { type QueueConfig, QueueEngine } from '../sqs/queue';
import { startLocalSqs } from '../sqs/server';
import { fileQueueStore } from '../sqs/store';
import type { ServiceContext } from './context';
import { serviceOf } from './registry';

/** SQS with the assembly's queues; messages persist in `<data>/sqs/queues.json`. */
export const sqsService = (context: ServiceContext, queues: readonly QueueConfig[]) => {
  const { credentials } = context;
  return serviceOf(
    'sqs',
    async () => {
      const engine = new QueueEngine(fileQueueStore(join(context.dataDir, 'sqs', 'queues.json')));
      engine.setQueues(queues);
      const server = await startLocalSqs({
        engine,
        port: context.ports.sqs,
        region: NAMES.region,
        accountId: NAMES.accountId,
        verify: credentials.verify,
        authorize: credentials.authorize,
        deniedMessage: (principal, action, resource) =>
          credentials.deniedMessage(principal, action, resource, 'ImplicitDeny'),
      });
      return { ...server, engine };
    },
    { stop: (sqs) => sqs.close(), info: ({ url }) => ({ url }) },
  );
};
