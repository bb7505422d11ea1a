import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAmplifyConfig } from '@aws-amplify/core/internals/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudAssembly, type LocalNames } from './assembly';
import { assemblyClientConfig } from './outputs';
import { PROJECT_ROOT, synthesizeCached } from './synth';

const ASSEMBLY_DIR = join(PROJECT_ROOT, '.amplify', 'synth', 'test-outputs');
const NAMES: LocalNames = {
  apiId: 'local',
  graphqlUrl: 'https://127.0.0.1:20002/graphql',
  userPoolId: 'us-east-1_LocalPool',
  userPoolClientId: 'localclient0000000000000000',
  identityPoolId: 'us-east-1:00000000-0000-4000-8000-000000000000',
  region: 'us-east-1',
  accountId: '000000000000',
  pushApplicationId: 'localpushapp',
};

/** A copy of the assembly whose root template `edit` changes, as another app's backend would differ. */
interface RootTemplate {
  Outputs: Record<string, { Value: unknown }>;
  Metadata: Record<string, { version: string; stackOutputs: string[] }>;
}
const editedCopy = (edit: (template: RootTemplate) => void): string => {
  const dir = mkdtempSync(join(tmpdir(), 'outputs-'));
  cpSync(ASSEMBLY_DIR, dir, { recursive: true });
  const root = readdirSync(dir).find((f) => f.endsWith('.template.json') && !f.includes('.nested.'));
  if (!root) throw new Error('no root template');
  const template = JSON.parse(readFileSync(join(dir, root), 'utf8'));
  edit(template);
  writeFileSync(join(dir, root), JSON.stringify(template));
  return dir;
};

describe('amplify_outputs.json from the assembly, through Gen 2 own generator', () => {
  const copies: string[] = [];
  beforeAll(async () => {
    await synthesizeCached({ type: 'sandbox', outDir: ASSEMBLY_DIR, quiet: true });
  }, 180_000);
  afterAll(() => {
    for (const dir of copies) rmSync(dir, { recursive: true, force: true });
  });

  it('writes what ampx writes for this backend, with local names, and aws-amplify parses it', async () => {
    // Act
    const config = await assemblyClientConfig(new CloudAssembly(ASSEMBLY_DIR, NAMES));
    // Assess
    expect(config.version).toBe('1.5');
    expect(config.auth).toMatchObject({
      user_pool_id: NAMES.userPoolId,
      user_pool_client_id: NAMES.userPoolClientId,
      identity_pool_id: NAMES.identityPoolId,
      username_attributes: ['email'],
      mfa_configuration: 'OPTIONAL',
      mfa_methods: ['TOTP'],
      groups: [{ Admins: { precedence: 0 } }],
    });
    expect(config.data).toMatchObject({
      url: NAMES.graphqlUrl,
      default_authorization_type: 'AMAZON_COGNITO_USER_POOLS',
      authorization_types: ['AWS_IAM'],
    });
    expect(config.data?.model_introspection).toHaveProperty('models.Note');
    expect(JSON.stringify(config.storage)).toContain('"media/$' + '{cognito-identity.amazonaws.com:sub}/*"');
    const parsed = parseAmplifyConfig(config);
    expect(parsed.Auth?.Cognito.userPoolId).toBe(NAMES.userPoolId);
    expect(parsed.API?.GraphQL?.endpoint).toBe(NAMES.graphqlUrl);
  });

  it("follows another app's definition: its auth modes, group precedence, MFA and addOutput values", async () => {
    // Prepare: what another backend's root stack would say
    const dir = editedCopy((template) => {
      const outputs = template.Outputs;
      outputs.awsAppsyncAuthenticationType = { Value: 'API_KEY' };
      outputs.awsAppsyncAdditionalAuthenticationTypes = { Value: 'AMAZON_COGNITO_USER_POOLS,AWS_IAM' };
      outputs.awsAppsyncApiKey = { Value: 'da2-localkey' };
      outputs.groups = { Value: '[{"Editors":{"precedence":3}},{"Admins":{"precedence":1}}]' };
      outputs.mfaConfiguration = { Value: 'OFF' };
      outputs.mfaTypes = { Value: '[]' };
      outputs.usernameAttributes = { Value: '["phone_number"]' };
      outputs.customOutputs = { Value: '{"custom":{"media_cdn_url":"https://cdn.example"}}' };
      const metadata = template.Metadata;
      metadata['AWS::Amplify::GraphQL']?.stackOutputs.push('awsAppsyncApiKey');
      metadata['AWS::Amplify::Custom'] = { version: '1', stackOutputs: ['customOutputs'] };
    });
    copies.push(dir);
    // Act
    const config = await assemblyClientConfig(new CloudAssembly(dir, NAMES));
    // Assess
    expect(config.data).toMatchObject({
      default_authorization_type: 'API_KEY',
      authorization_types: ['AMAZON_COGNITO_USER_POOLS', 'AWS_IAM'],
      api_key: 'da2-localkey',
    });
    expect(config.auth).toHaveProperty('groups', [{ Editors: { precedence: 3 } }, { Admins: { precedence: 1 } }]);
    expect(config.auth?.mfa_configuration).toBe('NONE');
    expect(config.auth?.username_attributes).toEqual(['phone_number']);
    expect(config.custom).toEqual({ media_cdn_url: 'https://cdn.example' });
  });
});
