import type { DataSourceResult } from './dynamodb-source';

/**
 * An AppSync HTTP data source: a resolver's request `{ method, resourcePath,
 * params: { headers, query, body } }` sent to the data source's endpoint, and
 * the answer as AppSync hands it to the response handler: `{ statusCode,
 * headers, body }` with the body as text. A status of 4xx or 5xx is a result,
 * not an error; only a request that cannot be sent or answered is an error.
 */

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
/** How long a request may take before it fails as a timeout. */
const TIMEOUT_MS = 10_000;
/** AppSync's cap on a data source's answer. */
const MAX_RESPONSE_BYTES = 5 * 1024 * 1024;

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const mappingError = (message: string): DataSourceResult => ({ error: { message, type: 'MappingTemplate' } });

const stringsOf = (value: unknown): Record<string, string> =>
  isRecord(value)
    ? Object.fromEntries(
        Object.entries(value).flatMap(([k, v]) =>
          v === undefined || v === null ? [] : [[k, Array.isArray(v) ? v.map(String).join(',') : String(v)]],
        ),
      )
    : {};

export const invokeHttpSource = async (
  endpoint: string,
  request: unknown,
  send: typeof fetch = fetch,
): Promise<DataSourceResult> => {
  if (!isRecord(request)) return mappingError('The HTTP request must be an object.');
  const method = typeof request.method === 'string' ? request.method.toUpperCase() : '';
  if (!METHODS.has(method)) return mappingError(`Unsupported HTTP method: ${String(request.method)}`);
  const path = request.resourcePath;
  if (typeof path !== 'string' || !path.startsWith('/'))
    return mappingError('The resourcePath of an HTTP request must be a string that starts with /.');
  const params = isRecord(request.params) ? request.params : {};
  let url: URL;
  try {
    url = new URL(endpoint.replace(/\/+$/, '') + path);
  } catch {
    return mappingError(`Invalid HTTP endpoint or resourcePath: ${endpoint}${path}`);
  }
  for (const [name, value] of Object.entries(stringsOf(params.query))) url.searchParams.append(name, value);
  const body = params.body;
  const init: RequestInit = {
    method,
    headers: stringsOf(params.headers),
    signal: AbortSignal.timeout(TIMEOUT_MS),
    ...(body === undefined || body === null || method === 'GET' || method === 'HEAD'
      ? {}
      : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  };
  try {
    const response = await send(url, init);
    const text = await response.text();
    if (Buffer.byteLength(text) > MAX_RESPONSE_BYTES)
      return { error: { message: 'The HTTP response is larger than 5 MB.', type: 'HttpResponseTooLarge' } };
    return {
      result: {
        statusCode: response.status,
        headers: Object.fromEntries(response.headers.entries()),
        body: text,
      },
    };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return {
      error: timedOut
        ? { message: `The HTTP request to ${url.origin} timed out.`, type: 'HttpTimeout' }
        : {
            message: `The HTTP request to ${url.origin} failed: ${error instanceof Error ? error.message : String(error)}`,
            type: 'HttpConnectionError',
          },
    };
  }
};
