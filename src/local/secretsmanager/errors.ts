/** An error Secrets Manager answers with: its `__type` and message, HTTP 400 unless said otherwise. */
export class SecretsManagerError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export const notFound = (message = "Secrets Manager can't find the specified secret."): SecretsManagerError =>
  new SecretsManagerError('ResourceNotFoundException', message);

export const invalidRequest = (message: string): SecretsManagerError =>
  new SecretsManagerError('InvalidRequestException', message);

export const invalidParameter = (message: string): SecretsManagerError =>
  new SecretsManagerError('InvalidParameterException', message);

export const MARKED_FOR_DELETION = "You can't perform this operation on the secret because it was marked for deletion.";
