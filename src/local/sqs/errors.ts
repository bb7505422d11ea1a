/**
 * SQS's errors as its JSON protocol answers them: a `__type` (the shape's
 * name), the query protocol's code in `x-amzn-query-error` (the SDK, being
 * query-compatible, reads it), and the HTTP status.
 */

const ERRORS = {
  QueueDoesNotExist: { query: 'AWS.SimpleQueueService.NonExistentQueue', status: 400 },
  InvalidParameterValue: { query: 'InvalidParameterValue', status: 400 },
  MissingParameter: { query: 'MissingParameter', status: 400 },
  InvalidAttributeName: { query: 'InvalidAttributeName', status: 400 },
  InvalidMessageContents: { query: 'InvalidMessageContents', status: 400 },
  ReceiptHandleIsInvalid: { query: 'ReceiptHandleIsInvalid', status: 404 },
  MessageNotInflight: { query: 'AWS.SimpleQueueService.MessageNotInflight', status: 400 },
  EmptyBatchRequest: { query: 'AWS.SimpleQueueService.EmptyBatchRequest', status: 400 },
  TooManyEntriesInBatchRequest: { query: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', status: 400 },
  BatchEntryIdsNotDistinct: { query: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', status: 400 },
  InvalidBatchEntryId: { query: 'AWS.SimpleQueueService.InvalidBatchEntryId', status: 400 },
  BatchRequestTooLong: { query: 'AWS.SimpleQueueService.BatchRequestTooLong', status: 400 },
  PurgeQueueInProgress: { query: 'AWS.SimpleQueueService.PurgeQueueInProgress', status: 403 },
  UnsupportedOperation: { query: 'AWS.SimpleQueueService.UnsupportedOperation', status: 400 },
  AccessDenied: { query: 'AccessDenied', status: 403 },
  InvalidAction: { query: 'InvalidAction', status: 400 },
  RequestEntityTooLarge: { query: 'RequestEntityTooLarge', status: 413 },
  SerializationException: { query: 'SerializationException', status: 400 },
} as const;

export type SqsErrorCode = keyof typeof ERRORS;

export class SqsError extends Error {
  constructor(
    readonly code: SqsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = code;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  get queryCode(): string {
    return ERRORS[this.code].query;
  }

  /** The JSON protocol's `__type`. */
  get type(): string {
    if (this.code === 'AccessDenied') return 'com.amazon.coral.service#AccessDeniedException';
    if (this.code === 'SerializationException') return 'com.amazon.coral.service#SerializationException';
    return `com.amazonaws.sqs#${this.code}`;
  }
}

export const noSuchQueue = (): SqsError => new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
