import { describe, expect, it } from 'vitest';
import type { LocalMethod } from './api';
import { claimsForEvent, proxyAnswer, proxyEvent, schemaErrors, validationProblem } from './event';
import { matchPath, route } from './routing';

const method = (httpMethod: string, resourcePath: string, extra: Partial<LocalMethod> = {}): LocalMethod => ({
  logicalId: `${httpMethod}${resourcePath}`,
  httpMethod,
  resourcePath,
  authorization: { type: 'COGNITO_USER_POOLS', header: 'authorization' },
  integration: { type: 'lambda', functionId: 'fn' },
  requiredQuery: [],
  requiredHeaders: [],
  validateParameters: true,
  bodySchemas: {},
  operationName: undefined,
  ...extra,
});

const api = {
  methods: [
    method('GET', '/notes'),
    method('GET', '/notes/search'),
    method('GET', '/notes/{id}'),
    method('PUT', '/notes/{id}'),
    method('GET', '/files/{proxy+}'),
  ],
};

describe('routing', () => {
  it('prefers literal path parts over parameters', () => {
    // Act
    const search = route(api, 'GET', '/notes/search');
    const one = route(api, 'GET', '/notes/42');
    // Assess
    expect('method' in search && search.method.resourcePath).toBe('/notes/search');
    expect('method' in one && one.method.resourcePath).toBe('/notes/{id}');
    expect('method' in one && one.pathParameters).toEqual({ id: '42' });
  });

  it('decodes parameters and takes the rest of the path for a greedy one', () => {
    expect(matchPath('/notes/{id}', '/notes/a%20b')).toEqual({ id: 'a b' });
    expect(matchPath('/files/{proxy+}', '/files/a/b/c')).toEqual({ proxy: 'a/b/c' });
    expect(matchPath('/files/{proxy+}', '/files')).toBeUndefined();
    expect(matchPath('/notes', '/notes/1')).toBeUndefined();
  });

  it('answers an unknown path or method as API Gateway does: Missing Authentication Token', () => {
    expect(route(api, 'DELETE', '/notes')).toEqual({ error: 'MissingAuthenticationToken' });
    expect(route(api, 'GET', '/elsewhere')).toEqual({ error: 'MissingAuthenticationToken' });
  });
});

describe('the Lambda proxy event (payload 1.0)', () => {
  const request = {
    method: 'GET',
    path: '/notes/42',
    query: 'a=1&a=2&b=x%20y',
    headers: { authorization: ['token'], 'x-multi': ['1', '2'], host: ['127.0.0.1:20011'] },
    body: Buffer.alloc(0),
    sourceIp: '127.0.0.1',
  };

  it('has single and multi-value headers and query strings, path parameters and the claims', () => {
    // Act
    const event = proxyEvent(request, method('GET', '/notes/{id}'), {
      apiId: 'Api',
      stage: 'v1',
      accountId: '000000000000',
      pathParameters: { id: '42' },
      claims: { sub: 'abc', 'cognito:groups': ['a', 'b'], exp: 1_700_000_000 },
      requestTimeEpoch: 0,
    });
    // Assess
    expect(event).toMatchObject({
      resource: '/notes/{id}',
      path: '/notes/42',
      httpMethod: 'GET',
      headers: { authorization: 'token', 'x-multi': '2' },
      multiValueHeaders: { 'x-multi': ['1', '2'] },
      queryStringParameters: { a: '2', b: 'x y' },
      multiValueQueryStringParameters: { a: ['1', '2'], b: ['x y'] },
      pathParameters: { id: '42' },
      body: null,
      isBase64Encoded: false,
      requestContext: { stage: 'v1', path: '/v1/notes/42', resourcePath: '/notes/{id}', apiId: 'Api' },
    });
    expect(event.requestContext.authorizer?.claims).toMatchObject({ sub: 'abc', 'cognito:groups': 'a,b' });
  });

  it('base64-encodes a binary body and keeps a JSON one as text', () => {
    const binary = proxyEvent(
      { ...request, headers: { 'content-type': ['image/png'] }, body: Buffer.from([0, 1, 2]) },
      method('POST', '/x'),
      { apiId: 'A', stage: 's', accountId: '0', pathParameters: null },
    );
    expect(binary).toMatchObject({ body: 'AAEC', isBase64Encoded: true, queryStringParameters: { a: '2' } });
    const json = proxyEvent(
      { ...request, query: '', headers: { 'content-type': ['application/json'] }, body: Buffer.from('{"a":1}') },
      method('POST', '/x'),
      { apiId: 'A', stage: 's', accountId: '0', pathParameters: null },
    );
    expect(json).toMatchObject({ body: '{"a":1}', isBase64Encoded: false, queryStringParameters: null });
  });

  it('claims are strings, as the Cognito authorizer passes them', () => {
    expect(claimsForEvent({ email_verified: true, n: 3 })).toEqual({ email_verified: 'true', n: '3' });
  });
});

describe('the proxy answer', () => {
  it('takes status, headers, multi-value headers and a base64 body', () => {
    const answer = proxyAnswer({
      statusCode: 201,
      headers: { 'X-One': 'a' },
      multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
      body: Buffer.from('hi').toString('base64'),
      isBase64Encoded: true,
    });
    expect(answer.status).toBe(201);
    expect(answer.headers).toMatchObject({ 'x-one': ['a'], 'set-cookie': ['a=1', 'b=2'] });
    expect(answer.body.toString()).toBe('hi');
  });

  it('is a 502 for a malformed result, as API Gateway answers', () => {
    for (const bad of [null, 'text', { statusCode: 'abc' }, { body: { not: 'a string' } }, { unexpected: 1 }]) {
      const answer = proxyAnswer(bad);
      expect(answer.status).toBe(502);
      expect(JSON.parse(answer.body.toString())).toEqual({ message: 'Internal server error' });
    }
  });
});

describe('request validation', () => {
  const schema = {
    type: 'object',
    additionalProperties: false,
    required: ['headline'],
    properties: { headline: { type: 'string', minLength: 1, maxLength: 3 }, n: { type: 'integer', minimum: 1 } },
  };
  const validated = method('POST', '/notes', { requiredQuery: ['q'], bodySchemas: { 'application/json': schema } });
  const request = (query: string, body: string) => ({
    method: 'POST',
    path: '/notes',
    query,
    headers: { 'content-type': ['application/json'] },
    body: Buffer.from(body),
    sourceIp: '127.0.0.1',
  });

  it('names missing required parameters', () => {
    expect(validationProblem(validated, request('', '{"headline":"a"}'))).toEqual({
      type: 'BAD_REQUEST_PARAMETERS',
      message: 'Missing required request parameters: [q]',
      validationErrorString: 'Missing required request parameters: [q]',
    });
  });

  it('refuses a body its model refuses', () => {
    expect(validationProblem(validated, request('q=1', '{"headline":"a"}'))).toBeUndefined();
    for (const body of [
      '{}',
      '{"headline":""}',
      '{"headline":"abcd"}',
      '{"headline":"a","x":1}',
      '{"headline":"a","n":1.5}',
      'nope',
    ])
      expect(validationProblem(validated, request('q=1', body))).toMatchObject({
        type: 'BAD_REQUEST_BODY',
        message: 'Invalid request body',
      });
    expect(validationProblem(validated, request('q=1', '{"headline":"abcd","x":1}'))?.validationErrorString).toBe(
      '[$.headline: longer than 3, $: x is not allowed]',
    );
  });

  it('counts characters, not UTF-16 units', () => {
    expect(schemaErrors('😀😀😀', { type: 'string', maxLength: 3 })).toEqual([]);
  });
});
