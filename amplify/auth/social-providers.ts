import { secret } from '@aws-amplify/backend';

export const SOCIAL_PROVIDERS = ['google', 'apple', 'facebook'] as const;
export type SocialProvider = (typeof SOCIAL_PROVIDERS)[number];

export interface SocialConfig {
  providers: SocialProvider[];
  callbackUrls: string[];
  logoutUrls: string[];
}

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

const isProvider = (value: string): value is SocialProvider => SOCIAL_PROVIDERS.some((p) => p === value);

/**
 * Social sign-in is off unless `AUTH_SOCIAL_PROVIDERS` names providers, so a
 * backend without their secrets still synthesizes and deploys. Switching one
 * on needs its secrets (`npx ampx sandbox secret set ...`) and the app's
 * callback and logout URLs.
 */
export const parseSocialConfig = (env: Record<string, string | undefined>): SocialConfig => {
  const names = list(env.AUTH_SOCIAL_PROVIDERS).map((name) => name.toLowerCase());
  const unknown = names.filter((name) => !isProvider(name));
  if (unknown.length > 0) {
    throw new Error(
      `AUTH_SOCIAL_PROVIDERS has unknown provider(s): ${unknown.join(', ')}. Use any of: ${SOCIAL_PROVIDERS.join(', ')}.`,
    );
  }
  const providers = [...new Set(names.filter(isProvider))];
  const callbackUrls = list(env.AUTH_CALLBACK_URLS);
  const logoutUrls = list(env.AUTH_LOGOUT_URLS);
  if (providers.length > 0 && (callbackUrls.length === 0 || logoutUrls.length === 0)) {
    throw new Error(
      'AUTH_SOCIAL_PROVIDERS is set, so AUTH_CALLBACK_URLS and AUTH_LOGOUT_URLS must list the app URLs (for example myapp://callback/).',
    );
  }
  return { providers, callbackUrls, logoutUrls };
};

/** The `externalProviders` block of defineAuth for the configured providers, or undefined when none are. */
export const externalProviders = (config: SocialConfig) => {
  if (config.providers.length === 0) return undefined;
  const on = new Set(config.providers);
  return {
    ...(on.has('google') && {
      google: {
        clientId: secret('GOOGLE_CLIENT_ID'),
        clientSecret: secret('GOOGLE_CLIENT_SECRET'),
        scopes: ['openid', 'email', 'profile'],
        attributeMapping: { email: 'email' },
      },
    }),
    ...(on.has('apple') && {
      signInWithApple: {
        clientId: secret('APPLE_CLIENT_ID'),
        keyId: secret('APPLE_KEY_ID'),
        privateKey: secret('APPLE_PRIVATE_KEY'),
        teamId: secret('APPLE_TEAM_ID'),
        scopes: ['email'],
        attributeMapping: { email: 'email' },
      },
    }),
    ...(on.has('facebook') && {
      facebook: {
        clientId: secret('FACEBOOK_CLIENT_ID'),
        clientSecret: secret('FACEBOOK_CLIENT_SECRET'),
        scopes: ['email', 'public_profile'],
        attributeMapping: { email: 'email' },
      },
    }),
    callbackUrls: config.callbackUrls,
    logoutUrls: config.logoutUrls,
  };
};
