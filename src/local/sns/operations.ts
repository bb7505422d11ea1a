import { indexed, keyValueMap, type Params, XmlMap, type XmlValue } from '../http/aws-query';
import type { LocalPrincipal } from '../iam/principals';
import type { SubscriptionConfig, TopicConfig } from '../settings/messaging';
import { invalidParameter, SnsError, topicNotFound } from './errors';
import { FilterPolicyError, type SnsMessageAttribute, validateFilterPolicy } from './filter-policy';
import type { TopicEngine } from './topics';

/**
 * SNS's operations over the topic engine, with its checks and wording:
 * topics, publishing (one and batches), subscriptions and their attributes.
 */

export interface SnsOperationsOptions {
  engine: TopicEngine;
  region: string;
  accountId: string;
  /** Throws SNS's AuthorizationError unless IAM allows the action on the ARN. */
  allow(principal: LocalPrincipal, action: string, arn: string): void;
  /** Where SMS sent with Publish(PhoneNumber) go. */
  sms(phoneNumber: string, message: string, messageId: string): void;
}

export type SnsOperation = (principal: LocalPrincipal, params: Params) => XmlValue;

const MAX_MESSAGE_BYTES = 262_144;
const BATCH_ID = /^[A-Za-z0-9_-]{1,80}$/;
const PROTOCOLS = new Set(['http', 'https', 'email', 'email-json', 'sms', 'sqs', 'lambda', 'application', 'firehose']);
const SUBSCRIPTION_ATTRIBUTES = new Set([
  'FilterPolicy',
  'FilterPolicyScope',
  'RawMessageDelivery',
  'RedrivePolicy',
  'DeliveryPolicy',
  'SubscriptionRoleArn',
]);

const requiredParam = (params: Params, name: string): string => {
  const value = params.get(name);
  if (value === undefined || value === '') throw invalidParameter(`${name} Reason: no value for required parameter`);
  return value;
};

/** MessageAttributes.entry.N.{Name,Value.DataType,Value.StringValue,Value.BinaryValue}, checked as SNS checks them. */
export const snsMessageAttributesOf = (entries: Map<string, string>[]): Record<string, SnsMessageAttribute> => {
  if (entries.length > 10)
    throw invalidParameter(
      `MessageAttributes Reason: Number of message attributes [${entries.length}] exceeds the allowed maximum [10].`,
    );
  const attributes: Record<string, SnsMessageAttribute> = {};
  for (const entry of entries) {
    const name = entry.get('Name') ?? '';
    const type = entry.get('Value.DataType') ?? '';
    if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name) || /^(aws\.|amazon\.)/i.test(name))
      throw new SnsError('ParameterValueInvalid', `The message attribute name '${name}' is invalid.`);
    if (!/^(String|Number|Binary)(\.[A-Za-z0-9_.-]+)?$/.test(type))
      throw new SnsError(
        'ParameterValueInvalid',
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    if (type.startsWith('Binary')) {
      const binary = entry.get('Value.BinaryValue');
      if (!binary)
        throw new SnsError(
          'ParameterValueInvalid',
          `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
        );
      attributes[name] = { DataType: type, BinaryValue: Buffer.from(binary, 'base64') };
      continue;
    }
    const value = entry.get('Value.StringValue');
    if (value === undefined || value === '')
      throw new SnsError(
        'ParameterValueInvalid',
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
      );
    if (type.startsWith('Number') && !Number.isFinite(Number(value)))
      throw new SnsError('ParameterValueInvalid', `Could not cast message attribute '${name}' value to number.`);
    if (type === 'String.Array') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        parsed = undefined;
      }
      if (!Array.isArray(parsed))
        throw new SnsError(
          'ParameterValueInvalid',
          `The message attribute '${name}' with type 'String.Array' has an invalid value.`,
        );
    }
    attributes[name] = { DataType: type, StringValue: value };
  }
  return attributes;
};

const filterAttributes = (
  attributes: Record<string, string>,
): Partial<Pick<SubscriptionConfig, 'filterPolicy' | 'filterPolicyScope' | 'rawMessageDelivery'>> => {
  const change: Partial<Pick<SubscriptionConfig, 'filterPolicy' | 'filterPolicyScope' | 'rawMessageDelivery'>> = {};
  for (const name of Object.keys(attributes))
    if (!SUBSCRIPTION_ATTRIBUTES.has(name)) throw invalidParameter(`AttributeName`);
  const scope = attributes.FilterPolicyScope;
  if (scope !== undefined) {
    if (scope !== 'MessageAttributes' && scope !== 'MessageBody')
      throw invalidParameter(
        `Attributes Reason: FilterPolicyScope: Invalid value [${scope}]. Please use either MessageBody or MessageAttributes`,
      );
    change.filterPolicyScope = scope;
  }
  const raw = attributes.RawMessageDelivery;
  if (raw !== undefined) {
    if (raw !== 'true' && raw !== 'false')
      throw invalidParameter(`Attributes Reason: RawMessageDelivery: Invalid value [${raw}].`);
    change.rawMessageDelivery = raw === 'true';
  }
  const policy = attributes.FilterPolicy;
  if (policy !== undefined) {
    if (policy === '') change.filterPolicy = undefined;
    else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(policy);
      } catch {
        throw invalidParameter('FilterPolicy: failed to parse JSON.');
      }
      try {
        validateFilterPolicy(parsed, change.filterPolicyScope ?? 'MessageAttributes');
      } catch (error) {
        if (error instanceof FilterPolicyError) throw invalidParameter(`FilterPolicy: ${error.message}`);
        throw error;
      }
      change.filterPolicy = parsed;
    }
  }
  return change;
};

export const snsOperations = (options: SnsOperationsOptions): Record<string, SnsOperation> => {
  const { engine } = options;
  const wildcard = `arn:aws:sns:${options.region}:${options.accountId}:*`;
  const topicOf = (arn: string): TopicConfig => {
    if (!/^arn:aws:sns:[^:]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(arn)) throw invalidParameter('TopicArn');
    const topic = engine.topic(arn);
    if (!topic) throw topicNotFound();
    return topic;
  };
  const authorizedTopic = (principal: LocalPrincipal, action: string, params: Params, name = 'TopicArn') => {
    const topic = topicOf(requiredParam(params, name));
    options.allow(principal, `sns:${action}`, topic.arn);
    return topic;
  };
  const subscriptionOf = (principal: LocalPrincipal, action: string, params: Params): SubscriptionConfig => {
    const arn = requiredParam(params, 'SubscriptionArn');
    const subscription = engine.subscription(arn);
    if (!subscription) throw new SnsError('NotFound', 'Subscription does not exist');
    options.allow(principal, `sns:${action}`, subscription.topicArn);
    return subscription;
  };
  const owner = options.accountId;
  const listed = (s: SubscriptionConfig) => ({
    SubscriptionArn: s.arn,
    Owner: owner,
    Protocol: s.protocol,
    Endpoint: s.endpoint,
    TopicArn: s.topicArn,
  });
  const page = <T>(items: T[], params: Params, size: number) => {
    const start = Number(params.get('NextToken') ?? '0');
    if (!Number.isInteger(start) || start < 0) throw invalidParameter('NextToken');
    return {
      items: items.slice(start, start + size),
      next: start + size < items.length ? String(start + size) : undefined,
    };
  };

  /** One message of Publish or a batch entry, checked for its topic. */
  const publishOne = (topic: TopicConfig, params: Params, attributeEntries: Map<string, string>[]) => {
    const message = params.get('Message');
    if (message === undefined || message === '') throw invalidParameter('Empty message');
    const subject = params.get('Subject');
    if (subject !== undefined && (subject.length === 0 || subject.length > 100 || /[\r\n]/.test(subject)))
      throw invalidParameter('Subject');
    const attributes = snsMessageAttributesOf(attributeEntries);
    const size =
      Buffer.byteLength(message) +
      Object.entries(attributes).reduce(
        (n, [k, v]) => n + k.length + v.DataType.length + (v.StringValue?.length ?? v.BinaryValue?.length ?? 0),
        0,
      );
    if (size > MAX_MESSAGE_BYTES) throw invalidParameter('Message too long');
    const structure = params.get('MessageStructure');
    if (structure !== undefined) {
      if (structure !== 'json') throw invalidParameter('MessageStructure');
      let parsed: unknown;
      try {
        parsed = JSON.parse(message);
      } catch {
        throw invalidParameter('Message Structure - JSON message body failed to parse');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('default' in parsed))
        throw invalidParameter('Message Structure - No default entry in JSON message body');
    }
    const groupId = params.get('MessageGroupId');
    let deduplicationId = params.get('MessageDeduplicationId');
    if (topic.fifo) {
      if (!groupId) throw invalidParameter('The MessageGroupId parameter is required for FIFO topics');
      if (!deduplicationId && !topic.contentBasedDeduplication)
        throw invalidParameter(
          'The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
        );
      deduplicationId ??= message;
    } else if (deduplicationId !== undefined) {
      throw invalidParameter(
        'MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type',
      );
    }
    return engine.publish(topic, {
      message,
      attributes,
      ...(subject !== undefined ? { subject } : {}),
      ...(structure !== undefined ? { messageStructure: structure } : {}),
      ...(groupId !== undefined ? { groupId } : {}),
      ...(deduplicationId !== undefined ? { deduplicationId } : {}),
    });
  };

  return {
    ListTopics: (principal, params) => {
      options.allow(principal, 'sns:ListTopics', wildcard);
      const { items, next } = page(
        engine.topics().map((t) => ({ TopicArn: t.arn })),
        params,
        100,
      );
      return { Topics: items, NextToken: next };
    },
    GetTopicAttributes: (principal, params) => {
      const topic = authorizedTopic(principal, 'GetTopicAttributes', params);
      const subscriptions = engine.subscriptions(topic.arn);
      return {
        Attributes: new XmlMap({
          TopicArn: topic.arn,
          Owner: owner,
          DisplayName: '',
          SubscriptionsConfirmed: String(subscriptions.length),
          SubscriptionsPending: '0',
          SubscriptionsDeleted: '0',
          ...(topic.fifo
            ? { FifoTopic: 'true', ContentBasedDeduplication: String(topic.contentBasedDeduplication) }
            : {}),
        }),
      };
    },
    Publish: (principal, params) => {
      const phone = params.get('PhoneNumber');
      if (phone !== undefined && !params.has('TopicArn') && !params.has('TargetArn')) {
        if (!/^\+?[0-9]{1,15}$/.test(phone)) throw invalidParameter('PhoneNumber Reason: input incorrectly formatted');
        options.allow(principal, 'sns:Publish', '*');
        const message = requiredParam(params, 'Message');
        const messageId = crypto.randomUUID();
        options.sms(phone, message, messageId);
        return { MessageId: messageId };
      }
      const name = params.has('TopicArn') ? 'TopicArn' : params.has('TargetArn') ? 'TargetArn' : undefined;
      if (!name) throw invalidParameter('TopicArn or TargetArn Reason: no value for required parameter');
      const topic = authorizedTopic(principal, 'Publish', params, name);
      const sent = publishOne(topic, params, indexed(params, 'MessageAttributes.entry'));
      return { MessageId: sent.messageId, SequenceNumber: sent.sequenceNumber };
    },
    PublishBatch: (principal, params) => {
      const topic = authorizedTopic(principal, 'Publish', params);
      const entries = indexed(params, 'PublishBatchRequestEntries.member');
      if (entries.length === 0)
        throw new SnsError('EmptyBatchRequest', "The batch request doesn't contain any entries.");
      if (entries.length > 10)
        throw new SnsError('TooManyEntriesInBatchRequest', 'The batch request contains more entries than permissible.');
      const ids = entries.map((e) => e.get('Id') ?? '');
      for (const id of ids)
        if (!BATCH_ID.test(id))
          throw new SnsError(
            'InvalidBatchEntryId',
            "The Id of a batch entry in a batch request doesn't abide by the specification.",
          );
      if (new Set(ids).size !== ids.length)
        throw new SnsError('BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.');
      const total = entries.reduce((n, e) => n + Buffer.byteLength(e.get('Message') ?? ''), 0);
      if (total > MAX_MESSAGE_BYTES)
        throw new SnsError(
          'BatchRequestTooLong',
          'The length of all the messages put together is more than the limit.',
        );
      const Successful: XmlValue[] = [];
      const Failed: XmlValue[] = [];
      entries.forEach((entry, i) => {
        const Id = ids[i] ?? '';
        try {
          const sent = publishOne(topic, entry, indexed(entry, 'MessageAttributes.entry'));
          Successful.push({ Id, MessageId: sent.messageId, SequenceNumber: sent.sequenceNumber });
        } catch (error) {
          if (!(error instanceof SnsError)) throw error;
          Failed.push({ Id, Code: error.code, Message: error.message, SenderFault: true });
        }
      });
      return { Successful, Failed };
    },
    Subscribe: (principal, params) => {
      const topic = authorizedTopic(principal, 'Subscribe', params);
      const protocol = requiredParam(params, 'Protocol').toLowerCase();
      if (!PROTOCOLS.has(protocol))
        throw invalidParameter(`Amazon SNS does not support this protocol string: ${protocol}`);
      const endpoint = params.get('Endpoint') ?? '';
      if (protocol === 'sqs' && !/^arn:aws:sqs:/.test(endpoint)) throw invalidParameter('SQS endpoint ARN');
      if (protocol === 'lambda' && !/^arn:aws:lambda:/.test(endpoint)) throw invalidParameter('Lambda endpoint ARN');
      if ((protocol === 'http' || protocol === 'https') && !endpoint.startsWith(`${protocol}://`))
        throw invalidParameter('Endpoint must match the specified protocol');
      if (protocol === 'application')
        throw invalidParameter('the local SNS has no platform applications (mobile push); use the local push service');
      const change = filterAttributes(keyValueMap(params, 'Attributes'));
      const subscription = engine.subscribe({
        topicArn: topic.arn,
        protocol,
        endpoint,
        ...(protocol === 'lambda' ? { functionId: endpoint.split(':').at(-1) ?? endpoint } : {}),
        filterPolicyScope: change.filterPolicyScope ?? 'MessageAttributes',
        rawMessageDelivery: change.rawMessageDelivery ?? false,
        ...(change.filterPolicy !== undefined ? { filterPolicy: change.filterPolicy } : {}),
      });
      return { SubscriptionArn: subscription.arn };
    },
    Unsubscribe: (principal, params) => {
      const subscription = subscriptionOf(principal, 'Unsubscribe', params);
      if (!engine.unsubscribe(subscription.arn))
        throw invalidParameter(
          "SubscriptionArn Reason: the subscription is defined by the backend's templates; remove it there",
        );
      return {};
    },
    ListSubscriptions: (principal, params) => {
      options.allow(principal, 'sns:ListSubscriptions', wildcard);
      const { items, next } = page(engine.subscriptions().map(listed), params, 100);
      return { Subscriptions: items, NextToken: next };
    },
    ListSubscriptionsByTopic: (principal, params) => {
      const topic = authorizedTopic(principal, 'ListSubscriptionsByTopic', params);
      const { items, next } = page(engine.subscriptions(topic.arn).map(listed), params, 100);
      return { Subscriptions: items, NextToken: next };
    },
    GetSubscriptionAttributes: (principal, params) => {
      const s = subscriptionOf(principal, 'GetSubscriptionAttributes', params);
      return {
        Attributes: new XmlMap({
          SubscriptionArn: s.arn,
          TopicArn: s.topicArn,
          Owner: owner,
          Protocol: s.protocol,
          Endpoint: s.endpoint,
          ConfirmationWasAuthenticated: 'true',
          PendingConfirmation: 'false',
          RawMessageDelivery: String(s.rawMessageDelivery),
          ...(s.filterPolicy !== undefined
            ? { FilterPolicy: JSON.stringify(s.filterPolicy), FilterPolicyScope: s.filterPolicyScope }
            : {}),
        }),
      };
    },
    SetSubscriptionAttributes: (principal, params) => {
      const s = subscriptionOf(principal, 'SetSubscriptionAttributes', params);
      const name = requiredParam(params, 'AttributeName');
      const change = filterAttributes({
        [name]: params.get('AttributeValue') ?? '',
        ...(name === 'FilterPolicy' ? { FilterPolicyScope: s.filterPolicyScope } : {}),
      });
      if (!engine.update(s.arn, change))
        throw invalidParameter(
          "SubscriptionArn Reason: the subscription is defined by the backend's templates; change it there",
        );
      return {};
    },
  };
};
