import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type BodySchema, NOTE_ID_PATTERN, type Operation, REST_LIMITS, ROUTES, type Route } from '../../rest/routes';
import { LIMITS } from '../../shared/limits';

/**
 * The REST API's pure core: an API Gateway proxy event becomes one checked
 * operation on the GraphQL API, and a GraphQL answer becomes an HTTP one.
 * The handler only moves bytes; everything here is tested without AWS.
 */

export type ErrorCode =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'Conflict'
  | 'PayloadTooLarge'
  | 'TooManyRequests'
  | 'InternalError';

const STATUS: Record<ErrorCode, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  PayloadTooLarge: 413,
  TooManyRequests: 429,
  InternalError: 500,
};

/** An answer with a stable `code`; the message says what to change. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
  get status(): number {
    return STATUS[this.code];
  }
}

/** The caller, from the Cognito authorizer's claims (API Gateway checked the token). */
export interface Caller {
  sub: string;
  username: string;
  /** The owner identity the GraphQL API stores: `<sub>::<username>`. */
  owner: string;
  /** The token's issuer without the scheme: the identity pool's provider name for the user pool. */
  provider: string;
  /** The ID token itself, which the GraphQL API and the identity pool take. */
  idToken: string;
}

export const callerOf = (event: Pick<APIGatewayProxyEvent, 'requestContext' | 'headers'>): Caller => {
  const claims: Record<string, unknown> = event.requestContext.authorizer?.claims ?? {};
  const sub = typeof claims.sub === 'string' ? claims.sub : '';
  const username = typeof claims['cognito:username'] === 'string' ? claims['cognito:username'] : '';
  const iss = typeof claims.iss === 'string' ? claims.iss : '';
  const header = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  const idToken = (header ?? '').replace(/^Bearer\s+/i, '');
  if (!sub || !username || !iss || !idToken)
    throw new HttpError('Unauthorized', 'The request has no verified ID token.');
  return { sub, username, owner: `${sub}::${username}`, provider: iss.replace(/^\w+:\/\//, ''), idToken };
};

/** The route an event was routed to by API Gateway (`resource` is the template's path). */
export const routeOf = (event: Pick<APIGatewayProxyEvent, 'httpMethod' | 'resource'>): Route => {
  const route = ROUTES.find((r) => r.method === event.httpMethod && r.path === event.resource);
  if (!route) throw new HttpError('NotFound', `No route ${event.httpMethod} ${event.resource}.`);
  return route;
};

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The JSON body, checked against the route's schema (the same one API Gateway validates with). */
export const parseBody = (event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>, schema: BodySchema): Json => {
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  if (Buffer.byteLength(raw) > REST_LIMITS.bodyBytesMax)
    throw new HttpError('PayloadTooLarge', `The body must be at most ${REST_LIMITS.bodyBytesMax} bytes.`);
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new HttpError('BadRequest', 'The body must be a JSON object.');
  }
  const problem = schemaProblem(body, schema);
  if (problem) throw new HttpError('BadRequest', problem);
  if (!isRecord(body)) throw new HttpError('BadRequest', 'The body must be a JSON object.');
  return body;
};

/** The first way a value breaks a body schema, or undefined. */
export const schemaProblem = (body: unknown, schema: BodySchema): string | undefined => {
  if (!isRecord(body)) return 'The body must be a JSON object.';
  for (const name of schema.required ?? []) if (!(name in body)) return `${name} is required.`;
  for (const [name, value] of Object.entries(body)) {
    const rule = schema.properties[name];
    if (!rule) return `${name} is not a field of this request.`;
    if (rule.type === 'integer') {
      if (typeof value !== 'number' || !Number.isInteger(value)) return `${name} must be an integer.`;
      if (rule.minimum !== undefined && value < rule.minimum) return `${name} must be at least ${rule.minimum}.`;
      continue;
    }
    if (typeof value !== 'string') return `${name} must be a string.`;
    if (rule.minLength !== undefined && value.length < rule.minLength)
      return `${name} must be at least ${rule.minLength} character(s).`;
    if (rule.maxLength !== undefined && value.length > rule.maxLength)
      return `${name} must be at most ${rule.maxLength} characters.`;
    if (rule.pattern !== undefined && !new RegExp(rule.pattern).test(value))
      return `${name} has characters it may not have.`;
  }
  return undefined;
};

const queryOf = (event: Pick<APIGatewayProxyEvent, 'queryStringParameters'>, name: string): string | undefined =>
  event.queryStringParameters?.[name] ?? undefined;

export interface Page {
  limit: number;
  nextToken: string | null;
}

export const pageOf = (
  event: Pick<APIGatewayProxyEvent, 'queryStringParameters'>,
  max: number = REST_LIMITS.pageLimitMax,
): Page => {
  const limitText = queryOf(event, 'limit');
  const limit = limitText === undefined ? Math.min(REST_LIMITS.pageLimitDefault, max) : Number(limitText);
  if (!/^\d+$/.test(limitText ?? '1') || !Number.isInteger(limit) || limit < 1 || limit > max)
    throw new HttpError('BadRequest', `limit must be an integer from 1 to ${max}.`);
  const nextToken = queryOf(event, 'nextToken') ?? null;
  if (nextToken !== null && (nextToken.length === 0 || nextToken.length > REST_LIMITS.nextTokenMax))
    throw new HttpError('BadRequest', `nextToken must be 1 to ${REST_LIMITS.nextTokenMax} characters.`);
  return { limit, nextToken };
};

const idOf = (event: Pick<APIGatewayProxyEvent, 'pathParameters'>): string => {
  const id = event.pathParameters?.id ?? '';
  if (!new RegExp(NOTE_ID_PATTERN).test(id)) throw new HttpError('BadRequest', 'The note id is not valid.');
  return id;
};

const NOTE_FIELDS = 'id headline text photoKey owner createdAt updatedAt _version _lastChangedAt _deleted';
const MESSAGE_FIELDS = 'id sender recipient body createdAt';

/** One GraphQL request, made with the caller's own token: AppSync applies the schema's owner rules. */
export interface GraphqlCall {
  query: string;
  variables: Json;
  /** The field of `data` that holds the answer. */
  field: string;
}

export type Planned =
  | { kind: 'graphql'; operation: Operation; call: GraphqlCall; created?: boolean }
  | { kind: 'uploadUrl'; fileName: string };

/** What a request asks for, checked: no invalid input reaches the GraphQL API. */
export const plan = (event: APIGatewayProxyEvent, caller: Caller): Planned => {
  const route = routeOf(event);
  const body = route.body ? parseBody(event, route.body) : {};
  const graphql = (query: string, variables: Json, field: string, created = false): Planned => ({
    kind: 'graphql',
    operation: route.operation,
    call: { query, variables, field },
    created,
  });
  switch (route.operation) {
    case 'listNotes': {
      const page = pageOf(event);
      return graphql(
        `query ($owner: String!, $limit: Int, $nextToken: String) { listNotesByOwner(owner: $owner, limit: $limit, nextToken: $nextToken) { items { ${NOTE_FIELDS} } nextToken } }`,
        { owner: caller.owner, ...page },
        'listNotesByOwner',
      );
    }
    case 'createNote':
      if (typeof body.headline === 'string' && body.headline.trim() === '')
        throw new HttpError('BadRequest', 'headline must not be blank.');
      return graphql(
        `mutation ($input: CreateNoteInput!) { createNote(input: $input) { ${NOTE_FIELDS} } }`,
        { input: body },
        'createNote',
        true,
      );
    case 'getNote':
      return graphql(`query ($id: ID!) { getNote(id: $id) { ${NOTE_FIELDS} } }`, { id: idOf(event) }, 'getNote');
    case 'updateNote': {
      const id = idOf(event);
      if (Object.keys(body).filter((k) => k !== '_version').length === 0)
        throw new HttpError('BadRequest', 'Give at least one of headline, text, photoKey.');
      if (typeof body.headline === 'string' && body.headline.trim() === '')
        throw new HttpError('BadRequest', 'headline must not be blank.');
      return graphql(
        `mutation ($input: UpdateNoteInput!) { updateNote(input: $input) { ${NOTE_FIELDS} } }`,
        { input: { ...body, id } },
        'updateNote',
      );
    }
    case 'deleteNote': {
      const id = idOf(event);
      const version = queryOf(event, 'version');
      if (version !== undefined && !/^[1-9]\d{0,15}$/.test(version))
        throw new HttpError('BadRequest', 'version must be a positive integer.');
      return graphql(
        `mutation ($input: DeleteNoteInput!) { deleteNote(input: $input) { ${NOTE_FIELDS} } }`,
        { input: { id, ...(version === undefined ? {} : { _version: Number(version) }) } },
        'deleteNote',
      );
    }
    case 'searchNotes': {
      const q = (queryOf(event, 'q') ?? '').trim();
      if (q.length === 0 || q.length > LIMITS.searchQueryMax)
        throw new HttpError('BadRequest', `q must be 1 to ${LIMITS.searchQueryMax} characters.`);
      const page = pageOf(event, LIMITS.searchLimitMax);
      return graphql(
        'query ($query: String!, $limit: Int, $nextToken: String) { searchNotes(query: $query, limit: $limit, nextToken: $nextToken) { items { id headline text photoKey updatedAt score } nextToken total } }',
        { query: q, ...page },
        'searchNotes',
      );
    }
    case 'createUploadUrl':
      return { kind: 'uploadUrl', fileName: String(body.fileName) };
    case 'sendMessage':
      if (typeof body.body === 'string' && body.body.trim() === '')
        throw new HttpError('BadRequest', 'body must not be blank.');
      return graphql(
        `mutation ($recipientId: ID!, $body: String!) { sendMessage(recipientId: $recipientId, body: $body) { ${MESSAGE_FIELDS} } }`,
        { recipientId: body.recipientId, body: body.body },
        'sendMessage',
        true,
      );
    case 'listMessages': {
      const page = pageOf(event);
      return graphql(
        `query ($recipient: String!, $limit: Int, $nextToken: String) { listMessagesByRecipient(recipient: $recipient, limit: $limit, nextToken: $nextToken) { items { ${MESSAGE_FIELDS} } nextToken } }`,
        { recipient: caller.owner, ...page },
        'listMessagesByRecipient',
      );
    }
  }
};

export interface GraphqlAnswer {
  status: number;
  body: unknown;
}

/** A GraphQL answer as the REST answer: the data, or the error with its HTTP status. */
export const fromGraphql = (
  planned: Extract<Planned, { kind: 'graphql' }>,
  answer: GraphqlAnswer,
): { status: number; body: unknown } => {
  if (answer.status === 401) throw new HttpError('Unauthorized', 'The token was not accepted.');
  if (answer.status === 429) throw new HttpError('TooManyRequests', 'Too many requests; retry with backoff.');
  const body = isRecord(answer.body) ? answer.body : {};
  const errors = Array.isArray(body.errors) ? body.errors.filter(isRecord) : [];
  const first = errors[0];
  if (first) throw errorOf(planned, String(first.errorType ?? ''), String(first.message ?? ''));
  if (answer.status >= 300) throw new HttpError('InternalError', `The data API answered ${answer.status}.`);
  const data = isRecord(body.data) ? body.data[planned.call.field] : undefined;
  if (data === null || data === undefined) {
    throw new HttpError('NotFound', planned.operation === 'getNote' ? 'No note of yours has this id.' : 'Not found.');
  }
  return { status: planned.created ? 201 : 200, body: data };
};

const errorOf = (planned: Extract<Planned, { kind: 'graphql' }>, type: string, message: string): HttpError => {
  // On one note, "not yours" and "not there" are the same answer: a 403 would tell a stranger the id exists.
  if (type === 'Unauthorized')
    return ['getNote', 'updateNote', 'deleteNote'].includes(planned.operation)
      ? new HttpError('NotFound', 'No note of yours has this id.')
      : new HttpError('Forbidden', 'You may not do this.');
  if (type === 'ConflictUnhandled')
    return new HttpError('Conflict', 'The note changed since the version you gave; get it and retry.');
  if (type.endsWith('ConditionalCheckFailedException')) {
    // A create whose id is taken; an update or delete of a note that is not the caller's (or not there).
    return planned.created
      ? new HttpError('Conflict', 'A note with this id exists.')
      : new HttpError('NotFound', 'No note of yours has this id.');
  }
  if (type === 'NotFound') return new HttpError('NotFound', message || 'Not found.');
  if (/Throttl|LimitExceeded|TooManyRequests/.test(type))
    return new HttpError('TooManyRequests', 'Too many requests; retry with backoff.');
  if (/Validation|BadRequest|MalformedHttpRequest/i.test(type))
    return new HttpError('BadRequest', message || 'The input is not valid.');
  return new HttpError('InternalError', 'The request failed; try again.');
};

/** The CORS headers of an answer: the caller's origin echoed when it is one of the app origins. */
export const corsHeaders = (
  headers: APIGatewayProxyEvent['headers'] | null | undefined,
  allowed: readonly string[],
): Record<string, string> => {
  const origin = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'origin')?.[1];
  return origin && allowed.includes(origin)
    ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' }
    : { Vary: 'Origin' };
};

export const jsonResult = (
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult => ({
  statusCode: status,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const errorResult = (error: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult => {
  const known = error instanceof HttpError ? error : new HttpError('InternalError', 'The request failed; try again.');
  return jsonResult(known.status, { code: known.code, message: known.message }, headers);
};

/** The object key of an upload: the storage rule's `media/{entity_id}/*`, with the caller's identity id. */
export const uploadKeyOf = (identityId: string, fileName: string): string => {
  if (!/^[\w-]+:[0-9a-f-]+$/.test(identityId))
    throw new HttpError('InternalError', 'The identity pool gave no identity id.');
  return `media/${identityId}/${fileName}`;
};
