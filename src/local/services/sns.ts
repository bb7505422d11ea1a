import { join } from 'node:path';
import { appendPrivateLine } from '../private-files';
import type { SubscriptionConfig, TopicConfig } from '../settings/messaging';
import { NAMES } from '../settings/names';
import { startLocalSns } from '../sns/server';
import { type Deliver, fileSubscriptionStore, TopicEngine } from '../sns/topics';
import type { ServiceContext } from './context';
import { serviceOf } from './registry';

/** Where SNS deliveries to people and web endpoints (email, SMS, http/https) are written instead of sent. */
export const snsOutboxOf = (dataDir: string): string => join(dataDir, 'sns-outbox.jsonl');

/**
 * SNS with the assembly's topics and subscriptions. Deliveries to functions
 * and queues go through `deliver` (the backend's); the others are appended
 * to the SNS outbox, never sent off this machine.
 */
export const snsService = (
  context: ServiceContext,
  settings: { topics: readonly TopicConfig[]; subscriptions: readonly SubscriptionConfig[] },
  deliver: (url: string) => Deliver,
) => {
  const { credentials } = context;
  const outbox = snsOutboxOf(context.dataDir);
  return serviceOf(
    'sns',
    async () => {
      let url = '';
      const engine = new TopicEngine(
        fileSubscriptionStore(join(context.dataDir, 'sns', 'subscriptions.json')),
        (subscription, notification) => deliver(url)(subscription, notification),
      );
      engine.setTopics(settings.topics, settings.subscriptions);
      const server = await startLocalSns({
        engine,
        port: context.ports.sns,
        region: NAMES.region,
        accountId: NAMES.accountId,
        verify: credentials.verify,
        authorize: credentials.authorize,
        deniedMessage: (principal, action, resource) =>
          credentials.deniedMessage(principal, action, resource, 'ImplicitDeny'),
        sms: (phoneNumber, message, messageId) =>
          appendPrivateLine(
            outbox,
            JSON.stringify({
              at: new Date().toISOString(),
              protocol: 'sms',
              endpoint: phoneNumber,
              messageId,
              message,
            }),
          ),
      });
      url = server.url;
      return { ...server, engine, outbox };
    },
    { stop: (sns) => sns.close(), info: ({ url }) => ({ url }) },
  );
};
