import type { LocalPrincipal } from '../iam/principals';
import { noSuchQueue, SqsError } from './errors';
import type { MessageAttributeValue } from './md5';
import { md5OfMessageAttributes } from './md5';
import { MAX_VISIBILITY_SECONDS, type QueueConfig, type QueueEngine, type Received } from './queue';

/**
 * SQS's operations over the engine: each checks its input as SQS does (with
 * SQS's codes and wording), asks IAM for the caller's action on the queue,
 * then acts. Inputs and outputs are the JSON protocol's shapes; the wire
 * only parses and serializes.
 */

export type Json = Record<string, unknown>;
export const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export interface SqsOperationsOptions {
  engine: QueueEngine;
  accountId: string;
  region: string;
  /** Throws SQS's AccessDenied unless IAM allows the action on the ARN. */
  allow(principal: LocalPrincipal, action: string, arn: string): void;
  /** The longest a ReceiveMessage waits; SQS's 20 s, shorter in tests. */
  maxWaitMs?: number;
}

export type Operation = (principal: LocalPrincipal, input: Json, signal: AbortSignal) => Promise<Json> | Json;

/** SQS's allowed characters: #x9, #xA, #xD, #x20 to #xD7FF, #xE000 to #xFFFD, #x10000 to #x10FFFF. */
const validBody = (text: string): boolean => {
  for (const char of text) {
    const c = char.codePointAt(0) ?? 0;
    const ok =
      c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || c >= 0x10000;
    if (!ok) return false;
  }
  return true;
};
const BATCH_ID = /^[A-Za-z0-9_-]{1,80}$/;
const ATTRIBUTE_NAME = /^(?!\.)(?!.*\.\.)(?!.*\.$)[A-Za-z0-9_.-]{1,256}$/;

const invalid = (name: string, value: unknown, reason: string) =>
  new SqsError('InvalidParameterValue', `Value ${String(value)} for parameter ${name} is invalid. Reason: ${reason}`);

const required = (input: Json, name: string): string => {
  const value = input[name];
  if (value === undefined || value === null || value === '')
    throw new SqsError('MissingParameter', `The request must contain the parameter ${name}.`);
  if (typeof value !== 'string') throw invalid(name, JSON.stringify(value), 'Must be a string.');
  return value;
};

const optionalInt = (input: Json, name: string, min: number, max: number, reason: string): number | undefined => {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalid(name, value, reason);
  return value;
};

const optionalString = (input: Json, name: string): string | undefined => {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(name, JSON.stringify(value), 'Must be a string.');
  return value;
};

/** Message attributes as SQS accepts them: at most 10, named and typed as it requires. */
export const messageAttributesOf = (value: unknown): Record<string, MessageAttributeValue> => {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw new SqsError('InvalidParameterValue', 'MessageAttributes must be a map.');
  const entries = Object.entries(value);
  if (entries.length > 10)
    throw new SqsError(
      'InvalidParameterValue',
      `Number of message attributes [${entries.length}] exceeds the allowed maximum [10].`,
    );
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, raw] of entries) {
    if (!ATTRIBUTE_NAME.test(name) || /^(aws\.|amazon\.)/i.test(name))
      throw new SqsError(
        'InvalidParameterValue',
        `Message (user) attribute name '${name}' is invalid. The name can contain alphanumeric characters and the underscore (_), hyphen (-), and period (.) and cannot start with AWS. or Amazon.`,
      );
    if (
      !isRecord(raw) ||
      typeof raw.DataType !== 'string' ||
      !/^(String|Number|Binary)(\.[A-Za-z0-9_.-]+)?$/.test(raw.DataType)
    )
      throw new SqsError(
        'InvalidParameterValue',
        `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    const type = raw.DataType;
    if (type.startsWith('Binary')) {
      if (typeof raw.BinaryValue !== 'string' || raw.BinaryValue.length === 0)
        throw new SqsError(
          'InvalidParameterValue',
          `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
        );
      attributes[name] = { DataType: type, BinaryValue: Buffer.from(raw.BinaryValue, 'base64') };
      continue;
    }
    if (typeof raw.StringValue !== 'string' || raw.StringValue.length === 0)
      throw new SqsError(
        'InvalidParameterValue',
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
      );
    if (!validBody(raw.StringValue))
      throw new SqsError('InvalidParameterValue', `The message attribute '${name}' contains invalid characters.`);
    if (type.startsWith('Number') && !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(raw.StringValue.trim()))
      throw new SqsError(
        'InvalidParameterValue',
        `Can't cast the value of message (user) attribute '${name}' to a number.`,
      );
    attributes[name] = { DataType: type, StringValue: raw.StringValue };
  }
  return attributes;
};

const attributesSize = (attributes: Record<string, MessageAttributeValue>): number =>
  Object.entries(attributes).reduce(
    (n, [name, v]) =>
      n +
      Buffer.byteLength(name) +
      Buffer.byteLength(v.DataType) +
      (v.BinaryValue ? v.BinaryValue.length : Buffer.byteLength(v.StringValue ?? '')),
    0,
  );

/** The message of a SendMessage or a batch entry, checked for its queue. */
const messageOf = (queue: QueueConfig, input: Json) => {
  const body = required(input, 'MessageBody');
  if (!validBody(body))
    throw new SqsError(
      'InvalidMessageContents',
      'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
    );
  const attributes = messageAttributesOf(input.MessageAttributes);
  const size = Buffer.byteLength(body) + attributesSize(attributes);
  if (size > queue.maximumMessageSize)
    throw new SqsError(
      'InvalidParameterValue',
      `One or more parameters are invalid. Reason: Message must be shorter than ${queue.maximumMessageSize} bytes.`,
    );
  const delaySeconds = optionalInt(input, 'DelaySeconds', 0, 900, 'DelaySeconds must be >= 0 and <= 900.');
  const groupId = optionalString(input, 'MessageGroupId');
  const deduplicationId = optionalString(input, 'MessageDeduplicationId');
  if (queue.fifo) {
    if (delaySeconds !== undefined && delaySeconds !== 0)
      throw invalid(
        'DelaySeconds',
        delaySeconds,
        'The request include parameter that is not valid for this queue type.',
      );
    if (!groupId) throw new SqsError('MissingParameter', 'The request must contain the parameter MessageGroupId.');
    if (!deduplicationId && !queue.contentBasedDeduplication)
      throw new SqsError(
        'InvalidParameterValue',
        'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
      );
  } else if (deduplicationId !== undefined) {
    throw invalid(
      'MessageDeduplicationId',
      deduplicationId,
      'The request include parameter that is not valid for this queue type.',
    );
  }
  return { body, attributes, delaySeconds, groupId, deduplicationId, size };
};

interface BatchEntry {
  Id: string;
  entry: Json;
}

/** A batch's entries, checked as SQS checks the request as a whole. */
const batchOf = (input: Json, entryName: string): BatchEntry[] => {
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length === 0)
    throw new SqsError('EmptyBatchRequest', `There should be at least one ${entryName} in the request.`);
  if (entries.length > 10)
    throw new SqsError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are 10. You have sent ${entries.length}.`,
    );
  const seen = new Set<string>();
  return entries.map((entry) => {
    const id = isRecord(entry) ? entry.Id : undefined;
    if (!isRecord(entry) || typeof id !== 'string' || !BATCH_ID.test(id))
      throw new SqsError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    if (seen.has(id)) throw new SqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    seen.add(id);
    return { Id: id, entry };
  });
};

const failedEntry = (Id: string, error: unknown) => {
  if (!(error instanceof SqsError)) throw error;
  return { Id, SenderFault: true, Code: error.queryCode, Message: error.message };
};

/** A received message's system attributes, as `names` ask for them. */
const systemAttributesOf = ({ message }: Received, names: ReadonlySet<string>): Record<string, string> => {
  const all = names.has('All');
  const values: Record<string, string | undefined> = {
    SenderId: message.senderId,
    SentTimestamp: String(message.sentAt),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
    SequenceNumber: message.sequenceNumber,
    MessageDeduplicationId: message.deduplicationId,
    MessageGroupId: message.groupId,
    DeadLetterQueueSourceArn: message.deadLetterSourceArn,
  };
  return Object.fromEntries(
    Object.entries(values).flatMap(([k, v]) => (v !== undefined && (all || names.has(k)) ? [[k, v]] : [])),
  );
};

/** Which message attributes a receive asked for: `All`, `.*`, `prefix.*` or names. */
const wantsAttribute = (patterns: readonly string[], name: string): boolean =>
  patterns.some(
    (p) => p === 'All' || p === '.*' || p === name || (p.endsWith('.*') && name.startsWith(p.slice(0, -1))),
  );

const stringList = (input: Json, name: string): string[] => {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw invalid(name, JSON.stringify(value), 'Must be a list of strings.');
  return value;
};

const QUEUE_ATTRIBUTES = [
  'All',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'Policy',
  'QueueArn',
  'ReceiveMessageWaitTimeSeconds',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'VisibilityTimeout',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
];

export const sqsOperations = (options: SqsOperationsOptions): Record<string, Operation> => {
  const { engine } = options;
  const maxWaitMs = options.maxWaitMs ?? 20_000;
  const queueOf = (input: Json): QueueConfig => {
    const queue = engine.find(required(input, 'QueueUrl'));
    if (!queue) throw noSuchQueue();
    return queue;
  };
  const authorized = (principal: LocalPrincipal, action: string, input: Json): QueueConfig => {
    const queue = queueOf(input);
    options.allow(principal, `sqs:${action}`, queue.arn);
    return queue;
  };
  const senderOf = (principal: LocalPrincipal): string =>
    principal.kind === 'admin' ? options.accountId : `${principal.accessKeyId}:${principal.name}`;

  const sendOne = (queue: QueueConfig, principal: LocalPrincipal, input: Json) => {
    const { body, attributes, delaySeconds, groupId, deduplicationId } = messageOf(queue, input);
    const sent = engine.send(
      queue,
      {
        body,
        attributes,
        ...(delaySeconds !== undefined ? { delaySeconds } : {}),
        ...(groupId !== undefined ? { groupId } : {}),
        ...(deduplicationId !== undefined ? { deduplicationId } : {}),
      },
      senderOf(principal),
    );
    return {
      MessageId: sent.id,
      MD5OfMessageBody: sent.md5OfBody,
      ...(sent.md5OfAttributes ? { MD5OfMessageAttributes: sent.md5OfAttributes } : {}),
      ...(sent.sequenceNumber ? { SequenceNumber: sent.sequenceNumber } : {}),
    };
  };

  const visibilityOf = (input: Json): number | undefined =>
    optionalInt(
      input,
      'VisibilityTimeout',
      0,
      MAX_VISIBILITY_SECONDS,
      `VisibilityTimeout must be an integer between 0 and ${MAX_VISIBILITY_SECONDS}`,
    );

  return {
    GetQueueUrl: (principal, input) => {
      const name = required(input, 'QueueName');
      const owner = optionalString(input, 'QueueOwnerAWSAccountId');
      const queue = owner && owner !== options.accountId ? undefined : engine.find(name);
      if (!queue) throw noSuchQueue();
      options.allow(principal, 'sqs:GetQueueUrl', queue.arn);
      return { QueueUrl: queue.url };
    },
    ListQueues: (principal, input) => {
      const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
      const max = optionalInt(input, 'MaxResults', 1, 1000, 'MaxResults must be an integer between 1 and 1000.');
      options.allow(principal, 'sqs:ListQueues', `arn:aws:sqs:${options.region}:${options.accountId}:*`);
      const urls = engine
        .list()
        .filter((q) => q.name.startsWith(prefix))
        .map((q) => q.url)
        .sort();
      const start = Number(optionalString(input, 'NextToken') ?? '0');
      if (!Number.isInteger(start) || start < 0) throw invalid('NextToken', input.NextToken, 'Invalid token.');
      const page = max === undefined ? urls.slice(0, 1000) : urls.slice(start, start + max);
      const next = max !== undefined && start + max < urls.length ? { NextToken: String(start + max) } : {};
      return page.length > 0 ? { QueueUrls: page, ...next } : {};
    },
    GetQueueAttributes: (principal, input) => {
      const queue = authorized(principal, 'GetQueueAttributes', input);
      const names = stringList(input, 'AttributeNames');
      for (const name of names)
        if (!QUEUE_ATTRIBUTES.includes(name)) throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
      const counts = engine.counts(queue);
      const values: Record<string, string | undefined> = {
        QueueArn: queue.arn,
        ApproximateNumberOfMessages: String(counts.visible),
        ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
        ApproximateNumberOfMessagesDelayed: String(counts.delayed),
        CreatedTimestamp: '0',
        LastModifiedTimestamp: '0',
        VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
        MaximumMessageSize: String(queue.maximumMessageSize),
        MessageRetentionPeriod: String(queue.retentionSeconds),
        DelaySeconds: String(queue.delaySeconds),
        ReceiveMessageWaitTimeSeconds: String(queue.receiveWaitTimeSeconds),
        RedrivePolicy: queue.redrive ? JSON.stringify(queue.redrive) : undefined,
        SqsManagedSseEnabled: 'true',
        ...(queue.fifo
          ? { FifoQueue: 'true', ContentBasedDeduplication: String(queue.contentBasedDeduplication) }
          : {}),
      };
      const wanted = new Set(names);
      const Attributes = Object.fromEntries(
        Object.entries(values).flatMap(([k, v]) =>
          v !== undefined && (wanted.has('All') || wanted.has(k)) ? [[k, v]] : [],
        ),
      );
      return Object.keys(Attributes).length > 0 ? { Attributes } : {};
    },
    SendMessage: (principal, input) => {
      const queue = authorized(principal, 'SendMessage', input);
      return sendOne(queue, principal, input);
    },
    SendMessageBatch: (principal, input) => {
      const queue = authorized(principal, 'SendMessage', input);
      const entries = batchOf(input, 'SendMessageBatchRequestEntry');
      const total = entries.reduce((n, { entry }) => {
        try {
          return n + messageOf(queue, entry).size;
        } catch {
          return n;
        }
      }, 0);
      if (total > queue.maximumMessageSize)
        throw new SqsError(
          'BatchRequestTooLong',
          `Batch requests cannot be longer than ${queue.maximumMessageSize} bytes. You have sent ${total} bytes.`,
        );
      const Successful: Json[] = [];
      const Failed: Json[] = [];
      for (const { Id, entry } of entries) {
        try {
          Successful.push({ Id, ...sendOne(queue, principal, entry) });
        } catch (error) {
          Failed.push(failedEntry(Id, error));
        }
      }
      return { Successful, Failed };
    },
    ReceiveMessage: async (principal, input, signal) => {
      const queue = authorized(principal, 'ReceiveMessage', input);
      const max = optionalInt(input, 'MaxNumberOfMessages', 1, 10, 'Must be between 1 and 10, if provided.') ?? 1;
      const visibility = visibilityOf(input);
      const wait =
        optionalInt(input, 'WaitTimeSeconds', 0, 20, 'Must be >= 0 and <= 20, if provided.') ??
        queue.receiveWaitTimeSeconds;
      const systemNames = new Set([
        ...stringList(input, 'AttributeNames'),
        ...stringList(input, 'MessageSystemAttributeNames'),
      ]);
      const attributePatterns = stringList(input, 'MessageAttributeNames');
      const deadline = Date.now() + Math.min(wait * 1000, maxWaitMs);
      let received = engine.receive(queue, max, visibility);
      // Long polling: answer as soon as a message is there, or when the wait is over.
      while (received.length === 0 && Date.now() < deadline && !signal.aborted) {
        await engine.waitFor(queue.name, deadline - Date.now(), signal);
        received = engine.receive(queue, max, visibility);
      }
      const Messages = received.map((r) => {
        const attributes = Object.fromEntries(
          Object.entries(r.message.attributes).filter(([name]) => wantsAttribute(attributePatterns, name)),
        );
        const decoded = Object.fromEntries(
          Object.entries(attributes).map(([name, v]) => [
            name,
            {
              DataType: v.DataType,
              StringValue: v.StringValue,
              BinaryValue: v.BinaryValue ? Buffer.from(v.BinaryValue, 'base64') : undefined,
            },
          ]),
        );
        const md5 = md5OfMessageAttributes(decoded);
        const system = systemAttributesOf(r, systemNames);
        return {
          MessageId: r.message.id,
          ReceiptHandle: r.receiptHandle,
          MD5OfBody: r.message.md5OfBody,
          Body: r.message.body,
          ...(Object.keys(system).length > 0 ? { Attributes: system } : {}),
          ...(md5 ? { MD5OfMessageAttributes: md5, MessageAttributes: attributes } : {}),
        };
      });
      return Messages.length > 0 ? { Messages } : {};
    },
    DeleteMessage: (principal, input) => {
      const queue = authorized(principal, 'DeleteMessage', input);
      engine.delete(queue, required(input, 'ReceiptHandle'));
      return {};
    },
    DeleteMessageBatch: (principal, input) => {
      const queue = authorized(principal, 'DeleteMessage', input);
      const Successful: Json[] = [];
      const Failed: Json[] = [];
      for (const { Id, entry } of batchOf(input, 'DeleteMessageBatchRequestEntry')) {
        try {
          engine.delete(queue, required(entry, 'ReceiptHandle'));
          Successful.push({ Id });
        } catch (error) {
          Failed.push(failedEntry(Id, error));
        }
      }
      return { Successful, Failed };
    },
    ChangeMessageVisibility: (principal, input) => {
      const queue = authorized(principal, 'ChangeMessageVisibility', input);
      const handle = required(input, 'ReceiptHandle');
      const seconds = visibilityOf(input);
      if (seconds === undefined)
        throw new SqsError('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
      engine.changeVisibility(queue, handle, seconds);
      return {};
    },
    ChangeMessageVisibilityBatch: (principal, input) => {
      const queue = authorized(principal, 'ChangeMessageVisibility', input);
      const Successful: Json[] = [];
      const Failed: Json[] = [];
      for (const { Id, entry } of batchOf(input, 'ChangeMessageVisibilityBatchRequestEntry')) {
        try {
          const seconds = visibilityOf(entry);
          if (seconds === undefined)
            throw new SqsError('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
          engine.changeVisibility(queue, required(entry, 'ReceiptHandle'), seconds);
          Successful.push({ Id });
        } catch (error) {
          Failed.push(failedEntry(Id, error));
        }
      }
      return { Successful, Failed };
    },
    PurgeQueue: (principal, input) => {
      engine.purge(authorized(principal, 'PurgeQueue', input));
      return {};
    },
  };
};

/** Operations SQS has that the local one refuses: its queues are the assembly's. */
export const UNSUPPORTED = new Set([
  'CreateQueue',
  'DeleteQueue',
  'SetQueueAttributes',
  'TagQueue',
  'UntagQueue',
  'ListQueueTags',
  'AddPermission',
  'RemovePermission',
  'ListDeadLetterSourceQueues',
  'StartMessageMoveTask',
  'CancelMessageMoveTask',
  'ListMessageMoveTasks',
]);
