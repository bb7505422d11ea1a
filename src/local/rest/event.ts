import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { JsonSchema, LocalMethod } from './api';

/**
 * The wire ↔ Lambda part of API Gateway's proxy integration (payload 1.0):
 * the event a function receives, and the HTTP answer its result becomes.
 */

export interface IncomingRequest {
  method: string;
  /** The path below the stage, e.g. `/notes/42`. */
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  /** Header names as received (Node lower-cases them), with every value. */
  headers: Record<string, string[]>;
  body: Buffer;
  sourceIp: string;
}

export interface EventContext {
  apiId: string;
  stage: string;
  accountId: string;
  claims?: Record<string, unknown>;
  pathParameters: Record<string, string> | null;
  requestTimeEpoch?: number;
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript)|[^;]*\+json|[^;]*\+xml)/i;

const singles = (multi: Record<string, string[]>): Record<string, string> =>
  Object.fromEntries(Object.entries(multi).flatMap(([k, v]) => (v.length > 0 ? [[k, v[v.length - 1] ?? '']] : [])));

export const parseQuery = (query: string): Record<string, string[]> => {
  const params: Record<string, string[]> = {};
  if (!query) return params;
  for (const [name, value] of new URLSearchParams(query)) params[name] = [...(params[name] ?? []), value];
  return params;
};

/** Claims as API Gateway's Cognito authorizer passes them: every value a string. */
export const claimsForEvent = (claims: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(claims).map(([name, value]) => [
      name,
      Array.isArray(value)
        ? value.map(String).join(',')
        : typeof value === 'number' && (name === 'exp' || name === 'iat' || name === 'auth_time')
          ? new Date(value * 1000).toUTCString().replace('GMT', 'UTC')
          : String(value),
    ]),
  );

export const proxyEvent = (
  request: IncomingRequest,
  method: LocalMethod,
  context: EventContext,
): APIGatewayProxyEvent => {
  const query = parseQuery(request.query);
  const headers = singles(request.headers);
  const contentType = headers['content-type'] ?? '';
  const binary = request.body.length > 0 && contentType !== '' && !TEXT_TYPES.test(contentType);
  const now = context.requestTimeEpoch ?? Date.now();
  const fullPath = `/${context.stage}${request.path}`;
  return {
    resource: method.resourcePath,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders: request.headers,
    queryStringParameters: Object.keys(query).length > 0 ? singles(query) : null,
    multiValueQueryStringParameters: Object.keys(query).length > 0 ? query : null,
    pathParameters: context.pathParameters,
    stageVariables: null,
    requestContext: {
      accountId: context.accountId,
      apiId: context.apiId,
      authorizer: context.claims ? { claims: claimsForEvent(context.claims) } : null,
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: (headers.host ?? '127').split('.')[0] ?? '',
      extendedRequestId: randomUUID(),
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp,
        user: null,
        userAgent: headers['user-agent'] ?? null,
        userArn: null,
      },
      path: fullPath,
      protocol: 'HTTP/1.1',
      requestId: randomUUID(),
      requestTime: new Date(now).toUTCString(),
      requestTimeEpoch: now,
      resourceId: method.logicalId,
      resourcePath: method.resourcePath,
      stage: context.stage,
    },
    body: request.body.length === 0 ? null : binary ? request.body.toString('base64') : request.body.toString('utf8'),
    isBase64Encoded: binary,
  };
};

export interface HttpAnswer {
  status: number;
  headers: Record<string, string[]>;
  body: Buffer;
}

const INTERNAL_ERROR: HttpAnswer = {
  status: 502,
  headers: { 'content-type': ['application/json'] },
  body: Buffer.from('{"message": "Internal server error"}'),
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A function's result as API Gateway answers it; a malformed one is its 502. */
export const proxyAnswer = (result: unknown): HttpAnswer => proxyResult(result) ?? INTERNAL_ERROR;

/** A function's result as an HTTP answer, or undefined when API Gateway would find it malformed. */
export const proxyResult = (result: unknown): HttpAnswer | undefined => {
  if (!isRecord(result)) return undefined;
  const allowed = new Set(['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded']);
  if (Object.keys(result).some((key) => !allowed.has(key))) return undefined;
  const status = result.statusCode === undefined ? 200 : Number(result.statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) return undefined;
  if (result.body !== undefined && result.body !== null && typeof result.body !== 'string') return undefined;
  const headers: Record<string, string[]> = {};
  if (result.headers !== undefined && result.headers !== null) {
    if (!isRecord(result.headers)) return undefined;
    for (const [name, value] of Object.entries(result.headers)) headers[name.toLowerCase()] = [String(value)];
  }
  if (result.multiValueHeaders !== undefined && result.multiValueHeaders !== null) {
    if (!isRecord(result.multiValueHeaders)) return undefined;
    for (const [name, values] of Object.entries(result.multiValueHeaders)) {
      if (!Array.isArray(values)) return undefined;
      // Both given: API Gateway appends the single value's to the list.
      headers[name.toLowerCase()] = [...values.map(String), ...(headers[name.toLowerCase()] ?? [])];
    }
  }
  const text = typeof result.body === 'string' ? result.body : '';
  const body = result.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  if (!headers['content-type']) headers['content-type'] = ['application/json'];
  return { status, headers, body };
};

/** A request API Gateway's validator refuses: the gateway response type, its message and the details. */
export interface ValidationFailure {
  type: 'BAD_REQUEST_PARAMETERS' | 'BAD_REQUEST_BODY';
  message: string;
  /** What `$context.error.validationErrorString` gives: each problem, in brackets. */
  validationErrorString: string;
}

/**
 * API Gateway's request validation: required query strings and headers,
 * then the body against the method's model (draft-4 JSON Schema: the
 * keywords models use). Returns API Gateway's message, or undefined.
 */
export const validationProblem = (method: LocalMethod, request: IncomingRequest): ValidationFailure | undefined => {
  if (method.validateParameters) {
    const query = parseQuery(request.query);
    const missing = [
      ...method.requiredQuery.filter((name) => !(name in query)),
      ...method.requiredHeaders.filter((name) => !(name in request.headers)),
    ];
    if (missing.length > 0) {
      const message = `Missing required request parameters: [${missing.join(', ')}]`;
      return { type: 'BAD_REQUEST_PARAMETERS', message, validationErrorString: message };
    }
  }
  const schemas = Object.entries(method.bodySchemas);
  if (schemas.length === 0) return undefined;
  const contentType = (request.headers['content-type']?.[0] ?? 'application/json').split(';')[0]?.trim().toLowerCase();
  const schema = method.bodySchemas[contentType ?? ''] ?? method.bodySchemas['application/json'];
  if (!schema) return undefined;
  const invalid = (errors: string[]): ValidationFailure => ({
    type: 'BAD_REQUEST_BODY',
    message: 'Invalid request body',
    validationErrorString: `[${errors.join(', ')}]`,
  });
  let body: unknown;
  try {
    body = JSON.parse(request.body.toString('utf8'));
  } catch {
    return invalid(['the body is not JSON']);
  }
  const errors = schemaErrors(body, schema);
  return errors.length > 0 ? invalid(errors) : undefined;
};

const typeMatches = (value: unknown, type: unknown): boolean => {
  const types = Array.isArray(type) ? type : [type];
  return types.some((t) => {
    switch (t) {
      case 'object':
        return isRecord(value);
      case 'array':
        return Array.isArray(value);
      case 'string':
        return typeof value === 'string';
      case 'integer':
        return typeof value === 'number' && Number.isInteger(value);
      case 'number':
        return typeof value === 'number' && Number.isFinite(value);
      case 'boolean':
        return typeof value === 'boolean';
      case 'null':
        return value === null;
      default:
        return true;
    }
  });
};

/** The draft-4 keywords API Gateway models use; each error names where. */
export const schemaErrors = (value: unknown, schema: JsonSchema, at = '$'): string[] => {
  const errors: string[] = [];
  if (schema.type !== undefined && !typeMatches(value, schema.type))
    return [`${at}: not of type ${String(schema.type)}`];
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value)))
    errors.push(`${at}: not one of the allowed values`);
  if (typeof value === 'string') {
    const length = [...value].length;
    if (typeof schema.minLength === 'number' && length < schema.minLength)
      errors.push(`${at}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && length > schema.maxLength)
      errors.push(`${at}: longer than ${schema.maxLength}`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
      errors.push(`${at}: does not match the pattern`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${at}: below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${at}: above ${schema.maximum}`);
  }
  if (isRecord(value)) {
    const properties = isRecord(schema.properties) ? schema.properties : {};
    if (Array.isArray(schema.required))
      for (const name of schema.required)
        if (!(String(name) in value)) errors.push(`${at}: ${String(name)} is required`);
    for (const [name, child] of Object.entries(value)) {
      const rule = properties[name];
      if (isRecord(rule)) errors.push(...schemaErrors(child, rule, `${at}.${name}`));
      else if (schema.additionalProperties === false) errors.push(`${at}: ${name} is not allowed`);
    }
  }
  const items = schema.items;
  if (Array.isArray(value) && isRecord(items))
    for (const [i, item] of value.entries()) errors.push(...schemaErrors(item, items, `${at}[${i}]`));
  return errors;
};
