import { indexed, type Params, XmlFlat, type XmlValue } from '../http/aws-query';
import type { Json } from './operations';

/**
 * SQS's query protocol (the one older SDKs and tools speak): the form's
 * flattened parameters become the JSON protocol's input, and an operation's
 * JSON output becomes SQS's XML, so both wires run the same operations.
 */

const NUMBERS = new Set(['DelaySeconds', 'MaxNumberOfMessages', 'VisibilityTimeout', 'WaitTimeSeconds', 'MaxResults']);

const scalar = (name: string, value: string): string | number => {
  if (!NUMBERS.has(name)) return value;
  const n = Number(value);
  // A value that is no number is left a string, which the operation refuses with SQS's message.
  return value.trim() !== '' && Number.isFinite(n) ? n : value;
};

const messageAttributes = (params: Params, prefix: string): Json | undefined => {
  const entries = indexed(params, prefix);
  if (entries.length === 0) return undefined;
  return Object.fromEntries(
    entries.map((e) => [
      e.get('Name') ?? '',
      {
        DataType: e.get('Value.DataType'),
        ...(e.has('Value.StringValue') ? { StringValue: e.get('Value.StringValue') } : {}),
        ...(e.has('Value.BinaryValue') ? { BinaryValue: e.get('Value.BinaryValue') } : {}),
      },
    ]),
  );
};

/** One message's fields (SendMessage, or a batch entry). */
const messageInput = (params: Params): Json => {
  const input: Json = {};
  for (const [key, value] of params) if (!key.includes('.')) input[key] = scalar(key, value);
  const attributes = messageAttributes(params, 'MessageAttribute');
  if (attributes) input.MessageAttributes = attributes;
  return input;
};

const names = (params: Params, prefix: string): string[] =>
  indexed(params, prefix).flatMap((e) => {
    const value = e.get('');
    return value === undefined ? [] : [value];
  });

const BATCH_ENTRIES: Record<string, string> = {
  SendMessageBatch: 'SendMessageBatchRequestEntry',
  DeleteMessageBatch: 'DeleteMessageBatchRequestEntry',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibilityBatchRequestEntry',
};

/** The JSON input of a query request; `queueUrl` is the request's own URL, used when the form names none. */
export const queryInput = (action: string, params: Params, queueUrl: string | undefined): Json => {
  const input = messageInput(params);
  delete input.Action;
  delete input.Version;
  if (input.QueueUrl === undefined && queueUrl !== undefined) input.QueueUrl = queueUrl;
  const entryName = BATCH_ENTRIES[action];
  if (entryName) input.Entries = indexed(params, entryName).map(messageInput);
  const attributeNames = names(params, 'AttributeName');
  if (attributeNames.length > 0) input.AttributeNames = attributeNames;
  const messageAttributeNames = names(params, 'MessageAttributeName');
  if (messageAttributeNames.length > 0) input.MessageAttributeNames = messageAttributeNames;
  const systemNames = names(params, 'MessageSystemAttributeName');
  if (systemNames.length > 0) input.MessageSystemAttributeNames = systemNames;
  return input;
};

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const nameValues = (map: unknown): XmlFlat =>
  new XmlFlat(isRecord(map) ? Object.entries(map).map(([Name, Value]) => ({ Name, Value: String(Value) })) : []);

const message = (m: Json): XmlValue => ({
  MessageId: String(m.MessageId),
  ReceiptHandle: String(m.ReceiptHandle),
  MD5OfBody: String(m.MD5OfBody),
  Body: String(m.Body),
  Attribute: nameValues(m.Attributes),
  MD5OfMessageAttributes: m.MD5OfMessageAttributes === undefined ? undefined : String(m.MD5OfMessageAttributes),
  MessageAttribute: new XmlFlat(
    isRecord(m.MessageAttributes)
      ? Object.entries(m.MessageAttributes).map(([Name, v]) => ({
          Name,
          Value: isRecord(v)
            ? {
                StringValue: v.StringValue === undefined ? undefined : String(v.StringValue),
                BinaryValue: typeof v.BinaryValue === 'string' ? v.BinaryValue : undefined,
                DataType: String(v.DataType),
              }
            : undefined,
        }))
      : [],
  ),
});

const strings = (value: Json): Record<string, XmlValue> =>
  Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v === undefined ? undefined : String(v)]));

const entries = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isRecord) : []);

/** An operation's JSON output as SQS's XML result. */
export const queryResult = (action: string, output: Json): XmlValue => {
  switch (action) {
    case 'ReceiveMessage':
      return { Message: new XmlFlat(entries(output.Messages).map(message)) };
    case 'GetQueueAttributes':
      return { Attribute: nameValues(output.Attributes) };
    case 'ListQueues':
      return {
        QueueUrl: new XmlFlat(Array.isArray(output.QueueUrls) ? output.QueueUrls.map(String) : []),
        NextToken: output.NextToken === undefined ? undefined : String(output.NextToken),
      };
    case 'SendMessageBatch':
    case 'DeleteMessageBatch':
    case 'ChangeMessageVisibilityBatch':
      return {
        [`${action}ResultEntry`]: new XmlFlat(entries(output.Successful).map(strings)),
        BatchResultErrorEntry: new XmlFlat(entries(output.Failed).map(strings)),
      };
    default:
      return strings(output);
  }
};
