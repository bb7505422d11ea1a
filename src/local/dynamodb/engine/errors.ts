/**
 * The errors the engine throws: each is one of DynamoDB's error types, which
 * the HTTP front (`../embedded.ts`) writes as `__type` with the message.
 */

type Json = Record<string, unknown>;

/** DynamoDB's ValidationException: a request DynamoDB refuses, with its message. */
export class ValidationError extends Error {
  override readonly name = 'ValidationException';
}

/** An error DynamoDB would return: `name` is its type, as in `__type`. */
export class DatabaseError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly statusCode = 400,
    readonly extra?: Json,
  ) {
    super(message);
  }
}

export const invalid = (message: string): ValidationError => new ValidationError(message);
export const notFound = (message: string): DatabaseError => new DatabaseError('ResourceNotFoundException', message);
