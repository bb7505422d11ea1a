/** An error Lambda answers with: `x-amzn-errortype`, and `{ Type, message }` in the body. */
export class LambdaError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
    /** `User` for the caller's mistakes, `Service` for Lambda's own. */
    readonly kind: 'User' | 'Service' = 'User',
  ) {
    super(message);
    this.name = type;
  }
}

export const functionNotFound = (arn: string): LambdaError =>
  new LambdaError('ResourceNotFoundException', `Function not found: ${arn}`, 404);
