import { appendFile, mkdir } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import { listenLoopback } from '../http/json-server';
import type { LocalTls } from '../tls';
import type { LocalMethod, LocalRestApi } from './api';
import { type HttpAnswer, type IncomingRequest, proxyEvent, proxyResult, validationProblem } from './event';
import { type GatewayError, gatewayAnswer } from './gateway-responses';
import { route } from './routing';

/**
 * API Gateway's REST APIs, locally, at https://127.0.0.1:<port>/restapis/<api id>/<stage>/…:
 * wire (this file) → routing (routing.ts) → authorizer → request validation →
 * integration (event.ts: the Lambda proxy event and its answer). The answers
 * API Gateway itself gives (401, 403, 429, 400, 413, 5xx) are the API's
 * gateway responses for their types (gateway-responses.ts), else its defaults.
 */

export interface LocalRestOptions {
  port: number;
  tls: LocalTls;
  /** The running generation's APIs (a hot reload changes them). */
  apis: () => readonly LocalRestApi[];
  /** Invokes a function of the running generation by logical id. */
  invoke: (functionId: string, event: unknown) => Promise<unknown>;
  /** The user pool's issuer and keys, for Cognito authorizers. */
  userPool: { issuer: string; keys: JWTVerifyGetKey };
  accountId: string;
  /** Where each stage's access log lines go (one file per API and stage), in the stage's format. */
  accessLogDir?: string;
}

export interface LocalRest {
  url: string;
  /** The local invoke URL of a stage, ending in `/`, like API Gateway's `https://<id>.execute-api.<region>.amazonaws.com/<stage>/`. */
  endpointOf(apiId: string, stage: string): string;
  close(): Promise<void>;
}

const MAX_BODY = 10 * 1024 * 1024;

const unauthorized = (message = 'Unauthorized'): GatewayError => ({ type: 'UNAUTHORIZED', status: 401, message });

/** A token bucket per stage: `rate` per second, up to `burst` at once, as API Gateway throttles. */
class Throttle {
  private tokens: number;
  private last = performance.now();
  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

const readBody = (req: IncomingMessage): Promise<Buffer | 'too large'> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY ? 'too large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });

const headersOf = (req: IncomingMessage): Record<string, string[]> => {
  const headers: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? '').toLowerCase();
    headers[name] = [...(headers[name] ?? []), req.rawHeaders[i + 1] ?? ''];
  }
  return headers;
};

const velocity: unknown = createRequire(import.meta.url)('amplify-velocity-template');

/** Renders a mapping template with the Velocity engine the AppSync simulator uses (it has no types). */
const renderVelocity = (template: string, context: Record<string, unknown>): string => {
  const parse: unknown = typeof velocity === 'object' && velocity !== null ? Reflect.get(velocity, 'parse') : undefined;
  const Compile: unknown =
    typeof velocity === 'object' && velocity !== null ? Reflect.get(velocity, 'Compile') : undefined;
  if (typeof parse !== 'function' || typeof Compile !== 'function') throw new Error('the Velocity engine changed');
  const compiled: unknown = Reflect.construct(Compile, [parse(template), { valueMapper: (v: unknown) => v }]);
  const render: unknown =
    typeof compiled === 'object' && compiled !== null ? Reflect.get(compiled, 'render') : undefined;
  if (typeof render !== 'function') throw new Error('the Velocity engine changed');
  return String(render.call(compiled, context));
};

/** The MOCK integration's answer: its status and static headers, and what its template overrides. */
const mockAnswer = (method: LocalMethod, request: IncomingRequest): HttpAnswer => {
  if (method.integration.type !== 'mock') throw new Error('not a mock integration');
  const { statusCode, headers, template } = method.integration;
  const answer: HttpAnswer = {
    status: statusCode,
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), [v]])),
    body: Buffer.alloc(0),
  };
  if (!template) return answer;
  const header = {
    get: (name: string) => request.headers[name]?.[0] ?? request.headers[name.toLowerCase()]?.[0] ?? '',
  };
  const overrides: Record<string, unknown> = {};
  const context: { responseOverride: { header: Record<string, unknown>; status?: unknown } } = {
    responseOverride: { header: overrides },
  };
  const body = renderVelocity(template, {
    input: { params: () => ({ header, querystring: { get: () => '' }, path: { get: () => '' } }) },
    context,
  });
  for (const [name, value] of Object.entries(overrides)) answer.headers[name.toLowerCase()] = [String(value)];
  if (typeof context.responseOverride.status === 'number') answer.status = context.responseOverride.status;
  answer.body = Buffer.from(body.trim());
  return answer;
};

export const startLocalRest = async (options: LocalRestOptions): Promise<LocalRest> => {
  const throttles = new Map<string, Throttle>();
  let base = '';

  type Decision = { claims?: Record<string, unknown> } | { denied: GatewayError };
  const authorize = async (method: LocalMethod, request: IncomingRequest): Promise<Decision> => {
    if (method.authorization.type === 'NONE') return {};
    if (method.authorization.type === 'unsupported')
      return {
        denied: {
          type: 'AUTHORIZER_CONFIGURATION_ERROR',
          status: 500,
          message: `The local REST API does not run ${method.authorization.kind} authorizers`,
        },
      };
    const token = request.headers[method.authorization.header]?.[0];
    if (!token) return { denied: unauthorized() };
    try {
      const { payload } = await jwtVerify(token, options.userPool.keys, { issuer: options.userPool.issuer });
      // Without OAuth scopes on the method, API Gateway's Cognito authorizer takes ID tokens only.
      if (payload.token_use !== 'id') return { denied: unauthorized() };
      return { claims: payload };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) return { denied: unauthorized('The incoming token has expired') };
      return { denied: unauthorized() };
    }
  };

  const handle = async (
    api: LocalRestApi,
    stage: LocalRestApi['stages'][number],
    request: IncomingRequest,
    fail: (error: GatewayError) => HttpAnswer,
  ): Promise<{ answer: HttpAnswer; method?: LocalMethod }> => {
    const routed = route(api, request.method, request.path);
    if ('error' in routed)
      return {
        answer: fail({ type: 'MISSING_AUTHENTICATION_TOKEN', status: 403, message: 'Missing Authentication Token' }),
      };
    const { method } = routed;
    const throttleKey = `${api.id}/${stage.name}`;
    let throttle = throttles.get(throttleKey);
    if (!throttle && stage.rateLimit !== undefined) {
      throttle = new Throttle(stage.rateLimit, stage.burstLimit ?? stage.rateLimit);
      throttles.set(throttleKey, throttle);
    }
    if (throttle && !throttle.take())
      return { answer: fail({ type: 'THROTTLED', status: 429, message: 'Too Many Requests' }), method };
    const decision = await authorize(method, request);
    if ('denied' in decision) return { answer: fail(decision.denied), method };
    const { claims } = decision;
    const problem = validationProblem(method, request);
    if (problem) return { answer: fail({ ...problem, status: 400 }), method };
    const { integration } = method;
    if (integration.type === 'mock') return { answer: mockAnswer(method, request), method };
    if (integration.type !== 'lambda')
      return {
        answer: fail({
          type: 'API_CONFIGURATION_ERROR',
          status: 500,
          message: `The local REST API does not run ${integration.description} integrations`,
        }),
        method,
      };
    const event = proxyEvent(request, method, {
      apiId: api.id,
      stage: stage.name,
      accountId: options.accountId,
      pathParameters: routed.pathParameters,
      ...(claims ? { claims } : {}),
    });
    // A failed function and a malformed result are both API Gateway's 502, answered by DEFAULT_5XX.
    const internalError = () => fail({ type: 'DEFAULT_5XX', status: 502, message: 'Internal server error' });
    try {
      return { answer: proxyResult(await options.invoke(integration.functionId, event)) ?? internalError(), method };
    } catch (error) {
      console.warn(
        `REST ${request.method} ${request.path}: the function failed: ${error instanceof Error ? error.message : error}`,
      );
      return { answer: internalError(), method };
    }
  };

  const accessLog = async (
    api: LocalRestApi,
    stage: LocalRestApi['stages'][number],
    request: IncomingRequest,
    answer: HttpAnswer,
    method: LocalMethod | undefined,
    requestId: string,
  ) => {
    if (!options.accessLogDir || !stage.accessLogFormat) return;
    const values: Record<string, string> = {
      requestId,
      'identity.sourceIp': request.sourceIp,
      requestTime: new Date().toUTCString(),
      httpMethod: request.method,
      resourcePath: method?.resourcePath ?? '-',
      status: String(answer.status),
      protocol: 'HTTP/1.1',
      responseLength: String(answer.body.length),
    };
    const line = stage.accessLogFormat.replace(/\$context\.([A-Za-z.]+)/g, (_, name: string) => values[name] ?? '-');
    await mkdir(options.accessLogDir, { recursive: true });
    await appendFile(join(options.accessLogDir, `${api.id}-${stage.name}.log`), `${line}\n`);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = crypto.randomUUID();
    const send = (answer: HttpAnswer) => {
      res.statusCode = answer.status;
      for (const [name, values] of Object.entries(answer.headers)) res.setHeader(name, values);
      res.setHeader('x-amzn-requestid', requestId);
      res.setHeader('content-length', answer.body.length);
      res.end(answer.body);
    };
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const [, prefix, apiId, stageName, ...rest] = url.pathname.split('/');
    const api = prefix === 'restapis' ? options.apis().find((a) => a.id === apiId) : undefined;
    const stage = api?.stages.find((s) => s.name === stageName);
    const gatewayRequest = { requestId, apiId: apiId ?? '', stage: stageName ?? '', headers: headersOf(req) };
    const body = await readBody(req);
    if (!api || !stage)
      return send(gatewayAnswer({}, { type: 'DEFAULT_4XX', status: 403, message: 'Forbidden' }, gatewayRequest));
    const fail = (error: GatewayError) =>
      gatewayAnswer(api.gatewayResponses, error, { ...gatewayRequest, apiId: api.id, stage: stage.name });
    if (body === 'too large')
      return send(fail({ type: 'REQUEST_TOO_LARGE', status: 413, message: 'Request Too Long' }));
    const request: IncomingRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: `/${rest.join('/')}`,
      query: url.search.replace(/^\?/, ''),
      headers: headersOf(req),
      body,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    };
    const { answer, method } = await handle(api, stage, request, fail);
    send(answer);
    await accessLog(api, stage, request, answer, method, requestId).catch((error: unknown) =>
      console.warn(`REST access log: ${error instanceof Error ? error.message : error}`),
    );
  };

  const server = createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
    serve(req, res).catch((error: unknown) => {
      console.error('REST: request failed', error);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end('{"message": "Internal server error"}');
      } else res.destroy();
    });
  });
  // Clients keep connections to API Gateway open for long; Node's 5 s default made busy clients reuse closed sockets.
  server.keepAliveTimeout = 60_000;
  const listening = await listenLoopback(server, options.port);
  base = listening.url.replace('http://', 'https://');
  return {
    url: base,
    endpointOf: (apiId, stage) => `${base}/restapis/${apiId}/${stage}/`,
    close: () => listening.close(),
  };
};
