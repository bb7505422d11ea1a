import { randomUUID } from 'node:crypto';
import type { LocalFunction } from '../functions/runner';

/**
 * AppSync's AWS_LAMBDA authorization: the identity validation expression is
 * checked first, then the authorizer function gets AppSync's request event
 * and answers `isAuthorized`, `resolverContext`, `deniedFields` and
 * `ttlOverride`. The answer is cached per token for the TTL (the template's
 * AuthorizerResultTtlInSeconds unless the answer overrides it; 0 caches
 * nothing). A token refused, a function that fails, times out or answers no
 * boolean `isAuthorized` all get AppSync's 401.
 */

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** AppSync's message for every refusal by a Lambda authorizer. */
export const LAMBDA_UNAUTHORIZED = 'You are not authorized to make this call.';
/** AppSync waits at most this long for an authorizer. */
export const AUTHORIZER_TIMEOUT_MS = 10_000;
/** AppSync's ceiling for a cached decision. */
export const MAX_TTL_SECONDS = 3600;
/** Tokens whose decisions are kept at once; the oldest goes first. */
const MAX_CACHED_TOKENS = 10_000;

export class LambdaAuthorizationError extends Error {
  override readonly name = 'UnauthorizedException';
}

export interface AuthorizerDecision {
  isAuthorized: boolean;
  resolverContext: Json;
  deniedFields: string[];
  /** Seconds the decision may be reused for this token. */
  ttlSeconds: number;
}

/**
 * The authorizer's answer as AppSync reads it, or undefined for one it
 * cannot use (no boolean isAuthorized, a resolverContext that is no object,
 * deniedFields that are no list of strings, a ttlOverride out of range).
 */
export const parseAuthorizerResponse = (raw: unknown, defaultTtlSeconds: number): AuthorizerDecision | undefined => {
  if (!isRecord(raw) || typeof raw.isAuthorized !== 'boolean') return undefined;
  const context = raw.resolverContext ?? {};
  if (!isRecord(context)) return undefined;
  const denied = raw.deniedFields ?? [];
  if (!Array.isArray(denied) || !denied.every((f) => typeof f === 'string')) return undefined;
  const ttl = raw.ttlOverride ?? defaultTtlSeconds;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) return undefined;
  return {
    isAuthorized: raw.isAuthorized,
    resolverContext: context,
    deniedFields: denied,
    ttlSeconds: Math.min(Math.floor(ttl), MAX_TTL_SECONDS),
  };
};

/** Where a field sits, for matching the ARN form of deniedFields. */
export interface ApiCoordinates {
  region: string;
  accountId: string;
  apiId: string;
}

/**
 * Whether an authorizer's deniedFields name `typeName.fieldName`, in either
 * form AppSync takes: `TypeName.fieldName` or
 * `arn:aws:appsync:<region>:<account>:apis/<apiId>/types/<TypeName>/fields/<fieldName>`.
 */
export const isFieldDenied = (
  deniedFields: readonly string[],
  typeName: string,
  fieldName: string,
  api: ApiCoordinates,
): boolean => {
  if (deniedFields.length === 0) return false;
  const short = `${typeName}.${fieldName}`;
  const arn = `arn:aws:appsync:${api.region}:${api.accountId}:apis/${api.apiId}/types/${typeName}/fields/${fieldName}`;
  return deniedFields.some((field) => field === short || field === arn);
};

/** Decisions per token, each until its TTL runs out. */
export class DecisionCache {
  private readonly entries = new Map<string, { decision: AuthorizerDecision; until: number }>();

  get(token: string, now: number): AuthorizerDecision | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (now >= entry.until) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.decision;
  }

  set(token: string, decision: AuthorizerDecision, now: number): void {
    if (decision.ttlSeconds <= 0) return;
    this.entries.delete(token);
    if (this.entries.size >= MAX_CACHED_TOKENS) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { decision, until: now + decision.ttlSeconds * 1000 });
  }

  get size(): number {
    return this.entries.size;
  }
}

/** A regex from the template, anchored as AppSync applies it (the whole token must match). */
export const identityValidator = (expression: string | undefined): ((token: string) => boolean) => {
  if (!expression) return () => true;
  let pattern: RegExp;
  try {
    pattern = new RegExp(`^(?:${expression})$`);
  } catch {
    // An expression AppSync would have refused at deploy time: nothing matches it.
    return () => false;
  }
  return (token) => pattern.test(token);
};

export interface AuthorizerRequest {
  queryString: string;
  operationName?: string;
  variables: Json;
  headers: Record<string, string>;
}

export interface LambdaAuthorizerOptions {
  /** The authorizer function, looked up at each call (a hot reload may replace it). */
  fn: () => Pick<LocalFunction, 'invoke'> | undefined;
  ttlSeconds: number;
  identityValidationExpression?: string;
  api: ApiCoordinates;
  timeoutMs?: number;
  now?: () => number;
}

export class LambdaAuthorizer {
  private readonly cache = new DecisionCache();
  private readonly valid: (token: string) => boolean;
  /** Calls running, so that concurrent requests with one token invoke the function once. */
  private readonly inflight = new Map<string, Promise<AuthorizerDecision>>();

  constructor(private readonly options: LambdaAuthorizerOptions) {
    this.valid = identityValidator(options.identityValidationExpression);
  }

  /** The decision for a token, from the cache or the function; throws AppSync's 401 on a refusal. */
  async authorize(token: string | undefined, request: AuthorizerRequest): Promise<AuthorizerDecision> {
    if (!token || !this.valid(token)) throw new LambdaAuthorizationError(LAMBDA_UNAUTHORIZED);
    const now = this.options.now ?? Date.now;
    let decision = this.cache.get(token, now());
    if (!decision) {
      const running = this.inflight.get(token) ?? this.invoke(token, request);
      this.inflight.set(token, running);
      try {
        decision = await running;
      } finally {
        this.inflight.delete(token);
      }
      this.cache.set(token, decision, now());
    }
    if (!decision.isAuthorized) throw new LambdaAuthorizationError(LAMBDA_UNAUTHORIZED);
    return decision;
  }

  private async invoke(token: string, request: AuthorizerRequest): Promise<AuthorizerDecision> {
    const fn = this.options.fn();
    if (!fn) throw new LambdaAuthorizationError(LAMBDA_UNAUTHORIZED);
    const event = {
      authorizationToken: token,
      requestContext: {
        apiId: this.options.api.apiId,
        accountId: this.options.api.accountId,
        requestId: randomUUID(),
        queryString: request.queryString,
        ...(request.operationName ? { operationName: request.operationName } : {}),
        variables: request.variables,
      },
      requestHeaders: request.headers,
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new LambdaAuthorizationError(LAMBDA_UNAUTHORIZED)),
        this.options.timeoutMs ?? AUTHORIZER_TIMEOUT_MS,
      );
    });
    let raw: unknown;
    try {
      raw = await Promise.race([fn.invoke(event), timeout]);
    } catch {
      // A failed or timed-out authorizer refuses the request; its error stays in the function's log.
      throw new LambdaAuthorizationError(LAMBDA_UNAUTHORIZED);
    } finally {
      clearTimeout(timer);
    }
    const decision = parseAuthorizerResponse(raw, this.options.ttlSeconds);
    if (!decision) throw new LambdaAuthorizationError(LAMBDA_UNAUTHORIZED);
    return decision;
  }
}
