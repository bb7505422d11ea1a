/**
 * The amplify_outputs.json that `ampx` would write for a synthesized backend,
 * computed offline. ampx reads the root stack's Metadata (which outputs belong
 * to which Amplify output key) and its deployed Outputs, then runs
 * @aws-amplify/client-config's contributors and the model generator. Here the
 * Outputs are resolved from the templates with placeholder ids instead of
 * being read from CloudFormation; everything after that is ampx's own code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type UnifiedBackendOutput, unifiedBackendOutputSchema } from '@aws-amplify/backend-output-schemas';
import type { ClientConfig } from '@aws-amplify/client-config';
import { generateModels } from '@aws-amplify/graphql-generator';
import { AmplifyClient } from '@aws-sdk/client-amplify';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
// Internal modules of the package (its exports map names only the index); ampx itself runs exactly these.
import { ClientConfigContributorFactory } from '../node_modules/@aws-amplify/client-config/lib/client-config-contributor/client_config_contributor_factory.js';
import { ModelIntrospectionSchemaAdapter } from '../node_modules/@aws-amplify/client-config/lib/model_introspection_schema_adapter.js';
import { UnifiedClientConfigGenerator } from '../node_modules/@aws-amplify/client-config/lib/unified_client_config_generator.js';
import { CloudAssembly, type LocalNames } from '../src/local/cloud/assembly';

export const OUTPUTS_VERSION = '1.5';

/** Placeholder ids in the shapes the services give them. */
export const PLACEHOLDERS: LocalNames = {
  apiId: 'example0api0id000000000000',
  graphqlUrl: 'https://example0api0id000000000000.appsync-api.eu-west-1.amazonaws.com/graphql',
  userPoolId: 'eu-west-1_EXAMPLE00',
  userPoolClientId: '0example0client0id000000000',
  identityPoolId: 'eu-west-1:00000000-0000-4000-8000-000000000000',
  region: 'eu-west-1',
  accountId: '123456789012',
  pushApplicationId: '0example0push0application0id000',
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Values the offline resolver can only name by resource (a CloudFront domain,
 * a generated bucket name), given the shape the service would give them.
 */
const placeholderFor = (value: string): string =>
  value
    .replace(/arn:aws:local:[^"\s]*Distribution[0-9A-F]{8}\/DomainName/g, 'd0example0000.cloudfront.net')
    .replace(/\buserMediaBucket[0-9a-f]{8}\.local\b/gi, 'amplify-example-usermedia-bucket-0000000000')
    .replace(/\bamplifyAuthUserPoolUserPoolDomain[0-9A-F]{8}\b/g, 'example0domain');

/** The BackendOutput ampx reconstructs from the stack: Metadata names the outputs, Outputs give their values. */
export const backendOutputOf = (assemblyDir: string): UnifiedBackendOutput => {
  const assembly = new CloudAssembly(assemblyDir, PLACEHOLDERS);
  const template = assembly.root.template;
  const metadata = isRecord(template.Metadata) ? template.Metadata : {};
  const outputs = isRecord(template.Outputs) ? template.Outputs : {};
  const values = new Map<string, string>();
  for (const [name, output] of Object.entries(outputs)) {
    if (!isRecord(output)) continue;
    const resolved = assembly.root.resolve(output.Value);
    // CloudFormation gives every output as a string; an empty one is left out, as ampx filters it.
    if (resolved !== undefined && resolved !== '') values.set(name, placeholderFor(String(resolved)));
  }
  const entries = Object.entries(metadata)
    .filter(([key, entry]) => key.startsWith('AWS::Amplify::') && isRecord(entry))
    .map(([key, entry]) => {
      const names = isRecord(entry) && Array.isArray(entry.stackOutputs) ? entry.stackOutputs.map(String) : [];
      const payload = Object.fromEntries(names.flatMap((n) => (values.has(n) ? [[n, values.get(n)]] : [])));
      return [key, { version: isRecord(entry) ? String(entry.version) : '1', payload }];
    });
  return unifiedBackendOutputSchema.parse(Object.fromEntries(entries));
};

/** The model schema the deployment uploads to the codegen bucket, read from the assembly's asset. */
const modelSchemaOf = (assemblyDir: string): string => {
  for (const entry of readdirSync(assemblyDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith('asset.')) continue;
    const path = join(assemblyDir, entry.name, 'model-schema.graphql');
    try {
      return readFileSync(path, 'utf8');
    } catch {
      // Not the codegen asset.
    }
  }
  throw new Error(`${assemblyDir} has no model-schema.graphql asset`);
};

/** Runs ampx's client-config generator (version 1.5 contributors) over the simulated BackendOutput. */
export const simulateOutputs = async (assemblyDir: string): Promise<ClientConfig> => {
  const backendOutput = backendOutputOf(assemblyDir);
  const adapter = new ModelIntrospectionSchemaAdapter({
    getS3Client: () => new S3Client({ region: PLACEHOLDERS.region }),
    getAmplifyClient: () => new AmplifyClient({ region: PLACEHOLDERS.region }),
    getCloudFormationClient: () => new CloudFormationClient({ region: PLACEHOLDERS.region }),
  });
  // Instead of downloading the schema from S3: the same generator call on the same file.
  adapter.getModelIntrospectionSchemaFromS3Uri = async (uri) => {
    if (!uri) return undefined;
    const files = await generateModels({ schema: modelSchemaOf(assemblyDir), target: 'introspection' });
    const [json, ...more] = Object.values(files);
    if (json === undefined || more.length > 0) throw new Error('expected one model introspection file');
    return JSON.parse(json);
  };
  const contributors = new ClientConfigContributorFactory(adapter).getContributors(OUTPUTS_VERSION);
  return new UnifiedClientConfigGenerator(async () => backendOutput, contributors).generateClientConfig();
};
