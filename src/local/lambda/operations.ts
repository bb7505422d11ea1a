import { randomUUID } from 'node:crypto';
import type { LocalFunction } from '../functions/runner';
import type { LocalFunctionSpec } from '../functions/specs';
import { functionNotFound, LambdaError } from './errors';
import { configurationOf, type FunctionNames, functionArn, parseFunctionName } from './functions';

/**
 * Lambda's operations on the running generation's functions: Invoke
 * (RequestResponse, Event, DryRun; `Unhandled` function errors with their
 * payload; a log tail), GetFunction, GetFunctionConfiguration, ListFunctions.
 * Each asks IAM for its action on the function's ARN before it looks further.
 */

export interface LambdaFunctions {
  /** The running functions, by name. */
  functions(): ReadonlyMap<string, LocalFunction>;
  specs(): ReadonlyMap<string, LocalFunctionSpec>;
  /** Runs an Event invocation: retried twice, then dead-lettered, as Lambda's async queue does. */
  invokeAsync(fn: LocalFunction, event: unknown): void;
}

export interface LambdaContext extends LambdaFunctions {
  names: FunctionNames;
  /** Throws AccessDeniedException unless the caller may perform the action on the resource. */
  allow(action: string, resource: string): void;
}

export interface LambdaAnswer {
  status: number;
  headers?: Record<string, string>;
  /** JSON to send, or the raw payload of an invocation. */
  json?: unknown;
  payload?: Buffer;
}

/** Lambda's limits on an invocation's payload: 6 MB synchronous, 1 MB asynchronous (both ways for the former). */
export const SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;
export const ASYNC_PAYLOAD_LIMIT = 1024 * 1024;
const TAIL_BYTES = 4096;

const found = (context: LambdaContext, raw: string, qualifier: string | undefined, action: string) => {
  const { name, qualifier: q } = parseFunctionName(raw, qualifier);
  const arn = functionArn(context.names, name);
  context.allow(action, q === undefined ? arn : `${arn}:${q}`);
  const fn = context.functions().get(name);
  const spec = context.specs().get(name);
  // Only $LATEST runs locally: there are no published versions or aliases.
  if (!fn || !spec || (q !== undefined && q !== '$LATEST'))
    throw functionNotFound(q === undefined ? arn : `${arn}:${q}`);
  return { fn, spec, arn };
};

const parsePayload = (payload: Buffer): unknown => {
  if (payload.length === 0) return {};
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch (error) {
    throw new LambdaError(
      'InvalidRequestContentException',
      `Could not parse request body into json: Could not parse payload into json: ${error instanceof Error ? error.message : error}`,
    );
  }
};

export interface InvokeRequest {
  functionName: string;
  qualifier?: string;
  invocationType: string;
  logType: string;
  payload: Buffer;
}

export const invoke = async (context: LambdaContext, request: InvokeRequest): Promise<LambdaAnswer> => {
  if (!['RequestResponse', 'Event', 'DryRun'].includes(request.invocationType))
    throw new LambdaError(
      'ValidationException',
      `1 validation error detected: Value '${request.invocationType}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`,
    );
  if (!['None', 'Tail'].includes(request.logType))
    throw new LambdaError(
      'ValidationException',
      `1 validation error detected: Value '${request.logType}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [Tail, None]`,
    );
  const { fn } = found(context, request.functionName, request.qualifier, 'lambda:InvokeFunction');
  const executed = { 'x-amz-executed-version': '$LATEST' };
  if (request.invocationType === 'Event') {
    if (request.payload.length > ASYNC_PAYLOAD_LIMIT)
      throw new LambdaError(
        'RequestTooLargeException',
        `Request must be smaller than ${ASYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation`,
        413,
      );
    context.invokeAsync(fn, parsePayload(request.payload));
    return { status: 202, payload: Buffer.alloc(0) };
  }
  const event = parsePayload(request.payload);
  if (request.invocationType === 'DryRun') return { status: 204, payload: Buffer.alloc(0) };

  // The log tail: what the function wrote during this invocation, framed as Lambda frames it.
  const requestId = randomUUID();
  let output = '';
  const unsubscribe = request.logType === 'Tail' ? fn.onOutput((text) => (output += text)) : () => {};
  const started = performance.now();
  let result: { ok: true; value: unknown } | { ok: false; errorType: string; message: string };
  try {
    result = { ok: true, value: await fn.invoke(event) };
  } catch (error) {
    result = {
      ok: false,
      errorType: error instanceof Error ? error.name : 'Error',
      message: error instanceof Error ? error.message : String(error),
    };
  } finally {
    unsubscribe();
  }
  const ms = performance.now() - started;
  let payload = Buffer.from(
    JSON.stringify(result.ok ? result.value : { errorType: result.errorType, errorMessage: result.message, trace: [] }),
  );
  let failed = !result.ok;
  if (payload.length > SYNC_PAYLOAD_LIMIT) {
    failed = true;
    payload = Buffer.from(
      JSON.stringify({
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: `Response payload size exceeded maximum allowed payload size (${SYNC_PAYLOAD_LIMIT} bytes).`,
      }),
    );
  }
  const headers: Record<string, string> = { ...executed, 'content-type': 'application/json' };
  if (failed) headers['x-amz-function-error'] = 'Unhandled';
  if (request.logType === 'Tail') {
    const log = Buffer.from(
      `START RequestId: ${requestId} Version: $LATEST\n${output}END RequestId: ${requestId}\nREPORT RequestId: ${requestId}\tDuration: ${ms.toFixed(2)} ms\n`,
    );
    headers['x-amz-log-result'] = log.subarray(Math.max(0, log.length - TAIL_BYTES)).toString('base64');
  }
  return { status: 200, headers, payload };
};

export const getFunctionConfiguration = (context: LambdaContext, name: string, qualifier?: string): LambdaAnswer => {
  const { spec } = found(context, name, qualifier, 'lambda:GetFunctionConfiguration');
  return { status: 200, json: configurationOf(context.names, spec) };
};

export const getFunction = (context: LambdaContext, name: string, qualifier?: string): LambdaAnswer => {
  const { spec } = found(context, name, qualifier, 'lambda:GetFunction');
  return {
    status: 200,
    json: {
      Configuration: configurationOf(context.names, spec),
      // Locally the code is the bundle on disk; there is no presigned download.
      Code: { RepositoryType: 'S3', Location: `file://${spec.codeDir}` },
    },
  };
};

export const listFunctions = (
  context: LambdaContext,
  marker: string | undefined,
  maxItems: string | undefined,
): LambdaAnswer => {
  context.allow('lambda:ListFunctions', '*');
  const max = maxItems === undefined ? 50 : Number(maxItems);
  if (!Number.isInteger(max) || max < 1 || max > 10_000)
    throw new LambdaError(
      'ValidationException',
      `1 validation error detected: Value '${maxItems}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000`,
    );
  const specs = [...context.specs().values()].sort((a, b) => a.name.localeCompare(b.name));
  const start = marker === undefined ? 0 : specs.findIndex((s) => s.name === marker) + 1;
  if (marker !== undefined && start === 0) throw new LambdaError('InvalidParameterValueException', 'Invalid Marker');
  const page = specs.slice(start, start + Math.min(max, 50));
  const last = page.at(-1);
  return {
    status: 200,
    json: {
      Functions: page.map((spec) => configurationOf(context.names, spec)),
      ...(last && start + page.length < specs.length ? { NextMarker: last.name } : {}),
    },
  };
};
