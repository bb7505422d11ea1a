import type { CloudAssembly } from '../cloud/assembly';
import { type LocalRestApi, restApisOf } from './api';

export type { LocalRestApi } from './api';
export { type LocalRest, startLocalRest } from './server';

const cache = new WeakMap<CloudAssembly, LocalRestApi[]>();

/** The REST APIs of an assembly, read once per assembly (a hot reload brings a new one). */
export const restApisFor = (assembly: CloudAssembly): LocalRestApi[] => {
  let apis = cache.get(assembly);
  if (!apis) {
    apis = restApisOf(assembly);
    cache.set(assembly, apis);
  }
  return apis;
};

/** The functions behind the REST APIs' Lambda proxy integrations. */
export const restFunctionIds = (assembly: CloudAssembly): string[] =>
  restApisFor(assembly).flatMap((api) =>
    api.methods.flatMap((m) => (m.integration.type === 'lambda' ? [m.integration.functionId] : [])),
  );

const rewrite = (
  value: unknown,
  apis: readonly LocalRestApi[],
  endpointOf: (apiId: string, stage: string) => string,
): unknown => {
  if (typeof value === 'string') {
    const match = /^https:\/\/([^./]+)\.execute-api\.[^/]+\/([^/]+)\/?(.*)$/.exec(value);
    const api = match && apis.find((a) => a.id === match[1]);
    return match && api ? `${endpointOf(api.id, match[2] ?? '')}${match[3] ?? ''}` : value;
  }
  if (Array.isArray(value)) return value.map((v) => rewrite(v, apis, endpointOf));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, apis, endpointOf)]));
  return value;
};

/**
 * Outputs with every API Gateway invoke URL of a local API
 * (`https://<id>.execute-api.<region>.amazonaws.com/<stage>/…`) pointed at the
 * local server, wherever the app published it (`custom.API.<name>.endpoint`).
 */
export const pointAtLocalRest = (
  outputs: Record<string, unknown>,
  apis: readonly LocalRestApi[],
  endpointOf: (apiId: string, stage: string) => string,
): Record<string, unknown> =>
  Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, rewrite(v, apis, endpointOf)]));
