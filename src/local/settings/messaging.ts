import type { CloudAssembly } from '../cloud/assembly';
import type { QueueConfig } from '../sqs/queue';
import { isRecord, logicalIdOfRef } from './names';

/**
 * The queues, topics, subscriptions and queue → function mappings of an
 * assembly, with the local names its references resolve to. Pure functions
 * of the templates, as the other settings are.
 */

const numberOr = (value: unknown, fallback: number): number => {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : fallback;
};

const bool = (value: unknown): boolean => value === true || value === 'true';

/** The template's queues, with SQS's defaults for what they leave out. */
export const queuesOf = (assembly: CloudAssembly): QueueConfig[] =>
  assembly.resources('AWS::SQS::Queue').map(({ stack, logicalId, properties }) => {
    const props = stack.resolve(properties);
    const p = isRecord(props) ? props : {};
    const redrive = typeof p.RedrivePolicy === 'string' ? safeJson(p.RedrivePolicy) : p.RedrivePolicy;
    return {
      name: String(stack.getAtt(logicalId, 'QueueName')),
      arn: String(stack.getAtt(logicalId, 'Arn')),
      url: String(stack.ref(logicalId)),
      fifo: bool(p.FifoQueue),
      contentBasedDeduplication: bool(p.ContentBasedDeduplication),
      visibilityTimeoutSeconds: numberOr(p.VisibilityTimeout, 30),
      delaySeconds: numberOr(p.DelaySeconds, 0),
      retentionSeconds: numberOr(p.MessageRetentionPeriod, 345_600),
      maximumMessageSize: numberOr(p.MaximumMessageSize, 1_048_576),
      receiveWaitTimeSeconds: numberOr(p.ReceiveMessageWaitTimeSeconds, 0),
      ...(isRecord(redrive) && typeof redrive.deadLetterTargetArn === 'string'
        ? {
            redrive: {
              deadLetterTargetArn: redrive.deadLetterTargetArn,
              maxReceiveCount: numberOr(redrive.maxReceiveCount, 10),
            },
          }
        : {}),
    };
  });

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

export interface TopicConfig {
  name: string;
  arn: string;
  fifo: boolean;
  contentBasedDeduplication: boolean;
}

export interface SubscriptionConfig {
  /** Stable across restarts: the template's resource, or the topic and its index in `Subscription`. */
  arn: string;
  topicArn: string;
  protocol: string;
  endpoint: string;
  /** For `lambda`: the function's logical ID. */
  functionId?: string;
  filterPolicy?: unknown;
  filterPolicyScope: 'MessageAttributes' | 'MessageBody';
  rawMessageDelivery: boolean;
}

export const topicsOf = (assembly: CloudAssembly): TopicConfig[] =>
  assembly.resources('AWS::SNS::Topic').map(({ stack, logicalId, properties }) => {
    const props = stack.resolve(properties);
    const p = isRecord(props) ? props : {};
    return {
      name: String(stack.getAtt(logicalId, 'TopicName')),
      arn: String(stack.ref(logicalId)),
      fifo: bool(p.FifoTopic),
      contentBasedDeduplication: bool(p.ContentBasedDeduplication),
    };
  });

const subscriptionOf = (arn: string, topicArn: string, p: Record<string, unknown>): SubscriptionConfig => {
  const protocol = String(p.Protocol ?? '').toLowerCase();
  const endpoint = String(p.Endpoint ?? '');
  const policy = typeof p.FilterPolicy === 'string' ? safeJson(p.FilterPolicy) : p.FilterPolicy;
  return {
    arn,
    topicArn,
    protocol,
    endpoint,
    ...(protocol === 'lambda' ? { functionId: logicalIdOfRef(endpoint) } : {}),
    ...(policy !== undefined ? { filterPolicy: policy } : {}),
    filterPolicyScope: p.FilterPolicyScope === 'MessageBody' ? 'MessageBody' : 'MessageAttributes',
    rawMessageDelivery: bool(p.RawMessageDelivery),
  };
};

/** The template's subscriptions: `AWS::SNS::Subscription`s and the topics' own `Subscription` lists. */
export const subscriptionsOf = (assembly: CloudAssembly): SubscriptionConfig[] => [
  ...assembly.resources('AWS::SNS::Subscription').flatMap(({ stack, logicalId, properties }) => {
    const props = stack.resolve(properties);
    if (!isRecord(props) || typeof props.TopicArn !== 'string') return [];
    return [subscriptionOf(`${props.TopicArn}:${logicalId}`, props.TopicArn, props)];
  }),
  ...assembly.resources('AWS::SNS::Topic').flatMap(({ stack, logicalId, properties }) => {
    const list = stack.resolve(properties.Subscription);
    const topicArn = String(stack.ref(logicalId));
    return Array.isArray(list)
      ? list.filter(isRecord).map((s, i) => subscriptionOf(`${topicArn}:subscription-${i}`, topicArn, s))
      : [];
  }),
];

export interface QueueMappingDefinition {
  id: string;
  queueArn: string;
  functionId: string;
  batchSize: number;
  batchingWindowMs: number;
  reportBatchItemFailures: boolean;
  enabled: boolean;
  /** Event filter patterns (any may match); a message that matches none is deleted, as Lambda does. */
  filters: unknown[];
}

/** The event source mappings from SQS queues. */
export const queueMappingsOf = (assembly: CloudAssembly): QueueMappingDefinition[] =>
  assembly.resources('AWS::Lambda::EventSourceMapping').flatMap(({ logicalId, stack, properties }) => {
    const props = stack.resolve(properties);
    if (!isRecord(props)) return [];
    const queueArn = String(props.EventSourceArn);
    const functionId = logicalIdOfRef(props.FunctionName);
    if (!/^arn:aws:sqs:/.test(queueArn) || !functionId) return [];
    const filters =
      isRecord(props.FilterCriteria) && Array.isArray(props.FilterCriteria.Filters) ? props.FilterCriteria.Filters : [];
    return [
      {
        id: logicalId,
        queueArn,
        functionId,
        batchSize: numberOr(props.BatchSize, 10),
        batchingWindowMs: numberOr(props.MaximumBatchingWindowInSeconds, 0) * 1000,
        reportBatchItemFailures:
          Array.isArray(props.FunctionResponseTypes) && props.FunctionResponseTypes.includes('ReportBatchItemFailures'),
        enabled: props.Enabled !== false,
        filters: filters.filter(isRecord).flatMap((f) => {
          const pattern = typeof f.Pattern === 'string' ? safeJson(f.Pattern) : undefined;
          return pattern === undefined ? [] : [pattern];
        }),
      },
    ];
  });

/** The functions that queues and topics invoke: SQS mappings' and lambda subscriptions'. */
export const messagingFunctionIds = (assembly: CloudAssembly): string[] => [
  ...queueMappingsOf(assembly).map((m) => m.functionId),
  ...subscriptionsOf(assembly).flatMap((s) => (s.functionId ? [s.functionId] : [])),
];
