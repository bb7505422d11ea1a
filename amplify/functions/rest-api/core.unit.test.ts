import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../rest/routes';
import { LIMITS } from '../../shared/limits';
import { type Caller, callerOf, corsHeaders, errorResult, fromGraphql, HttpError, plan, uploadKeyOf } from './core';

const caller: Caller = { sub: 's1', username: 'u1', owner: 's1::u1', provider: 'issuer/pool', idToken: 'tok' };

const eventOf = (
  method: string,
  resource: string,
  extra: Partial<APIGatewayProxyEvent> = {},
): APIGatewayProxyEvent => ({
  resource,
  path: resource,
  httpMethod: method,
  headers: { Authorization: 'tok' },
  multiValueHeaders: {},
  queryStringParameters: null,
  multiValueQueryStringParameters: null,
  pathParameters: null,
  stageVariables: null,
  body: null,
  isBase64Encoded: false,
  requestContext: {
    accountId: '0',
    apiId: 'a',
    authorizer: { claims: { sub: 's1', 'cognito:username': 'u1', iss: 'https://issuer/pool' } },
    protocol: 'HTTP/1.1',
    httpMethod: method,
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
      sourceIp: '1.2.3.4',
      user: null,
      userAgent: null,
      userArn: null,
    },
    path: resource,
    stage: 'v1',
    requestId: 'r',
    requestTimeEpoch: 0,
    resourceId: 'x',
    resourcePath: resource,
  },
  ...extra,
});

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (error) {
    return error instanceof HttpError ? `${error.status} ${error.code}` : 'other';
  }
  return 'none';
};

describe('the REST core', () => {
  it('takes the caller from the authorizer claims and the ID token from Authorization', () => {
    expect(callerOf(eventOf('GET', '/notes'))).toEqual(caller);
    expect(codeOf(() => callerOf(eventOf('GET', '/notes', { headers: {} })))).toBe('401 Unauthorized');
  });

  it('plans every route in the table', () => {
    for (const route of ROUTES) {
      const body =
        route.operation === 'createNote'
          ? { headline: 'h' }
          : route.operation === 'updateNote'
            ? { text: 't' }
            : route.operation === 'createUploadUrl'
              ? { fileName: 'a.jpg' }
              : route.operation === 'sendMessage'
                ? { recipientId: 'r1', body: 'hi' }
                : undefined;
      const planned = plan(
        eventOf(route.method, route.path, {
          pathParameters: route.path.includes('{id}') ? { id: 'n1' } : null,
          queryStringParameters: route.operation === 'searchNotes' ? { q: 'cats' } : null,
          body: body === undefined ? null : JSON.stringify(body),
        }),
        caller,
      );
      expect(planned.kind === 'uploadUrl' || planned.operation === route.operation).toBe(true);
    }
  });

  it('scopes list and messages to the caller, whatever the request says', () => {
    const list = plan(eventOf('GET', '/notes', { queryStringParameters: { owner: 'someone::else' } }), caller);
    expect(list.kind === 'graphql' && list.call.variables).toMatchObject({
      owner: 's1::u1',
      limit: 20,
      nextToken: null,
    });
    const inbox = plan(eventOf('GET', '/messages'), caller);
    expect(inbox.kind === 'graphql' && inbox.call.variables).toMatchObject({ recipient: 's1::u1' });
  });

  it('refuses the inputs the schema refuses, before the GraphQL API sees them', () => {
    const post = (body: string) => () => plan(eventOf('POST', '/notes', { body }), caller);
    expect(codeOf(post('{}'))).toBe('400 BadRequest');
    expect(codeOf(post(JSON.stringify({ headline: 'x'.repeat(LIMITS.headlineMax + 1) })))).toBe('400 BadRequest');
    expect(codeOf(post(JSON.stringify({ headline: 'ok', text: 'x'.repeat(LIMITS.noteTextMax + 1) })))).toBe(
      '400 BadRequest',
    );
    expect(codeOf(post(JSON.stringify({ headline: 'ok', owner: 'x' })))).toBe('400 BadRequest');
    expect(codeOf(post(JSON.stringify({ headline: '  ' })))).toBe('400 BadRequest');
    expect(codeOf(post('not json'))).toBe('400 BadRequest');
    expect(codeOf(post(JSON.stringify({ headline: 'x', text: 'y'.repeat(70_000) })))).toBe('413 PayloadTooLarge');
    const search = (q: string) => () => plan(eventOf('GET', '/notes/search', { queryStringParameters: { q } }), caller);
    expect(codeOf(search('x'.repeat(LIMITS.searchQueryMax + 1)))).toBe('400 BadRequest');
    expect(codeOf(search('   '))).toBe('400 BadRequest');
    const limit = (l: string) => () => plan(eventOf('GET', '/notes', { queryStringParameters: { limit: l } }), caller);
    for (const bad of ['0', '101', '1.5', 'x', '-1']) expect(codeOf(limit(bad))).toBe('400 BadRequest');
    const upload = (fileName: string) => () =>
      plan(eventOf('POST', '/photos/upload-url', { body: JSON.stringify({ fileName }) }), caller);
    for (const bad of ['../x', 'a/b', '', '.hidden']) expect(codeOf(upload(bad))).toBe('400 BadRequest');
  });

  it('maps GraphQL errors to REST status codes', () => {
    const create = plan(eventOf('POST', '/notes', { body: '{"headline":"h"}' }), caller);
    const update = plan(eventOf('PUT', '/notes/{id}', { pathParameters: { id: 'n' }, body: '{"text":"t"}' }), caller);
    const get = plan(eventOf('GET', '/notes/{id}', { pathParameters: { id: 'n' } }), caller);
    if (create.kind !== 'graphql' || update.kind !== 'graphql' || get.kind !== 'graphql')
      throw new Error('expected GraphQL plans');
    const failing = (errorType: string) => ({
      status: 200,
      body: { data: null, errors: [{ errorType, message: 'm' }] },
    });
    const status = (f: () => unknown) => codeOf(f);
    expect(status(() => fromGraphql(create, failing('DynamoDB:ConditionalCheckFailedException')))).toBe('409 Conflict');
    expect(status(() => fromGraphql(update, failing('DynamoDB:ConditionalCheckFailedException')))).toBe('404 NotFound');
    expect(status(() => fromGraphql(update, failing('ConflictUnhandled')))).toBe('409 Conflict');
    expect(status(() => fromGraphql(get, failing('Unauthorized')))).toBe('404 NotFound');
    expect(status(() => fromGraphql(update, failing('Unauthorized')))).toBe('404 NotFound');
    expect(status(() => fromGraphql(create, failing('Unauthorized')))).toBe('403 Forbidden');
    expect(status(() => fromGraphql(get, { status: 200, body: { data: { getNote: null } } }))).toBe('404 NotFound');
    expect(status(() => fromGraphql(get, { status: 401, body: {} }))).toBe('401 Unauthorized');
    expect(status(() => fromGraphql(get, { status: 429, body: {} }))).toBe('429 TooManyRequests');
    expect(fromGraphql(create, { status: 200, body: { data: { createNote: { id: 'n' } } } })).toEqual({
      status: 201,
      body: { id: 'n' },
    });
  });

  it('answers errors as JSON { code, message } and never leaks an internal one', () => {
    expect(JSON.parse(errorResult(new HttpError('NotFound', 'gone')).body)).toEqual({
      code: 'NotFound',
      message: 'gone',
    });
    const internal = errorResult(new Error('secret detail'));
    expect(internal.statusCode).toBe(500);
    expect(internal.body).not.toContain('secret');
  });

  it('echoes only the app origins for CORS', () => {
    expect(corsHeaders({ origin: 'https://app' }, ['https://app'])).toMatchObject({
      'Access-Control-Allow-Origin': 'https://app',
    });
    expect(corsHeaders({ Origin: 'https://evil' }, ['https://app'])).toEqual({ Vary: 'Origin' });
  });

  it('puts uploads under media/<identity id>/ only', () => {
    expect(uploadKeyOf('us-east-1:0f3c-11', 'a.jpg')).toBe('media/us-east-1:0f3c-11/a.jpg');
    expect(codeOf(() => uploadKeyOf('', 'a.jpg'))).toBe('500 InternalError');
  });
});
