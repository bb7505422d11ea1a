import type { LocalFunction } from './functions/runner';
import { invokeAsync } from './generations';
import { appendPrivateLine } from './private-files';
import { envelope, lambdaEvent, queueMessage } from './sns/delivery';
import type { Deliver } from './sns/topics';
import type { QueueEngine } from './sqs/queue';
import type { DeadLetterQueue } from './streams';

/**
 * Where the local SNS delivers: functions (asynchronously, as SNS invokes
 * them, retried, then dead-lettered), queues of the local SQS, and for
 * people and web endpoints (email, SMS, http/https) an outbox file, since
 * nothing leaves this machine.
 */
export const snsDeliverer =
  (options: {
    url: string;
    queues: QueueEngine;
    functionOf(functionId: string): LocalFunction | undefined;
    deadLetters: DeadLetterQueue;
    outbox: string;
  }): Deliver =>
  (subscription, notification) => {
    const source = `sns:${notification.topicArn.split(':').at(-1) ?? notification.topicArn}`;
    switch (subscription.protocol) {
      case 'lambda': {
        const fn = options.functionOf(subscription.functionId ?? '');
        if (!fn) {
          console.warn(`${source}: the function of ${subscription.arn} is not running; the notification is dropped`);
          return;
        }
        void invokeAsync(fn, lambdaEvent(notification, subscription, options.url), source, options.deadLetters);
        return;
      }
      case 'sqs': {
        const queue = options.queues.find(subscription.endpoint);
        if (!queue) {
          console.warn(`${source}: no local queue ${subscription.endpoint}; the notification is dropped`);
          return;
        }
        const { body, attributes } = queueMessage(notification, subscription, options.url);
        options.queues.send(
          queue,
          {
            body,
            attributes,
            ...(queue.fifo
              ? {
                  groupId: notification.groupId ?? 'default',
                  deduplicationId: notification.deduplicationId ?? notification.messageId,
                }
              : {}),
          },
          'AIDALOCALSNSSERVICE00',
        );
        return;
      }
      default:
        appendPrivateLine(
          options.outbox,
          JSON.stringify({
            at: notification.timestamp,
            protocol: subscription.protocol,
            endpoint: subscription.endpoint,
            subscriptionArn: subscription.arn,
            ...envelope(notification, subscription, options.url),
          }),
        );
    }
  };
