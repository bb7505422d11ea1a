import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createLocalJWKSet } from 'jose';
import { type LocalAuth, startLocalAuth } from './auth/server';
import { CloudAssembly, type FoundResource, type LocalNames } from './cloud/assembly';
import { modelIntrospection } from './cloud/model-introspection';
import { PROJECT_ROOT, synthesizeCached } from './cloud/synth';
import { LOCAL_AWS, type LocalDynamoDb, startDynamoDbLocal } from './dynamodb/local';
import { createTables, tableSpecs } from './dynamodb/tables';
import { LocalFunction } from './functions/runner';
import { LocalGraphqlApi } from './graphql/api';
import { type LocalGraphqlServer, startGraphqlServer } from './graphql/server';
import { type Decision, evaluate } from './iam/policy';
import { rolePolicies } from './iam/roles';
import { Outbox } from './outbox';
import { type LocalPush, startLocalPush } from './push/server';
import { type LocalSearch, startLocalSearch } from './search/server';
import { type LocalStorage, startLocalStorage } from './storage/server';
import { DeadLetterQueue, StreamMapping } from './streams';
import { loadOrCreateTls } from './tls';

export interface LocalBackendOptions {
  /** Where data persists across restarts. Default: `<project>/.amplify/local`. */
  dataDir?: string;
  /** Start with empty data. */
  reset?: boolean;
  /** Where the local CA and server certificate live; kept across resets. Default: `<project>/.amplify/tls`. */
  tlsDir?: string;
  /** A synthesized cloud assembly to run; by default the project is synthesized (or the cached synthesis reused). */
  assemblyDir?: string;
  /** Where to write the outputs for apps; `false` writes none. Default: `<project>/amplify_outputs.json`. */
  outputsFile?: string | false;
  /** Progress messages while starting. */
  log?: (message: string) => void;
}

export interface LocalBackend {
  /** The amplify_outputs.json content for this backend. */
  outputs: Record<string, unknown>;
  urls: {
    graphql: string;
    realtime: string;
    userPool: string;
    search: string;
    push: string;
    dynamodb: string;
  };
  /** The CA that signed the GraphQL server's certificate. */
  caFile: string;
  dataDir: string;
  outbox: Outbox;
  deadLetters: DeadLetterQueue;
  auth: LocalAuth;
  /** The local push service: `markInvalid(token)` makes it report a device token as unregistered. */
  push: LocalPush;
  /** The local name of every S3 bucket the templates define, by logical ID. */
  buckets: Record<string, string>;
  /**
   * The IAM decision for a request signed with identity-pool credentials, as
   * the synthesized policies of the credentials' role make it; undefined for
   * an unknown or expired access key. Identity-pool context keys are filled in.
   */
  authorize(
    accessKeyId: string,
    request: { action: string; resource: string; context?: Record<string, string> },
  ): Decision | undefined;
  /** Resolves when every stream record written so far has been delivered to its function. */
  drainStreams(timeoutMs?: number): Promise<void>;
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const NAMES: Omit<LocalNames, 'graphqlUrl'> = {
  apiId: 'local',
  userPoolId: 'us-east-1_LocalPool',
  userPoolClientId: 'localclient0000000000000000',
  identityPoolId: 'us-east-1:00000000-0000-4000-8000-000000000000',
  region: LOCAL_AWS.region,
  accountId: '000000000000',
  pushApplicationId: 'localpushapp',
};

const logicalIdOfRef = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value.split(':').at(-1);
  return undefined;
};

/**
 * Starts the whole backend on this machine, offline, from what amplify/
 * synthesizes: Cognito, the AppSync API (HTTP and realtime), DynamoDB Local
 * with the template's tables and streams, the functions, CloudSearch and
 * push. Every server binds 127.0.0.1 on a free port.
 */
export const createLocalBackend = async (options: LocalBackendOptions = {}): Promise<LocalBackend> => {
  const log = options.log ?? (() => {});
  const dataDir = resolve(options.dataDir ?? join(PROJECT_ROOT, '.amplify', 'local'));
  if (options.reset) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => console.error(error));
    stops.length = 0;
  };

  try {
    let assemblyDir = options.assemblyDir;
    if (!assemblyDir) {
      log('synthesizing amplify/ ...');
      const outDir = join(PROJECT_ROOT, '.amplify', 'synth', 'local');
      const { cached, ms } = await synthesizeCached({ type: 'sandbox', outDir, quiet: true });
      log(cached ? 'synthesis unchanged, reusing it' : `synthesized in ${(ms / 1000).toFixed(1)} s`);
      assemblyDir = outDir;
    }
    const names: LocalNames = { ...NAMES, graphqlUrl: 'https://127.0.0.1/graphql' };
    const assembly = new CloudAssembly(assemblyDir, names);

    log('preparing TLS ...');
    const tls = await loadOrCreateTls(options.tlsDir ?? join(PROJECT_ROOT, '.amplify', 'tls'));

    log('starting DynamoDB Local ...');
    const dynamodb: LocalDynamoDb = await startDynamoDbLocal({ dbPath: join(dataDir, 'dynamodb') });
    stops.push(dynamodb.stop);
    const tables = tableSpecs(assembly);
    await createTables(dynamodb.client, tables);

    const outbox = new Outbox(join(dataDir, 'outbox.jsonl'));
    log('starting search and push ...');
    const search: LocalSearch = await startLocalSearch({
      textFields: ['headline', 'text'],
      file: join(dataDir, 'search', 'documents.json'),
    });
    stops.push(search.close);
    const push: LocalPush = await startLocalPush({ outbox, applicationIds: [NAMES.pushApplicationId] });
    stops.push(push.close);

    log('starting functions ...');
    const ssmParameters = new Map(
      assembly
        .resources('AWS::SSM::Parameter')
        .map(({ stack, properties }) => [
          String(stack.resolve(properties.Name)),
          String(stack.resolve(properties.Value)),
        ]),
    );
    const functionResources = new Map(assembly.resources('AWS::Lambda::Function').map((r) => [r.logicalId, r]));
    const functions = new Map<string, LocalFunction>();
    const startFunction = (logicalId: string): LocalFunction => {
      const existing = functions.get(logicalId);
      if (existing) return existing;
      const resource: FoundResource | undefined = functionResources.get(logicalId);
      if (!resource) throw new Error(`function ${logicalId} is not in the assembly`);
      const props = resource.stack.resolve(resource.properties);
      if (!isRecord(props)) throw new Error(`function ${logicalId} has no properties`);
      const code = isRecord(props.Code) ? String(props.Code.S3Key) : '';
      const dir = assembly.assetPath(code);
      const handler = String(props.Handler ?? 'index.handler');
      const file = ['mjs', 'js', 'cjs']
        .map((ext) => join(dir, `${handler.split('.')[0]}.${ext}`))
        .find((f) => existsSync(f));
      if (!file) throw new Error(`function ${logicalId}: no bundle in ${dir}`);
      const templateEnv =
        isRecord(props.Environment) && isRecord(props.Environment.Variables) ? props.Environment.Variables : {};
      const env: Record<string, string> = {};
      for (const [key, value] of Object.entries(templateEnv)) env[key] = String(value ?? '');
      // Only endpoints differ: the same variables, pointed at the local services.
      for (const [key, value] of Object.entries(env)) {
        if (key.endsWith('_PARAMETER') && ssmParameters.has(value))
          env[key.replace(/_PARAMETER$/, '')] = ssmParameters.get(value) ?? '';
      }
      if ('CLOUDSEARCH_DOCUMENT_ENDPOINT' in env) env.CLOUDSEARCH_DOCUMENT_ENDPOINT = search.url;
      if ('CLOUDSEARCH_SEARCH_ENDPOINT' in env) env.CLOUDSEARCH_SEARCH_ENDPOINT = search.url;
      Object.assign(env, {
        AWS_REGION: NAMES.region,
        AWS_DEFAULT_REGION: NAMES.region,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
        AWS_ENDPOINT_URL_PINPOINT: push.url,
        AWS_LAMBDA_FUNCTION_NAME: logicalId,
        PATH: process.env.PATH ?? '',
      });
      delete env.NODE_OPTIONS;
      const fn = new LocalFunction({
        name: logicalId,
        entry: file,
        handler,
        timeoutSeconds: Number(props.Timeout ?? 3),
        env,
      });
      functions.set(logicalId, fn);
      stops.push(() => fn.stop());
      return fn;
    };

    const userPool = assembly.resources('AWS::Cognito::UserPool')[0];
    const poolProps = userPool ? userPool.stack.resolve(userPool.properties) : {};
    const policy =
      isRecord(poolProps) && isRecord(poolProps.Policies) && isRecord(poolProps.Policies.PasswordPolicy)
        ? poolProps.Policies.PasswordPolicy
        : {};
    const lambdaConfig = isRecord(poolProps) && isRecord(poolProps.LambdaConfig) ? poolProps.LambdaConfig : {};
    const postConfirmationId = logicalIdOfRef(lambdaConfig.PostConfirmation);
    const postConfirmation = postConfirmationId ? startFunction(postConfirmationId) : undefined;

    const identityPool = assembly.resources('AWS::Cognito::IdentityPool')[0];
    const allowGuests = identityPool?.properties.AllowUnauthenticatedIdentities === true;
    const attachment = assembly.resources('AWS::Cognito::IdentityPoolRoleAttachment')[0];
    const roles = attachment ? attachment.stack.resolve(attachment.properties.Roles) : {};
    const roleMappings = attachment ? attachment.stack.resolve(attachment.properties.RoleMappings) : {};
    const tokenRoleMapping =
      isRecord(roleMappings) &&
      Object.values(roleMappings).some(
        (m) => isRecord(m) && m.Type === 'Token' && m.AmbiguousRoleResolution === 'AuthenticatedRole',
      );
    const groupRoles = Object.fromEntries(
      assembly.resources('AWS::Cognito::UserPoolGroup').flatMap(({ stack, properties }) => {
        const group = stack.resolve(properties);
        return isRecord(group) && group.RoleArn
          ? [[String(group.GroupName), { roleArn: String(group.RoleArn), precedence: Number(group.Precedence ?? 0) }]]
          : [];
      }),
    );

    log('starting auth ...');
    const auth = await startLocalAuth({
      userPoolId: NAMES.userPoolId,
      clientId: NAMES.userPoolClientId,
      passwordPolicy: {
        minimumLength: Number(policy.MinimumLength ?? 8),
        requireLowercase: policy.RequireLowercase === true,
        requireUppercase: policy.RequireUppercase === true,
        requireNumbers: policy.RequireNumbers === true,
        requireSymbols: policy.RequireSymbols === true,
      },
      dataDir,
      outbox,
      postConfirmation: postConfirmation ? (event) => postConfirmation.invoke(event) : undefined,
      groupRoles,
      identityPool: identityPool && {
        identityPoolId: NAMES.identityPoolId,
        region: NAMES.region,
        allowUnauthenticated: allowGuests,
        tokenRoleMapping,
        roles: {
          authenticated: String(isRecord(roles) ? roles.authenticated : ''),
          unauthenticated: isRecord(roles) && roles.unauthenticated ? String(roles.unauthenticated) : undefined,
        },
      },
    });
    stops.push(auth.close);

    const policies = rolePolicies(assembly);
    const buckets = Object.fromEntries(
      assembly.resources('AWS::S3::Bucket').map(({ logicalId, stack }) => [logicalId, String(stack.ref(logicalId))]),
    );
    const storageOutputs = storageOutputsOf(assembly);
    let storage: LocalStorage | undefined;
    if (storageOutputs) {
      log('starting storage ...');
      storage = await startLocalStorage({
        buckets: storageOutputs.buckets.map((b) => b.bucket_name),
        region: NAMES.region,
        dir: join(dataDir, 'storage'),
        tls,
        lookup: (accessKeyId) => auth.identityPool?.credentialsFor(accessKeyId),
        authorize: (accessKeyId, request) => authorize(accessKeyId, request),
      });
      stops.push(storage.close);
    }

    log('starting GraphQL ...');
    for (const { stack, properties } of assembly.resources('AWS::AppSync::DataSource')) {
      const lambda = stack.resolve(properties.LambdaConfig);
      if (isRecord(lambda)) startFunction(String(lambda.LambdaFunctionArn).split(':').at(-1) ?? '');
    }
    const api = new LocalGraphqlApi(assembly, dynamodb.client, functions);
    const graphql: LocalGraphqlServer = await startGraphqlServer({
      api: () => api,
      verifier: { issuer: auth.issuer, clientId: NAMES.userPoolClientId, keys: createLocalJWKSet(auth.tokens.jwks()) },
      tls,
    });
    stops.push(graphql.close);

    log('starting stream mappings ...');
    const deadLetters = new DeadLetterQueue(join(dataDir, 'dead-letters.jsonl'));
    const mappings: StreamMapping[] = [];
    for (const { logicalId, stack, properties } of assembly.resources('AWS::Lambda::EventSourceMapping')) {
      const props = stack.resolve(properties);
      if (!isRecord(props)) continue;
      const arn = String(props.EventSourceArn);
      const tableName = /:table\/([^/]+)\/stream\//.exec(arn)?.[1];
      const fnId = logicalIdOfRef(props.FunctionName);
      if (!tableName || !fnId) continue;
      const filters =
        isRecord(props.FilterCriteria) && Array.isArray(props.FilterCriteria.Filters)
          ? props.FilterCriteria.Filters
          : [];
      const mapping = new StreamMapping(
        {
          id: logicalId,
          tableName,
          fn: startFunction(fnId),
          batchSize: Number(props.BatchSize ?? 100),
          batchingWindowMs: Number(props.MaximumBatchingWindowInSeconds ?? 0) * 1000,
          reportBatchItemFailures:
            Array.isArray(props.FunctionResponseTypes) &&
            props.FunctionResponseTypes.includes('ReportBatchItemFailures'),
          bisectOnError: props.BisectBatchOnFunctionError === true,
          maxRetries: Number(props.MaximumRetryAttempts ?? 3),
          filters: filters.filter(isRecord).map((f) => JSON.parse(String(f.Pattern))),
        },
        dynamodb.client,
        dynamodb.endpoint,
        NAMES.region,
        join(dataDir, 'streams', `${logicalId}.json`),
        deadLetters.add,
      );
      mapping.start();
      mappings.push(mapping);
      stops.push(() => mapping.stop());
    }

    const modelSchema = findModelSchema(assemblyDir);
    const outputs = localOutputs({
      graphqlUrl: graphql.url,
      userPoolEndpoint: auth.url,
      caFile: tls.caFile,
      outbox: join(dataDir, 'outbox.jsonl'),
      policy,
      identityPool: identityPool ? { allowGuests } : undefined,
      storage: storage && storageOutputs ? { ...storageOutputs, endpoint: storage.endpoint } : undefined,
      modelIntrospection: modelSchema ? await modelIntrospection(modelSchema) : undefined,
      groups: assembly
        .resources('AWS::Cognito::UserPoolGroup')
        .map(({ stack, properties }) => String(stack.resolve(properties.GroupName))),
    });
    const outputsFile =
      options.outputsFile === undefined ? join(PROJECT_ROOT, 'amplify_outputs.json') : options.outputsFile;
    if (outputsFile) writeFileSync(outputsFile, `${JSON.stringify(outputs, null, 2)}\n`);

    const authorize: LocalBackend['authorize'] = (accessKeyId, request) => {
      const issued = auth.identityPool?.credentialsFor(accessKeyId);
      if (!issued) return undefined;
      return evaluate(policies.get(issued.roleArn) ?? [], {
        action: request.action,
        resource: request.resource,
        context: {
          ...request.context,
          'cognito-identity.amazonaws.com:sub': issued.identityId,
          'cognito-identity.amazonaws.com:aud': NAMES.identityPoolId,
          'cognito-identity.amazonaws.com:amr': issued.authenticated ? 'authenticated' : 'unauthenticated',
        },
      });
    };

    const dispose = async () => {
      await stopAll();
    };
    return {
      outputs,
      urls: {
        graphql: graphql.url,
        realtime: graphql.realtimeUrl,
        userPool: auth.url,
        search: search.url,
        push: push.url,
        dynamodb: dynamodb.endpoint,
      },
      caFile: tls.caFile,
      dataDir,
      outbox,
      deadLetters,
      auth,
      push,
      authorize,
      buckets,
      drainStreams: async (timeoutMs = 30_000) => {
        // Written records reach the stream at once; wait until no mapping holds or reads any for a while.
        const deadline = Date.now() + timeoutMs;
        let settled = 0;
        let last = -1;
        while (Date.now() < deadline && settled < 3) {
          await new Promise((r) => setTimeout(r, 200));
          const total = mappings.reduce((n, m) => n + m.processed, 0);
          const pending = mappings.reduce((n, m) => n + m.pendingRecords, 0);
          settled = total === last && pending === 0 ? settled + 1 : 0;
          last = total;
        }
      },
      dispose,
      [Symbol.asyncDispose]: dispose,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
};

interface StorageOutputs {
  bucket_name: string;
  buckets: Array<{ name: string; bucket_name: string; aws_region: string; paths?: unknown }>;
}

/** The storage outputs Gen 2 writes to amplify_outputs.json, from the root stack's outputs, with local names. */
const storageOutputsOf = (assembly: CloudAssembly): StorageOutputs | undefined => {
  const outputs = assembly.root.template.Outputs;
  if (!isRecord(outputs) || !isRecord(outputs.bucketName) || !isRecord(outputs.buckets)) return undefined;
  const bucketName = String(assembly.root.resolve(outputs.bucketName.Value));
  const listed = JSON.parse(String(assembly.root.resolve(outputs.buckets.Value))) as unknown[];
  return {
    bucket_name: bucketName,
    buckets: listed
      .map((entry) => (typeof entry === 'string' ? JSON.parse(entry) : entry))
      .filter(isRecord)
      .map((b) => ({
        name: String(b.name),
        bucket_name: String(b.bucketName),
        aws_region: NAMES.region,
        ...(b.paths === undefined ? {} : { paths: b.paths }),
      })),
  };
};

/** The model schema Amplify Data ships as a codegen asset: what model introspection is generated from. */
const findModelSchema = (assemblyDir: string): string | undefined => {
  for (const entry of readdirSync(assemblyDir)) {
    const candidate = join(assemblyDir, entry, 'model-schema.graphql');
    if (existsSync(candidate)) return readFileSync(candidate, 'utf8');
  }
  return undefined;
};

/** amplify_outputs.json for the local backend, plus the local endpoints under `custom.local`. */
const localOutputs = (input: {
  graphqlUrl: string;
  userPoolEndpoint: string;
  caFile: string;
  outbox: string;
  policy: Json;
  identityPool?: { allowGuests: boolean };
  storage?: StorageOutputs & { endpoint: string };
  modelIntrospection: unknown;
  groups: string[];
}): Record<string, unknown> => ({
  version: '1.4',
  auth: {
    aws_region: NAMES.region,
    user_pool_id: NAMES.userPoolId,
    user_pool_client_id: NAMES.userPoolClientId,
    mfa_methods: ['TOTP'],
    mfa_configuration: 'OPTIONAL',
    standard_required_attributes: ['email'],
    username_attributes: ['email'],
    user_verification_types: ['email'],
    ...(input.identityPool ? { identity_pool_id: NAMES.identityPoolId } : {}),
    unauthenticated_identities_enabled: input.identityPool?.allowGuests === true,
    groups: input.groups.map((g, precedence) => ({ [g]: { precedence } })),
    password_policy: {
      min_length: Number(input.policy.MinimumLength ?? 8),
      require_lowercase: input.policy.RequireLowercase === true,
      require_numbers: input.policy.RequireNumbers === true,
      require_symbols: input.policy.RequireSymbols === true,
      require_uppercase: input.policy.RequireUppercase === true,
    },
  },
  data: {
    url: input.graphqlUrl,
    aws_region: NAMES.region,
    default_authorization_type: 'AMAZON_COGNITO_USER_POOLS',
    authorization_types: ['AWS_IAM'],
    ...(input.modelIntrospection ? { model_introspection: input.modelIntrospection } : {}),
  },
  ...(input.storage
    ? {
        storage: {
          aws_region: NAMES.region,
          bucket_name: input.storage.bucket_name,
          buckets: input.storage.buckets,
        },
      }
    : {}),
  custom: {
    local: {
      user_pool_endpoint: input.userPoolEndpoint,
      ...(input.identityPool ? { identity_pool_endpoint: input.userPoolEndpoint } : {}),
      // Amplify Storage takes this per call: `options: { customEndpoint }`.
      ...(input.storage ? { storage_endpoint: input.storage.endpoint } : {}),
      ca_file: input.caFile,
      outbox: input.outbox,
    },
  },
});
