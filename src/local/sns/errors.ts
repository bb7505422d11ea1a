/** SNS's errors as its query protocol answers them: `<Error><Type>Sender</Type><Code>…</Code>`. */

const STATUS = {
  InvalidParameter: 400,
  ParameterValueInvalid: 400,
  NotFound: 404,
  AuthorizationError: 403,
  InvalidAction: 400,
  MissingAction: 400,
  EmptyBatchRequest: 400,
  TooManyEntriesInBatchRequest: 400,
  BatchEntryIdsNotDistinct: 400,
  InvalidBatchEntryId: 400,
  BatchRequestTooLong: 400,
  RequestEntityTooLarge: 413,
} as const;

export type SnsErrorCode = keyof typeof STATUS;

export class SnsError extends Error {
  constructor(
    readonly code: SnsErrorCode,
    message: string,
    readonly status: number = STATUS[code],
  ) {
    super(message);
    this.name = code;
  }
}

export const invalidParameter = (message: string): SnsError =>
  new SnsError('InvalidParameter', `Invalid parameter: ${message}`);
export const topicNotFound = (): SnsError => new SnsError('NotFound', 'Topic does not exist');
