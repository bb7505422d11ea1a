/**
 * S3's CORS evaluation for one bucket, from the `CorsConfiguration` of its
 * `AWS::S3::Bucket` in the synthesized template. As S3 does: the first rule
 * whose AllowedOrigins match the Origin (with at most one `*` wildcard) and
 * whose AllowedMethods contain the method applies; for a preflight every
 * requested header must also match an AllowedHeaders entry (case-insensitive,
 * `*` wildcards).
 */
export interface CorsRule {
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposedHeaders: string[];
  maxAgeSeconds?: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/** The rules of a resolved `CorsConfiguration` property (CloudFormation's shape); none when absent. */
export const corsRulesOf = (configuration: unknown): CorsRule[] => {
  if (!isRecord(configuration) || !Array.isArray(configuration.CorsRules)) return [];
  return configuration.CorsRules.filter(isRecord).map((rule) => ({
    allowedOrigins: strings(rule.AllowedOrigins),
    allowedMethods: strings(rule.AllowedMethods).map((m) => m.toUpperCase()),
    allowedHeaders: strings(rule.AllowedHeaders),
    exposedHeaders: strings(rule.ExposedHeaders),
    ...(typeof rule.MaxAge === 'number' ? { maxAgeSeconds: rule.MaxAge } : {}),
  }));
};

/** A pattern with `*` wildcards, matched whole. */
const wildcard = (pattern: string, value: string, ignoreCase: boolean): boolean => {
  const [p, v] = ignoreCase ? [pattern.toLowerCase(), value.toLowerCase()] : [pattern, value];
  const parts = p.split('*');
  if (parts.length === 1) return p === v;
  const first = parts[0] ?? '';
  const last = parts.at(-1) ?? '';
  if (!v.startsWith(first) || !v.endsWith(last) || v.length < first.length + last.length) return false;
  let at = first.length;
  for (const middle of parts.slice(1, -1)) {
    const found = v.indexOf(middle, at);
    if (found < 0 || found + middle.length > v.length - last.length) return false;
    at = found + middle.length;
  }
  return true;
};

export interface CorsRequest {
  origin: string;
  method: string;
  /** For a preflight: the Access-Control-Request-Headers, lower-cased. */
  headers?: string[];
}

/** The first rule that allows a request, as S3 picks it; undefined when none does. */
export const matchCors = (rules: CorsRule[], request: CorsRequest): CorsRule | undefined =>
  rules.find(
    (rule) =>
      rule.allowedOrigins.some((o) => wildcard(o, request.origin, false)) &&
      rule.allowedMethods.includes(request.method.toUpperCase()) &&
      (request.headers ?? []).every((h) => rule.allowedHeaders.some((allowed) => wildcard(allowed, h, true))),
  );

/** The requested headers of a preflight: `Access-Control-Request-Headers`, split and lower-cased. */
export const requestedHeaders = (value: string | string[] | undefined): string[] =>
  (Array.isArray(value) ? value.join(',') : (value ?? ''))
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);

/**
 * The `Access-Control-*` headers S3 sends for a matched rule: the origin is
 * echoed unless the rule allows every origin, credentials are allowed for a
 * named origin, and caches are told the answer varies with the request.
 */
export const corsHeaders = (rule: CorsRule, request: CorsRequest, preflight: boolean): Record<string, string> => {
  const anyOrigin = rule.allowedOrigins.includes('*');
  return {
    'access-control-allow-origin': anyOrigin ? '*' : request.origin,
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    ...(preflight && request.headers && request.headers.length > 0
      ? { 'access-control-allow-headers': request.headers.join(', ') }
      : {}),
    ...(rule.exposedHeaders.length > 0 ? { 'access-control-expose-headers': rule.exposedHeaders.join(', ') } : {}),
    ...(rule.maxAgeSeconds === undefined ? {} : { 'access-control-max-age': String(rule.maxAgeSeconds) }),
    ...(anyOrigin ? {} : { 'access-control-allow-credentials': 'true' }),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
};
