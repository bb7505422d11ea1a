/**
 * The two backends the template tests synthesize: the sandbox a newcomer gets
 * with no configuration, and a fully configured branch deploy (Amplify
 * Hosting) with every optional feature switched on.
 */
export const VARIANTS = {
  sandbox: { type: 'sandbox', env: {} },
  configured: {
    type: 'branch',
    env: {
      AUTH_SOCIAL_PROVIDERS: 'google,apple,facebook',
      AUTH_CALLBACK_URLS: 'myapp://callback/',
      AUTH_LOGOUT_URLS: 'myapp://signout/',
      CLOUDSEARCH_DOMAIN_NAME: 'notes',
      CLOUDSEARCH_DOCUMENT_ENDPOINT: 'doc-notes-abc123.eu-west-1.cloudsearch.amazonaws.com',
      CLOUDSEARCH_SEARCH_ENDPOINT: 'search-notes-abc123.eu-west-1.cloudsearch.amazonaws.com',
      PUSH_APNS_SECRET_NAME: 'mobile/apns',
      PUSH_FCM_SECRET_NAME: 'mobile/fcm',
      CDN_DOMAIN_NAME: 'media.example.com',
      CDN_CERTIFICATE_ARN: 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
      CDN_WEB_ACL_ARN:
        'arn:aws:wafv2:us-east-1:123456789012:global/webacl/media-cdn/a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
      ALARM_EMAIL: 'ops@example.com',
      ALARM_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:ops-alerts',
      API_WAF: 'true',
      SEND_MESSAGE_RATE_LIMIT: '100',
      AUTH_EMAIL_FROM: 'no-reply@example.com',
      AUTH_SES_IDENTITY_ARN: 'arn:aws:ses:eu-west-1:123456789012:identity/example.com',
      REST_CORS_ORIGINS: 'https://app.example.com,capacitor://localhost',
    },
  },
} as const;

export type VariantName = keyof typeof VARIANTS;

/** Every variable the backend reads at synth time, cleared so a developer's shell cannot leak into a test. */
export const CONFIG_VARIABLES = [
  ...new Set(Object.values(VARIANTS).flatMap((v) => Object.keys(v.env))),
  'PUSH_APNS_SANDBOX',
  'SEARCH_ENGINE',
  'OPENSEARCH_INSTANCE_TYPE',
];

export const outDirOf = (variant: VariantName): string => `.amplify/synth/test-${variant}`;
