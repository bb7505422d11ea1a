import type { GatewayResponse } from './api';
import type { HttpAnswer } from './event';

/**
 * API Gateway's own answers (401, 403, 400, 413, 429, 5xx) as its gateway
 * responses render them: the response of the error's type, else DEFAULT_4XX
 * or DEFAULT_5XX, else API Gateway's default `{"message": ...}`. Templates are
 * not Velocity: only `$context.*` variables are substituted, and one API
 * Gateway does not know renders as nothing.
 */

/** One error API Gateway answers itself, before or instead of the integration. */
export interface GatewayError {
  /** The gateway response type, e.g. `UNAUTHORIZED`. */
  type: string;
  /** API Gateway's status for the type when no gateway response overrides it. */
  status: number;
  message: string;
  validationErrorString?: string;
}

export interface GatewayRequest {
  requestId: string;
  apiId: string;
  stage: string;
  /** Request headers, lower-case names, for `method.request.header.*` mappings. */
  headers: Record<string, string[]>;
}

const DEFAULT_TEMPLATE = '{"message":$context.error.messageString}';

/** JSON-escaped text without its quotes, for a template that puts it inside "…". */
const escaped = (text: string): string => JSON.stringify(text).slice(1, -1);

/** Substitutes `$context.a.b` from `values`; an unknown variable is empty. */
export const renderGatewayTemplate = (template: string, values: Record<string, string>): string =>
  template.replace(/\$context\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)/g, (_, name: string) => values[name] ?? '');

const errorTypeOf = (status: number): string =>
  ({
    400: 'BadRequestException',
    401: 'UnauthorizedException',
    403: 'MissingAuthenticationTokenException',
    413: 'RequestTooLarge',
    429: 'TooManyRequestsException',
  })[status] ?? 'InternalServerErrorException';

/** The answer for an error, from the API's gateway responses by type. */
export const gatewayAnswer = (
  responses: Readonly<Record<string, GatewayResponse>>,
  error: GatewayError,
  request: GatewayRequest,
): HttpAnswer => {
  const fallback = responses[error.status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX'];
  const response = responses[error.type] ?? fallback;
  // A status on DEFAULT_4XX/5XX applies to every type of its class that does not set its own.
  const status = responses[error.type]?.statusCode ?? fallback?.statusCode ?? error.status;
  const templates = response?.templates ?? {};
  const template = templates['application/json'] ?? Object.values(templates)[0] ?? DEFAULT_TEMPLATE;
  const body = renderGatewayTemplate(template, {
    'error.message': error.message,
    'error.messageString': JSON.stringify(error.message),
    'error.responseType': error.type,
    'error.validationErrorString': escaped(error.validationErrorString ?? ''),
    requestId: request.requestId,
    extendedRequestId: request.requestId,
    apiId: request.apiId,
    stage: request.stage,
  });
  const headers: Record<string, string[]> = {
    'content-type': ['application/json'],
    'x-amzn-errortype': [errorTypeOf(error.status)],
  };
  for (const [name, value] of Object.entries(response?.headers ?? {})) {
    const text = 'value' in value ? value.value : request.headers[value.requestHeader]?.[0];
    if (text !== undefined) headers[name.toLowerCase()] = [text];
  }
  return { status, headers, body: Buffer.from(body) };
};
