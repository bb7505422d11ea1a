import { describe, expect, it } from 'vitest';
import { syntheticAssembly } from '../settings/test-assembly';
import { type GatewayResponse, gatewayResponseOf, restApisOf } from './api';
import { type GatewayError, gatewayAnswer, renderGatewayTemplate } from './gateway-responses';

const request = { requestId: 'req-1', apiId: 'Api', stage: 'v1', headers: { origin: ['https://app.example'] } };
const unauthorized: GatewayError = { type: 'UNAUTHORIZED', status: 401, message: 'Unauthorized' };
const json = (template: string): GatewayResponse => ({
  statusCode: undefined,
  headers: {},
  templates: { 'application/json': template },
});
const bodyOf = (answer: { body: Buffer }): unknown => JSON.parse(answer.body.toString());

describe('the gateway response template', () => {
  it('substitutes $context variables; unknown ones render as nothing', () => {
    // Act
    const text = renderGatewayTemplate(
      '{"a":$context.x,"b":"$context.y.z","c":"$context.nope","d":"$stageVariables.s"}',
      {
        x: '"one"',
        'y.z': 'two',
      },
    );
    // Assess
    expect(text).toBe('{"a":"one","b":"two","c":"","d":"$stageVariables.s"}');
  });

  it('stops a variable at punctuation, so $context.requestId. keeps its dot', () => {
    expect(renderGatewayTemplate('id=$context.requestId.', { requestId: 'r' })).toBe('id=r.');
  });
});

describe('the answer for an API Gateway error', () => {
  it("is API Gateway's default without gateway responses", () => {
    // Act
    const answer = gatewayAnswer({}, unauthorized, request);
    // Assess
    expect(answer.status).toBe(401);
    expect(bodyOf(answer)).toEqual({ message: 'Unauthorized' });
    expect(answer.headers['x-amzn-errortype']).toEqual(['UnauthorizedException']);
  });

  it("renders the type's template: a JSON body with the code, the quoted message and the details", () => {
    // Prepare
    const responses = {
      BAD_REQUEST_BODY: json(
        '{"code":"BadRequest","message":$context.error.messageString,"details":"$context.error.validationErrorString","type":"$context.error.responseType","requestId":"$context.requestId"}',
      ),
    };
    // Act
    const answer = gatewayAnswer(
      responses,
      { type: 'BAD_REQUEST_BODY', status: 400, message: 'Invalid "body"', validationErrorString: '[a "quoted" name]' },
      request,
    );
    // Assess
    expect(answer.status).toBe(400);
    expect(bodyOf(answer)).toEqual({
      code: 'BadRequest',
      message: 'Invalid "body"',
      details: '[a "quoted" name]',
      type: 'BAD_REQUEST_BODY',
      requestId: 'req-1',
    });
  });

  it('falls back to DEFAULT_4XX or DEFAULT_5XX by the status class', () => {
    const responses = {
      DEFAULT_4XX: json('{"code":"client","message":$context.error.messageString}'),
      DEFAULT_5XX: json('{"code":"server"}'),
    };
    expect(bodyOf(gatewayAnswer(responses, unauthorized, request))).toEqual({
      code: 'client',
      message: 'Unauthorized',
    });
    const failed = gatewayAnswer(responses, { type: 'DEFAULT_5XX', status: 502, message: 'x' }, request);
    expect({ status: failed.status, body: bodyOf(failed) }).toEqual({ status: 502, body: { code: 'server' } });
  });

  it("takes the type's status code, else the fallback's, else API Gateway's", () => {
    const responses: Record<string, GatewayResponse> = {
      UNAUTHORIZED: { ...json('{}'), statusCode: 418 },
      DEFAULT_4XX: { ...json('{}'), statusCode: 499 },
    };
    expect(gatewayAnswer(responses, unauthorized, request).status).toBe(418);
    expect(gatewayAnswer(responses, { type: 'THROTTLED', status: 429, message: 'm' }, request).status).toBe(499);
    expect(gatewayAnswer({}, { type: 'THROTTLED', status: 429, message: 'm' }, request).status).toBe(429);
  });

  it('sets its static headers and the request headers it maps', () => {
    const responses: Record<string, GatewayResponse> = {
      UNAUTHORIZED: {
        ...json('{}'),
        headers: {
          'Access-Control-Allow-Origin': { value: 'capacitor://localhost' },
          'X-Echo': { requestHeader: 'origin' },
          'X-Absent': { requestHeader: 'x-missing' },
        },
      },
    };
    const answer = gatewayAnswer(responses, unauthorized, request);
    expect(answer.headers).toMatchObject({
      'access-control-allow-origin': ['capacitor://localhost'],
      'x-echo': ['https://app.example'],
      'content-type': ['application/json'],
    });
    expect(answer.headers['x-absent']).toBeUndefined();
  });
});

describe('reading a gateway response from a template', () => {
  it('takes the status, static and mapped headers, and the templates', () => {
    // Act
    const read = gatewayResponseOf({
      ResponseType: 'UNAUTHORIZED',
      StatusCode: '401',
      ResponseParameters: {
        'gatewayresponse.header.Access-Control-Allow-Origin': "'https://app.example.com'",
        'gatewayresponse.header.X-Origin': 'method.request.header.Origin',
        'gatewayresponse.querystring.ignored': "'x'",
      },
      ResponseTemplates: { 'Application/JSON': '{"code":"Unauthorized"}' },
    });
    // Assess
    expect(read).toEqual({
      statusCode: 401,
      headers: {
        'Access-Control-Allow-Origin': { value: 'https://app.example.com' },
        'X-Origin': { requestHeader: 'origin' },
      },
      templates: { 'application/json': '{"code":"Unauthorized"}' },
    });
  });

  it('has no status when the template gives none, and nothing for missing parts', () => {
    expect(gatewayResponseOf({ ResponseType: 'DEFAULT_4XX' })).toEqual({
      statusCode: undefined,
      headers: {},
      templates: {},
    });
  });
});

describe("reading an API's gateway responses from the assembly", () => {
  it('keeps each API its own gateway responses, by type', () => {
    // Prepare: two APIs, one with gateway responses in a nested stack.
    const response = (api: string, type: string, template: string) => ({
      Type: 'AWS::ApiGateway::GatewayResponse',
      Properties: { RestApiId: { Ref: api }, ResponseType: type, ResponseTemplates: { 'application/json': template } },
    });
    const { assembly, remove } = syntheticAssembly(
      { Resources: {} },
      {
        Rest: {
          Resources: {
            One: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'one' } },
            Two: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'two' } },
            OneUnauthorized: response('One', 'UNAUTHORIZED', '{"code":"Unauthorized"}'),
            OneDefault: response('One', 'DEFAULT_4XX', '{"code":"BadRequest"}'),
          },
        },
      },
    );
    try {
      // Act
      const apis = Object.fromEntries(restApisOf(assembly).map((api) => [api.name, api.gatewayResponses]));
      // Assess
      expect(Object.keys(apis.one ?? {}).sort()).toEqual(['DEFAULT_4XX', 'UNAUTHORIZED']);
      expect(apis.one?.UNAUTHORIZED?.templates).toEqual({ 'application/json': '{"code":"Unauthorized"}' });
      expect(apis.two).toEqual({});
    } finally {
      remove();
    }
  });
});
