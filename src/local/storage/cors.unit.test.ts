import { describe, expect, it } from 'vitest';
import { corsHeaders, corsRulesOf, matchCors, requestedHeaders } from './cors';

// The media bucket's rule as amplify/storage synthesizes it, and a narrower one like the codegen bucket's.
const rules = corsRulesOf({
  CorsRules: [
    {
      AllowedHeaders: ['*'],
      AllowedMethods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'],
      AllowedOrigins: ['*'],
      ExposedHeaders: ['x-amz-server-side-encryption', 'x-amz-request-id', 'x-amz-id-2', 'ETag'],
      MaxAge: 3000,
    },
  ],
});
const narrow = corsRulesOf({
  CorsRules: [
    { AllowedOrigins: ['https://*.example.com'], AllowedMethods: ['GET'], AllowedHeaders: ['x-amz-*', 'Content-Type'] },
    { AllowedOrigins: ['https://app.example.org'], AllowedMethods: ['PUT', 'GET'], ExposedHeaders: ['ETag'] },
  ],
});

describe('S3 CORS rule matching', () => {
  it('reads CloudFormation’s CorsConfiguration, and none from an absent one', () => {
    expect(rules).toEqual([
      {
        allowedOrigins: ['*'],
        allowedMethods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'],
        allowedHeaders: ['*'],
        exposedHeaders: ['x-amz-server-side-encryption', 'x-amz-request-id', 'x-amz-id-2', 'ETag'],
        maxAgeSeconds: 3000,
      },
    ]);
    expect(corsRulesOf(undefined)).toEqual([]);
    expect(corsRulesOf({ CorsRules: 'x' })).toEqual([]);
  });

  it('allows any origin, method and header the synthesized media rule lists', () => {
    const request = {
      origin: 'http://localhost:5173',
      method: 'PUT',
      headers: requestedHeaders('Authorization, X-Amz-Date'),
    };
    const rule = matchCors(rules, request);
    expect(rule).toBeDefined();
    expect(matchCors(rules, { origin: 'capacitor://localhost', method: 'DELETE' })).toBeDefined();
    expect(matchCors(rules, { origin: 'http://localhost:5173', method: 'PATCH' })).toBeUndefined();
    expect(rule && corsHeaders(rule, request, true)).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-headers': 'authorization, x-amz-date',
      'access-control-expose-headers': 'x-amz-server-side-encryption, x-amz-request-id, x-amz-id-2, ETag',
      'access-control-max-age': '3000',
    });
  });

  it('matches origins with one wildcard, case-sensitively, and headers case-insensitively', () => {
    expect(
      matchCors(narrow, { origin: 'https://a.example.com', method: 'GET', headers: ['x-amz-date', 'content-type'] }),
    ).toBe(narrow[0]);
    expect(matchCors(narrow, { origin: 'https://example.com', method: 'GET' })).toBeUndefined();
    expect(matchCors(narrow, { origin: 'http://a.example.com', method: 'GET' })).toBeUndefined();
    expect(matchCors(narrow, { origin: 'https://A.example.com.evil.net', method: 'GET' })).toBeUndefined();
    expect(
      matchCors(narrow, { origin: 'https://a.example.com', method: 'GET', headers: ['authorization'] }),
    ).toBeUndefined();
    // A rule without AllowedHeaders allows a preflight that asks for none.
    expect(matchCors(narrow, { origin: 'https://app.example.org', method: 'PUT' })).toBe(narrow[1]);
    expect(
      matchCors(narrow, { origin: 'https://app.example.org', method: 'PUT', headers: ['content-type'] }),
    ).toBeUndefined();
  });

  it('echoes a named origin with credentials allowed, and says the answer varies', () => {
    const rule = narrow[1];
    expect(rule).toBeDefined();
    const headers = rule ? corsHeaders(rule, { origin: 'https://app.example.org', method: 'GET' }, false) : {};
    expect(headers).toMatchObject({
      'access-control-allow-origin': 'https://app.example.org',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'ETag',
    });
    expect(headers.vary).toContain('Origin');
  });
});
