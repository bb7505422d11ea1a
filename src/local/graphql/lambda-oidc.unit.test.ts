import { createLocalJWKSet } from 'jose';
import { describe, expect, it } from 'vitest';
import { LocalOidcIssuer } from '../auth/oidc-issuer';
import {
  DecisionCache,
  identityValidator,
  isFieldDenied,
  LambdaAuthorizer,
  parseAuthorizerResponse,
} from './lambda-authorizer';
import { checkOidcClaims, verifyOidcToken } from './oidc';

const API = { region: 'us-east-1', accountId: '123456789012', apiId: 'localapi' };

describe('the Lambda authorizer answer', () => {
  it('takes isAuthorized, resolverContext, deniedFields and ttlOverride, and the template TTL without one', () => {
    expect(
      parseAuthorizerResponse(
        { isAuthorized: true, resolverContext: { a: '1' }, deniedFields: ['Post.secret'], ttlOverride: 5 },
        300,
      ),
    ).toEqual({ isAuthorized: true, resolverContext: { a: '1' }, deniedFields: ['Post.secret'], ttlSeconds: 5 });
    expect(parseAuthorizerResponse({ isAuthorized: false }, 300)).toEqual({
      isAuthorized: false,
      resolverContext: {},
      deniedFields: [],
      ttlSeconds: 300,
    });
    // AppSync caps the cache at an hour.
    expect(parseAuthorizerResponse({ isAuthorized: true, ttlOverride: 99_999 }, 0)?.ttlSeconds).toBe(3600);
  });

  it('refuses answers AppSync cannot use', () => {
    for (const answer of [
      null,
      'yes',
      { isAuthorized: 'true' },
      { isAuthorized: true, resolverContext: 'ctx' },
      { isAuthorized: true, deniedFields: 'Post.secret' },
      { isAuthorized: true, deniedFields: [1] },
      { isAuthorized: true, ttlOverride: -1 },
      { isAuthorized: true, ttlOverride: '10' },
    ])
      expect(parseAuthorizerResponse(answer, 300)).toBeUndefined();
  });
});

describe('deniedFields', () => {
  it('match a field by TypeName.field or by its ARN, and nothing else', () => {
    const arn = 'arn:aws:appsync:us-east-1:123456789012:apis/localapi/types/Mutation/fields/addScore';
    const denied = ['Team.secret', arn];
    expect(isFieldDenied(denied, 'Team', 'secret', API)).toBe(true);
    expect(isFieldDenied(denied, 'Mutation', 'addScore', API)).toBe(true);
    expect(isFieldDenied(denied, 'Team', 'name', API)).toBe(false);
    expect(isFieldDenied(denied, 'Query', 'addScore', API)).toBe(false);
    // Another API's ARN, or a partial name, denies nothing here.
    expect(isFieldDenied([arn.replace('localapi', 'other')], 'Mutation', 'addScore', API)).toBe(false);
    expect(isFieldDenied(['secret', 'Team.*'], 'Team', 'secret', API)).toBe(false);
  });
});

describe('the decision cache', () => {
  const decision = (ttlSeconds: number) => ({ isAuthorized: true, resolverContext: {}, deniedFields: [], ttlSeconds });

  it('keeps a decision per token until its TTL, and nothing with TTL 0', () => {
    const cache = new DecisionCache();
    cache.set('a', decision(10), 1_000);
    cache.set('b', decision(0), 1_000);
    expect(cache.get('a', 10_999)).toBeDefined();
    expect(cache.get('a', 11_000)).toBeUndefined();
    expect(cache.get('b', 1_000)).toBeUndefined();
    expect(cache.get('c', 1_000)).toBeUndefined();
  });
});

describe('the identity validation expression', () => {
  it('must match the whole token; none or an empty one lets every token through', () => {
    const valid = identityValidator('team-[a-z]+');
    expect(valid('team-ann')).toBe(true);
    expect(valid('xteam-ann')).toBe(false);
    expect(valid('team-ann-1')).toBe(false);
    expect(identityValidator(undefined)('anything')).toBe(true);
    expect(identityValidator('(')('(')).toBe(false);
  });
});

describe('LambdaAuthorizer', () => {
  const setup = (
    answer: (event: Record<string, unknown>) => unknown,
    options: { ttl?: number; regex?: string } = {},
  ) => {
    const events: Array<Record<string, unknown>> = [];
    let clock = 1_000_000;
    const authorizer = new LambdaAuthorizer({
      fn: () => ({
        invoke: async (event: unknown) => {
          const e = event as Record<string, unknown>;
          events.push(e);
          return answer(e);
        },
      }),
      ttlSeconds: options.ttl ?? 300,
      identityValidationExpression: options.regex,
      api: API,
      timeoutMs: 50,
      now: () => clock,
    });
    return { authorizer, events, tick: (ms: number) => (clock += ms) };
  };
  const request = { queryString: 'query Q { a }', operationName: 'Q', variables: { x: 1 }, headers: { host: 'h' } };

  it("sends AppSync's event and caches the decision per token for ttlOverride seconds", async () => {
    const { authorizer, events, tick } = setup(() => ({
      isAuthorized: true,
      resolverContext: { n: 1 },
      ttlOverride: 2,
    }));
    await authorizer.authorize('t1', request);
    await authorizer.authorize('t1', request);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      authorizationToken: 't1',
      requestContext: {
        apiId: 'localapi',
        accountId: '123456789012',
        queryString: 'query Q { a }',
        operationName: 'Q',
        variables: { x: 1 },
      },
      requestHeaders: { host: 'h' },
    });
    expect(events[0]?.requestContext).toHaveProperty('requestId');
    await authorizer.authorize('t2', request);
    expect(events).toHaveLength(2);
    tick(2_000);
    await authorizer.authorize('t1', request);
    expect(events).toHaveLength(3);
  });

  it('invokes every time when the answer says ttlOverride 0', async () => {
    const { authorizer, events } = setup(() => ({ isAuthorized: true, ttlOverride: 0 }));
    await authorizer.authorize('t', request);
    await authorizer.authorize('t', request);
    expect(events).toHaveLength(2);
  });

  it('refuses with AppSync 401 message: denied (cached too), failed, timed out, malformed, no token, regex', async () => {
    const message = 'You are not authorized to make this call.';
    const denied = setup(() => ({ isAuthorized: false }));
    await expect(denied.authorizer.authorize('t', request)).rejects.toThrow(message);
    await expect(denied.authorizer.authorize('t', request)).rejects.toThrow(message);
    expect(denied.events).toHaveLength(1);
    await expect(
      setup(() => {
        throw new Error('boom');
      }).authorizer.authorize('t', request),
    ).rejects.toThrow(message);
    await expect(setup(() => new Promise(() => {})).authorizer.authorize('t', request)).rejects.toThrow(message);
    await expect(setup(() => ({ ok: true })).authorizer.authorize('t', request)).rejects.toThrow(message);
    const checked = setup(() => ({ isAuthorized: true }), { regex: 'team-.*' });
    await expect(checked.authorizer.authorize(undefined, request)).rejects.toThrow(message);
    await expect(checked.authorizer.authorize('guest', request)).rejects.toThrow(message);
    // The expression is checked before the function runs.
    expect(checked.events).toHaveLength(0);
    await checked.authorizer.authorize('team-a', request);
    expect(checked.events).toHaveLength(1);
  });
});

describe('OIDC tokens', () => {
  const settings = {
    issuer: 'https://idp.example',
    clientId: 'app-(web|ios)',
    iatTtlSeconds: 600,
    authTtlSeconds: 3600,
  };

  it('need an aud the client id expression matches', () => {
    expect(() => checkOidcClaims({ aud: 'app-web', iat: 100, auth_time: 100 }, settings, 200)).not.toThrow();
    expect(() => checkOidcClaims({ aud: ['x', 'app-ios'], iat: 100, auth_time: 100 }, settings, 200)).not.toThrow();
    expect(() => checkOidcClaims({ aud: 'app-webx', iat: 100, auth_time: 100 }, settings, 200)).toThrow(
      'Valid authorization header not provided.',
    );
    expect(() => checkOidcClaims({ iat: 100, auth_time: 100 }, settings, 200)).toThrow();
    expect(() => checkOidcClaims({ iat: 100, auth_time: 100 }, { issuer: 'x' }, 1e12)).not.toThrow();
  });

  it('expire iat + IatTTL and auth_time + AuthTTL after', () => {
    expect(() => checkOidcClaims({ aud: 'app-web', iat: 100, auth_time: 100 }, settings, 700)).not.toThrow();
    expect(() => checkOidcClaims({ aud: 'app-web', iat: 100, auth_time: 100 }, settings, 701)).toThrow(
      'Token has expired.',
    );
    expect(() => checkOidcClaims({ aud: 'app-web', iat: 3000, auth_time: 100 }, settings, 3701)).toThrow(
      'Token has expired.',
    );
    expect(() => checkOidcClaims({ aud: 'app-web', iat: 3000 }, settings, 3001)).toThrow(
      'Valid authorization header not provided.',
    );
  });

  it("verify the local issuer's tokens for the template's issuer, and refuse others", async () => {
    const issuer = await LocalOidcIssuer.create('https://idp.example', 'https://127.0.0.1:1/oidc');
    const stranger = await LocalOidcIssuer.create('https://idp.example', 'https://127.0.0.1:1/oidc');
    const keys = createLocalJWKSet(issuer.jwks());
    const good = await issuer.mint({ sub: 'u1', clientId: 'app-web', claims: { groups: ['Coaches'] } });
    await expect(verifyOidcToken(good, settings, keys)).resolves.toMatchObject({
      sub: 'u1',
      iss: 'https://idp.example',
      groups: ['Coaches'],
    });
    const expired = await issuer.mint({ sub: 'u1', clientId: 'app-web', expiresInSeconds: -10 });
    await expect(verifyOidcToken(expired, settings, keys)).rejects.toThrow('Token has expired.');
    const forged = await stranger.mint({ sub: 'u1', clientId: 'app-web' });
    await expect(verifyOidcToken(forged, settings, keys)).rejects.toThrow('Valid authorization header not provided.');
    await expect(verifyOidcToken(good, { ...settings, issuer: 'https://other' }, keys)).rejects.toThrow();
    await expect(verifyOidcToken(undefined, settings, keys)).rejects.toThrow();
    await expect(verifyOidcToken('not-a-jwt', settings, keys)).rejects.toThrow();
  });
});
