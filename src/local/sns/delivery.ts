import type { SubscriptionConfig } from '../settings/messaging';
import type { SnsMessageAttribute } from './filter-policy';
import { messageFor, type Notification } from './topics';

/**
 * What a subscriber receives, in SNS's shapes: the Lambda event, the JSON
 * envelope an SQS (or email-json, http) subscriber gets, or the raw message
 * and attributes with RawMessageDelivery. Signatures are placeholders: no
 * local subscriber can check one against SNS's certificate.
 */

const attributesOf = (attributes: Readonly<Record<string, SnsMessageAttribute>>) =>
  Object.fromEntries(
    Object.entries(attributes).map(([name, a]) => [
      name,
      {
        Type: a.DataType,
        Value: a.BinaryValue !== undefined ? Buffer.from(a.BinaryValue).toString('base64') : (a.StringValue ?? ''),
      },
    ]),
  );

const unsubscribeUrl = (endpoint: string, subscriptionArn: string) =>
  `${endpoint}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(subscriptionArn)}`;

/** The envelope of a non-raw delivery (SQS, http, email-json). */
export const envelope = (notification: Notification, subscription: SubscriptionConfig, endpoint: string) => {
  const attributes = attributesOf(notification.attributes);
  return {
    Type: 'Notification',
    MessageId: notification.messageId,
    ...(notification.sequenceNumber ? { SequenceNumber: notification.sequenceNumber } : {}),
    TopicArn: notification.topicArn,
    ...(notification.subject !== undefined ? { Subject: notification.subject } : {}),
    Message: messageFor(notification, subscription.protocol),
    Timestamp: notification.timestamp,
    SignatureVersion: '1',
    Signature: 'LOCAL',
    SigningCertURL: `${endpoint}/local-sns.pem`,
    UnsubscribeURL: unsubscribeUrl(endpoint, subscription.arn),
    ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
  };
};

/** Lambda's SNS event for one notification. */
export const lambdaEvent = (notification: Notification, subscription: SubscriptionConfig, endpoint: string) => ({
  Records: [
    {
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: subscription.arn,
      Sns: {
        Type: 'Notification',
        MessageId: notification.messageId,
        TopicArn: notification.topicArn,
        Subject: notification.subject ?? null,
        Message: messageFor(notification, 'lambda'),
        Timestamp: notification.timestamp,
        SignatureVersion: '1',
        Signature: 'LOCAL',
        SigningCertUrl: `${endpoint}/local-sns.pem`,
        UnsubscribeUrl: unsubscribeUrl(endpoint, subscription.arn),
        MessageAttributes: attributesOf(notification.attributes),
      },
    },
  ],
});

/** The SQS message an SQS subscription gets: raw (message and attributes) or the envelope as its body. */
export const queueMessage = (notification: Notification, subscription: SubscriptionConfig, endpoint: string) =>
  subscription.rawMessageDelivery
    ? {
        body: messageFor(notification, 'sqs'),
        attributes: Object.fromEntries(Object.entries(notification.attributes).slice(0, 10)),
      }
    : { body: JSON.stringify(envelope(notification, subscription, endpoint)), attributes: {} };
