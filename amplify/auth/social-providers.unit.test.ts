import { describe, expect, it } from 'vitest';
import { externalProviders, parseSocialConfig, type SocialConfig } from './social-providers';

const URLS = { AUTH_CALLBACK_URLS: 'myapp://callback/', AUTH_LOGOUT_URLS: 'myapp://signout/' };

const socialConfig = (overrides: Partial<SocialConfig> = {}): SocialConfig => ({
  providers: [],
  callbackUrls: ['myapp://callback/'],
  logoutUrls: ['myapp://signout/'],
  ...overrides,
});

describe('parseSocialConfig', () => {
  it('turns social sign-in off when AUTH_SOCIAL_PROVIDERS is unset', () => {
    // Act
    const config = parseSocialConfig({});

    // Assess
    expect(config).toEqual({ providers: [], callbackUrls: [], logoutUrls: [] });
    expect(externalProviders(config)).toBeUndefined();
  });

  it('turns social sign-in off for a blank AUTH_SOCIAL_PROVIDERS without needing URLs', () => {
    // Act & Assess
    expect(parseSocialConfig({ AUTH_SOCIAL_PROVIDERS: ' , ' }).providers).toEqual([]);
  });

  it('parses providers case-insensitively, ignoring spaces', () => {
    // Act
    const config = parseSocialConfig({ AUTH_SOCIAL_PROVIDERS: 'google, Apple', ...URLS });

    // Assess
    expect(config.providers).toEqual(['google', 'apple']);
  });

  it('lists each provider once', () => {
    // Act & Assess
    expect(parseSocialConfig({ AUTH_SOCIAL_PROVIDERS: 'google,GOOGLE, facebook', ...URLS }).providers).toEqual([
      'google',
      'facebook',
    ]);
  });

  it('splits and trims the callback and logout URLs', () => {
    // Act
    const config = parseSocialConfig({
      AUTH_SOCIAL_PROVIDERS: 'facebook',
      AUTH_CALLBACK_URLS: ' myapp://callback/ , http://localhost:3000/ ,',
      AUTH_LOGOUT_URLS: 'myapp://signout/',
    });

    // Assess
    expect(config).toEqual({
      providers: ['facebook'],
      callbackUrls: ['myapp://callback/', 'http://localhost:3000/'],
      logoutUrls: ['myapp://signout/'],
    });
  });

  it('rejects an unknown provider, naming it', () => {
    // Act & Assess
    expect(() => parseSocialConfig({ AUTH_SOCIAL_PROVIDERS: 'google, Twitter', ...URLS })).toThrow(
      'AUTH_SOCIAL_PROVIDERS has unknown provider(s): twitter. Use any of: google, apple, facebook.',
    );
  });

  it.each([
    ['no callback URLs', { AUTH_LOGOUT_URLS: 'myapp://signout/' }],
    ['no logout URLs', { AUTH_CALLBACK_URLS: 'myapp://callback/' }],
    ['neither', {}],
  ])('rejects providers with %s', (_label, urls) => {
    // Act & Assess
    expect(() => parseSocialConfig({ AUTH_SOCIAL_PROVIDERS: 'google', ...urls })).toThrow(
      /AUTH_CALLBACK_URLS and AUTH_LOGOUT_URLS must list the app URLs/,
    );
  });
});

describe('externalProviders', () => {
  it('is undefined when no provider is configured', () => {
    // Act & Assess
    expect(externalProviders(socialConfig())).toBeUndefined();
  });

  it('has google and facebook, the URLs, and no Sign in with Apple', () => {
    // Act
    const providers = externalProviders(socialConfig({ providers: ['google', 'facebook'] }));

    // Assess
    expect(Object.keys(providers ?? {}).sort()).toEqual(['callbackUrls', 'facebook', 'google', 'logoutUrls']);
    expect(providers).not.toHaveProperty('signInWithApple');
    expect(providers?.callbackUrls).toEqual(['myapp://callback/']);
    expect(providers?.logoutUrls).toEqual(['myapp://signout/']);
    expect(providers?.google).toMatchObject({
      scopes: ['openid', 'email', 'profile'],
      attributeMapping: { email: 'email' },
    });
    expect(providers?.facebook).toMatchObject({
      scopes: ['email', 'public_profile'],
      attributeMapping: { email: 'email' },
    });
    expect(typeof providers?.google?.clientId).toBe('object');
    expect(typeof providers?.google?.clientSecret).toBe('object');
  });

  it('has only Sign in with Apple for apple', () => {
    // Act
    const providers = externalProviders(socialConfig({ providers: ['apple'] }));

    // Assess
    expect(Object.keys(providers ?? {}).sort()).toEqual(['callbackUrls', 'logoutUrls', 'signInWithApple']);
    expect(providers?.signInWithApple).toMatchObject({ scopes: ['email'], attributeMapping: { email: 'email' } });
    for (const key of ['clientId', 'keyId', 'privateKey', 'teamId']) {
      expect(providers?.signInWithApple).toHaveProperty(key);
    }
  });

  it('builds what defineAuth needs from a parsed environment', () => {
    // Prepare
    const config = parseSocialConfig({ AUTH_SOCIAL_PROVIDERS: 'Google,apple,FACEBOOK', ...URLS });

    // Act
    const providers = externalProviders(config);

    // Assess
    expect(Object.keys(providers ?? {}).sort()).toEqual([
      'callbackUrls',
      'facebook',
      'google',
      'logoutUrls',
      'signInWithApple',
    ]);
  });
});
