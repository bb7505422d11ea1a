import { readFileSync } from 'node:fs';
import { unifiedBackendOutputSchema } from '@aws-amplify/backend-output-schemas';
import type { ClientConfig } from '@aws-amplify/client-config';
import { isAmplifyOutputs, parseAmplifyConfig } from '@aws-amplify/core/internals/utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_FILE, sampleText } from '../../scripts/sample-outputs';
import { backendOutputOf, OUTPUTS_VERSION, simulateOutputs } from '../../scripts/simulated-outputs';
import { Assembly } from './assembly';

const sandbox = new Assembly('sandbox');
const configured = new Assembly('configured');

const outputs: Partial<Record<'sandbox' | 'configured', ClientConfig>> = {};

beforeAll(async () => {
  outputs.sandbox = await simulateOutputs(sandbox.dir);
  outputs.configured = await simulateOutputs(configured.dir);
}, 60_000);

const parsed = (name: 'sandbox' | 'configured') => {
  const value = outputs[name];
  if (!value || !isAmplifyOutputs(value)) throw new Error(`${name}: not Amplify outputs`);
  return parseAmplifyConfig(value);
};

describe('amplify_outputs.json as ampx writes it (simulated offline from the root stack)', () => {
  it.each(['sandbox', 'configured'] as const)(
    'rebuilds a %s BackendOutput that the published schema accepts',
    (name) => {
      const backendOutput = backendOutputOf(name === 'sandbox' ? sandbox.dir : configured.dir);
      expect(() => unifiedBackendOutputSchema.parse(backendOutput)).not.toThrow();
      expect(Object.keys(backendOutput).sort()).toEqual([
        'AWS::Amplify::Auth',
        'AWS::Amplify::Custom',
        'AWS::Amplify::Function',
        'AWS::Amplify::GraphQL',
        'AWS::Amplify::Platform',
        'AWS::Amplify::Storage',
      ]);
    },
  );

  it.each(['sandbox', 'configured'] as const)('is version 1.5 and parses with aws-amplify (%s)', (name) => {
    expect(outputs[name]).toMatchObject({ version: OUTPUTS_VERSION });
    const config = parsed(name);
    expect(config.Auth?.Cognito).toMatchObject({
      userPoolId: 'eu-west-1_EXAMPLE00',
      userPoolClientId: expect.any(String),
    });
    expect(config.API?.GraphQL).toMatchObject({ defaultAuthMode: 'userPool', region: 'eu-west-1' });
    expect(config.Storage?.S3).toMatchObject({ bucket: 'amplify-example-usermedia-bucket-0000000000' });
  });

  it('publishes the CDN URL: the distribution domain, or the custom domain when configured', () => {
    expect(outputs.sandbox).toMatchObject({ custom: { media_cdn_url: 'https://d0example0000.cloudfront.net' } });
    expect(outputs.configured).toMatchObject({ custom: { media_cdn_url: 'https://media.example.com' } });
  });

  it('carries the storage paths a deploy writes', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: IAM's policy variable, as Gen 2 writes it
    const own = '${cognito-identity.amazonaws.com:sub}';
    expect(outputs.configured).toMatchObject({
      storage: {
        buckets: [
          {
            name: 'userMedia',
            paths: {
              [`media/${own}/*`]: { entityidentity: ['get', 'list', 'write', 'delete'] },
              [`published/${own}/*`]: { entityidentity: ['get', 'list', 'write', 'delete'] },
              'published/*': { authenticated: ['get', 'list'], groupsAdmins: ['get', 'list', 'delete'] },
            },
          },
        ],
      },
    });
  });

  it('carries the model introspection of the deployed schema', () => {
    const models = parsed('sandbox').API?.GraphQL?.modelIntrospection?.models ?? {};
    expect(Object.keys(models).sort()).toEqual(['Device', 'Message', 'Note', 'UserProfile']);
  });

  it('is what amplify_outputs.sample.json holds (regenerate with npm run sample:outputs)', () => {
    expect(readFileSync(SAMPLE_FILE, 'utf8')).toBe(sampleText(outputs.configured));
  });
});
