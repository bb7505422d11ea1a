import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type ClientConfig, DEFAULT_CLIENT_CONFIG_VERSION, generateClientConfig } from '@aws-amplify/client-config';
import { AmplifyClient } from '@aws-sdk/client-amplify';
import {
  CloudFormationClient,
  type ServiceOutputTypes as CloudFormationOutput,
  type Output,
  StackStatus,
} from '@aws-sdk/client-cloudformation';
import { S3Client, type ServiceOutputTypes as S3Output } from '@aws-sdk/client-s3';
import type { InitializeHandlerOutput } from '@smithy/types';
import { sdkStreamMixin } from '@smithy/util-stream';
import type { CloudAssembly } from './assembly';

/**
 * amplify_outputs.json as `ampx` writes it after a deploy, made offline from
 * the synthesized assembly: Gen 2's own generator (`@aws-amplify/client-config`,
 * the code `ampx generate outputs` runs) reads the root stack's metadata and
 * outputs, here answered from the template with the local backend's names in
 * place of deployed ids. So the auth modes, MFA, username attributes, groups
 * and their precedence, OAuth, storage paths and every `backend.addOutput`
 * value come from what the app defines, not from this file.
 */

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const STACK_NAME = 'local';
/** The clients below never sign a request: their middleware answers before signing. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** The root stack's outputs with local values, as DescribeStacks lists them. */
const rootOutputs = (assembly: CloudAssembly): Output[] => {
  const outputs = assembly.root.template.Outputs;
  if (!isRecord(outputs)) return [];
  return Object.entries(outputs).flatMap(([key, output]) => {
    if (!isRecord(output)) return [];
    const value = assembly.root.resolve(output.Value);
    return value === undefined || value === null ? [] : [{ OutputKey: key, OutputValue: String(value) }];
  });
};

// Each middleware below answers before the request is built: there is no HTTP response.

/**
 * A CloudFormation client that answers the two calls the generator makes
 * (GetTemplateSummary for the metadata, DescribeStacks for the outputs) from
 * the assembly, in the SDK's own middleware: no request leaves the process.
 */
const assemblyCloudFormation = (assembly: CloudAssembly): CloudFormationClient => {
  const client = new CloudFormationClient({ region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  client.middlewareStack.add(
    (_next, context) => async (): Promise<InitializeHandlerOutput<CloudFormationOutput>> => {
      if (context.commandName === 'GetTemplateSummaryCommand')
        return {
          output: { Metadata: JSON.stringify(assembly.root.template.Metadata ?? {}), $metadata: {} },
          response: undefined,
        };
      if (context.commandName === 'DescribeStacksCommand')
        return {
          output: {
            Stacks: [
              {
                StackName: STACK_NAME,
                StackStatus: StackStatus.CREATE_COMPLETE,
                CreationTime: new Date(0),
                Outputs: rootOutputs(assembly),
              },
            ],
            $metadata: {},
          },
          response: undefined,
        };
      throw new Error(`the local assembly does not answer ${String(context.commandName)}`);
    },
    { step: 'initialize', name: 'localAssemblyAnswers' },
  );
  return client;
};

/**
 * The client config ampx would write for this assembly, in its default schema
 * version (1.5 today), model introspection included: the generator builds it
 * from the model schema as it does after a deploy.
 */
export const assemblyClientConfig = (assembly: CloudAssembly): Promise<ClientConfig> => {
  const cloudFormation = assemblyCloudFormation(assembly);
  return generateClientConfig({ stackName: STACK_NAME }, DEFAULT_CLIENT_CONFIG_VERSION, {
    getCloudFormationClient: () => cloudFormation,
    getS3Client: () => assemblyS3(assembly),
    // Asked only for an Amplify app's branch, never for a stack name.
    getAmplifyClient: () => new AmplifyClient({ region: 'us-east-1', credentials: LOCAL_CREDENTIALS }),
  });
};

/**
 * An S3 client that serves the one object the generator reads, the model
 * schema that Amplify Data uploads as a codegen asset, from the assembly.
 */
const assemblyS3 = (assembly: CloudAssembly): S3Client => {
  const client = new S3Client({ region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  client.middlewareStack.add(
    (_next, context) => async (): Promise<InitializeHandlerOutput<S3Output>> => {
      const schema = context.commandName === 'GetObjectCommand' ? modelSchemaOf(assembly.dir) : undefined;
      if (schema === undefined) throw new Error(`the local assembly does not answer S3 ${String(context.commandName)}`);
      return { output: { Body: sdkStreamMixin(Readable.from([schema])), $metadata: {} }, response: undefined };
    },
    { step: 'initialize', name: 'localAssemblyObjects' },
  );
  return client;
};

/** The model schema Amplify Data ships as a codegen asset: what model introspection is generated from. */
export const modelSchemaOf = (assemblyDir: string): string | undefined => {
  for (const entry of readdirSync(assemblyDir)) {
    const candidate = join(assemblyDir, entry, 'model-schema.graphql');
    if (existsSync(candidate)) return readFileSync(candidate, 'utf8');
  }
  return undefined;
};
