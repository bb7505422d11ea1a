import type { IncomingHttpHeaders } from 'node:http';

/**
 * Who signed a request to a local AWS service, as SigV4 proves it. Every
 * local service that the cloud authenticates with SigV4 (Cognito's admin
 * operations, DynamoDB, CloudSearch, S3, SSM, ...) asks a `SignedRequestVerifier`
 * and then `authorize`s the action, the way IAM would: the local admin may do
 * anything, a function what its role's synthesized policies allow, an
 * identity-pool identity what its role allows.
 */
export interface LocalPrincipal {
  accessKeyId: string;
  kind: 'admin' | 'function' | 'identity';
  /** The role whose policies apply (functions and identities). */
  roleArn?: string;
  /** For logs and errors: "admin", the function's logical ID, or the identity ID. */
  name: string;
}

/** A request as a local server received it: the raw URL (path and query, still percent-encoded) and the whole body. */
export interface SignedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The error a service answers for a missing or bad signature, with the service's own code. */
export class SignedRequestError extends Error {
  constructor(
    /** e.g. `MissingAuthenticationTokenException`, `UnrecognizedClientException`, `InvalidSignatureException`. */
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

/**
 * Verifies a SigV4-signed request for one service (`cognito-idp`, `dynamodb`,
 * `cloudsearch`, `s3`, ...): returns the signer, or throws `SignedRequestError`.
 */
export type SignedRequestVerifier = (request: SignedRequest, service: string) => LocalPrincipal;

/** The IAM decision for a principal's action on a resource. */
export type PrincipalAuthorizer = (
  principal: LocalPrincipal,
  request: { action: string; resource: string; context?: Record<string, string> },
) => 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';
