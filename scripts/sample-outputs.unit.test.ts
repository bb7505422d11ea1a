import { readFileSync } from 'node:fs';
import { parseAmplifyConfig } from 'aws-amplify/utils';
import { describe, expect, it } from 'vitest';

const sample: unknown = JSON.parse(readFileSync('amplify_outputs.sample.json', 'utf8'));

describe('amplify_outputs.sample.json', () => {
  it('is read by the real aws-amplify client as a Gen 2 outputs file', () => {
    // Act: the parser aws-amplify runs inside Amplify.configure(outputs). JSON is untyped; the parser checks it.
    const config = parseAmplifyConfig(sample as Parameters<typeof parseAmplifyConfig>[0]);
    // Assess
    expect(config.Auth?.Cognito).toMatchObject({
      userPoolId: 'eu-west-1_EXAMPLE00',
      identityPoolId: expect.stringMatching(/^eu-west-1:/),
      loginWith: { email: true, oauth: { providers: ['Google', 'Facebook', 'Apple'] } },
      mfa: { status: 'optional', totpEnabled: true, smsEnabled: false },
      passwordFormat: { minLength: 12, requireSpecialCharacters: true },
    });
    expect(config.Auth?.Cognito?.allowGuestAccess ?? false).toBe(false);
    expect(config.API?.GraphQL).toMatchObject({ defaultAuthMode: 'userPool', region: 'eu-west-1' });
    expect(config.Storage?.S3).toMatchObject({ bucket: expect.stringMatching(/usermedia/) });
  });

  it('carries the model introspection of our schema, so client.models works', () => {
    const models = (config: unknown): string[] => {
      const data = typeof config === 'object' && config !== null && 'data' in config ? config.data : undefined;
      const mi =
        typeof data === 'object' && data !== null && 'model_introspection' in data
          ? data.model_introspection
          : undefined;
      const m = typeof mi === 'object' && mi !== null && 'models' in mi ? mi.models : undefined;
      return typeof m === 'object' && m !== null ? Object.keys(m).sort() : [];
    };
    expect(models(sample)).toEqual(['Device', 'Message', 'Note', 'UserProfile']);
  });
});
