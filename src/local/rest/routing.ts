import type { LocalMethod, LocalRestApi } from './api';

/**
 * API Gateway's routing of a request path to a resource and method: literal
 * path parts win over `{param}` parts, `{proxy+}` takes the rest. A path no
 * resource matches, or a method the resource lacks, is API Gateway's 403
 * "Missing Authentication Token" (it does not say which).
 */

export interface Routed {
  method: LocalMethod;
  pathParameters: Record<string, string> | null;
}

export type RouteResult = Routed | { error: 'MissingAuthenticationToken' };

const segmentsOf = (path: string): string[] => path.split('/').filter(Boolean);

/** Matches request segments against a resource path; undefined when it does not match. */
export const matchPath = (resourcePath: string, requestPath: string): Record<string, string> | undefined => {
  const pattern = segmentsOf(resourcePath);
  const actual = segmentsOf(requestPath);
  const parameters: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i] ?? '';
    const greedy = /^\{(.+)\+\}$/.exec(part);
    if (greedy?.[1]) {
      if (i >= actual.length) return undefined;
      parameters[greedy[1]] = actual.slice(i).map(decode).join('/');
      return parameters;
    }
    const value = actual[i];
    if (value === undefined) return undefined;
    const param = /^\{(.+)\}$/.exec(part)?.[1];
    if (param) parameters[param] = decode(value);
    else if (part !== decode(value)) return undefined;
  }
  return pattern.length === actual.length ? parameters : undefined;
};

const decode = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/** How specific a resource path is: literal parts first, then parameters, greedy last (segment by segment). */
const rank = (resourcePath: string): number[] =>
  segmentsOf(resourcePath).map((part) => (/^\{.+\+\}$/.test(part) ? 2 : /^\{.+\}$/.test(part) ? 1 : 0));

const moreSpecific = (a: string, b: string): number => {
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < Math.max(ra.length, rb.length); i++) {
    const d = (ra[i] ?? -1) - (rb[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
};

export const route = (api: Pick<LocalRestApi, 'methods'>, httpMethod: string, requestPath: string): RouteResult => {
  const resources = [...new Set(api.methods.map((m) => m.resourcePath))].sort(moreSpecific);
  for (const resourcePath of resources) {
    const parameters = matchPath(resourcePath, requestPath);
    if (!parameters) continue;
    const methods = api.methods.filter((m) => m.resourcePath === resourcePath);
    const method =
      methods.find((m) => m.httpMethod === httpMethod.toUpperCase()) ?? methods.find((m) => m.httpMethod === 'ANY');
    if (!method) return { error: 'MissingAuthenticationToken' };
    return { method, pathParameters: Object.keys(parameters).length > 0 ? parameters : null };
  }
  return { error: 'MissingAuthenticationToken' };
};
