/**
 * An OAuth 2.0 error as Cognito's token, userInfo and revoke endpoints answer
 * it: HTTP 400 (401 for a bad bearer token) with `{"error": "<code>"}`.
 */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  constructor(
    readonly error:
      | 'invalid_request'
      | 'invalid_client'
      | 'invalid_grant'
      | 'unauthorized_client'
      | 'unsupported_grant_type'
      | 'invalid_token'
      | 'unsupported_token_type',
    readonly description: string,
    readonly status = 400,
  ) {
    super(`${error}: ${description}`);
  }
}

/**
 * An authorize or logout request that cannot go back to the app (unknown
 * client, a redirect or logout URL the client does not list): Cognito shows
 * its own error page rather than redirect anywhere, so nothing redirects to
 * a URL the app did not register.
 */
export class OAuthPageError extends Error {
  override readonly name = 'OAuthPageError';
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
  }
}

/** An authorize request with a valid client and redirect URL but bad parameters: the error goes to the app. */
export class OAuthRedirectError extends Error {
  override readonly name = 'OAuthRedirectError';
  constructor(
    readonly redirectUri: string,
    readonly error:
      | 'invalid_request'
      | 'unauthorized_client'
      | 'unsupported_response_type'
      | 'invalid_scope'
      | 'server_error',
    readonly description: string,
    readonly state: string | undefined,
  ) {
    super(`${error}: ${description}`);
  }
}
