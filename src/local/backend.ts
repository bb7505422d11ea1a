import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ClientConfig } from '@aws-amplify/client-config';
import { createLocalJWKSet } from 'jose';
import { type LocalAuth, startLocalAuth } from './auth/server';
import { CloudAssembly, type LocalNames } from './cloud/assembly';
import { assemblyClientConfig } from './cloud/outputs';
import { PROJECT_ROOT, synthesizeCached } from './cloud/synth';
import { dynamoDbGuard } from './dynamodb/access';
import { startEmbeddedDynamoDb } from './dynamodb/embedded';
import { LOCAL_AWS, type LocalDynamoDb, startDynamoDbLocal } from './dynamodb/local';
import { startSignedFront } from './dynamodb/signed-front';
import { createMissingIndexes, createTables, tableSpecs } from './dynamodb/tables';
import { LocalFunction } from './functions/runner';
import { type FunctionEnvironment, functionSpecsOf, type LocalFunctionSpec } from './functions/specs';
import { LocalGraphqlApi } from './graphql/api';
import { type LocalGraphqlServer, startGraphqlServer } from './graphql/server';
import { HotReloader } from './hot-reload';
import { type LocalCredential, LocalCredentials } from './iam/credentials';
import type { Decision, PolicyDocument } from './iam/policy';
import { rolePolicies } from './iam/roles';
import { Outbox } from './outbox';
import { assertPortsFree, FREE_PORTS, freePort, type LocalPorts } from './ports';
import { type LocalPush, startLocalPush } from './push/server';
import { type LocalRest, pointAtLocalRest, restApisFor, restFunctionIds, startLocalRest } from './rest';
import { type LocalOpenSearch, startLocalOpenSearch } from './search/opensearch';
import { type LocalSearch, startLocalSearch } from './search/server';
import { ssmParametersOf, startLocalSsm } from './ssm/server';
import { corsRulesOf } from './storage/cors';
import { type NotificationSpec, notificationSpecsOf, s3Event, wants } from './storage/notifications';
import { type LocalStorage, startLocalStorage } from './storage/server';
import { DeadLetterQueue, type MappingSpec, StreamMapping } from './streams';
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
  /**
   * Which DynamoDB runs the tables: the embedded store (in the backend's
   * process, checked against DynamoDB Local by differential tests; no Java)
   * or the official DynamoDB Local (Java 17). Default: `LOCAL_DYNAMODB` from
   * the environment, else `embedded`. Each keeps its own data.
   */
  dynamodb?: DynamoDbKind;
  /** Progress messages while starting, and hot-reload reports. */
  log?: (message: string) => void;
  /** The project whose amplify/ runs. Default: this repository. */
  projectDir?: string;
  /**
   * Watch amplify/ and apply each saved edit without a restart: re-synthesize
   * (warm, about a second), then swap the schema, resolvers, tables, functions,
   * stream mappings and storage policies. A broken edit is reported and the
   * running version keeps serving. `npm start` turns this on.
   */
  watch?: boolean;
  /**
   * Each service's port on 127.0.0.1; 0 (the default) picks a free one.
   * `npm start` passes fixed ones (`DEFAULT_PORTS`), so the outputs and the
   * token issuer stay the same across restarts. A port in use fails the start
   * with `PortInUseError`, which names the port and its flag.
   */
  ports?: Partial<LocalPorts>;
}

export type DynamoDbKind = 'embedded' | 'local';

const dynamoDbKind = (option: DynamoDbKind | undefined): DynamoDbKind => {
  const kind = option ?? process.env.LOCAL_DYNAMODB ?? 'embedded';
  if (kind !== 'embedded' && kind !== 'local')
    throw new Error(
      `unknown DynamoDB "${kind}": use "embedded" (the default) or "local" (DynamoDB Local, needs Java 17)`,
    );
  return kind;
};

export interface AppliedReload {
  /** Until the outputs were rewritten. */
  ms: number;
  /** Until the new API served requests. */
  servedMs: number;
  warnings: string[];
}

export interface LocalBackend {
  /** The amplify_outputs.json content for this backend; a hot reload updates it (and the file). */
  readonly outputs: Record<string, unknown>;
  urls: {
    graphql: string;
    realtime: string;
    userPool: string;
    search: string;
    push: string;
    dynamodb: string;
    /** The REST APIs' server: a stage's base is `<rest>/restapis/<api id>/<stage>/`. */
    rest: string;
  };
  /** The CA that signed the GraphQL server's certificate. */
  caFile: string;
  /**
   * The local admin credential, which every SigV4-authenticated local service
   * accepts for anything (DynamoDB, CloudSearch, S3): for tests and tools. It
   * is random per data folder and kept in `adminCredentialsFile` (mode 0600).
   */
  adminCredentials: LocalCredential;
  adminCredentialsFile: string;
  /** The credentials every local service checks signatures against: admin, functions, identities. */
  credentials: LocalCredentials;
  dataDir: string;
  outbox: Outbox;
  deadLetters: DeadLetterQueue;
  auth: LocalAuth;
  /** The local push service: `markInvalid(token)` makes it report a device token as unregistered. */
  push: LocalPush;
  /** The local name of every S3 bucket the templates define, by logical ID. */
  buckets: Record<string, string>;
  /**
   * The IAM decision for a request signed with local credentials (the admin,
   * a function's, or the identity pool's), as the synthesized policies of the
   * credentials' role make it; undefined for an unknown or expired access
   * key. Identity-pool context keys are filled in.
   */
  authorize(
    accessKeyId: string,
    request: { action: string; resource: string; context?: Record<string, string> },
  ): Decision | undefined;
  /**
   * Applies another synthesis of the project while running. Rejects, and keeps
   * the running version, if the assembly cannot run. Data and connections stay.
   */
  apply(assemblyDir: string): Promise<AppliedReload>;
  /** With `watch`, the watcher and its reports. */
  hotReload: HotReloader | undefined;
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
 * synthesizes: Cognito, the AppSync API (HTTP and realtime), DynamoDB (the
 * embedded store or DynamoDB Local) with the template's tables and streams, the functions, CloudSearch and
 * push. Every server binds 127.0.0.1 on a free port.
 */
export const createLocalBackend = async (options: LocalBackendOptions = {}): Promise<LocalBackend> => {
  const log = options.log ?? (() => {});
  const projectDir = resolve(options.projectDir ?? PROJECT_ROOT);
  const dataDir = resolve(options.dataDir ?? join(projectDir, '.amplify', 'local'));
  if (options.reset) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const ports: LocalPorts = { ...FREE_PORTS, ...options.ports };
  await assertPortsFree(ports);
  // The running generation's role policies decide for functions and identities; none until the first one runs.
  let livePolicies: ReadonlyMap<string, PolicyDocument[]> = new Map();
  let liveAuth: LocalAuth | undefined;
  const adminCredentialsFile = join(dataDir, 'admin-credentials.json');
  const credentials = new LocalCredentials({
    file: adminCredentialsFile,
    accountId: NAMES.accountId,
    region: NAMES.region,
    identityPoolId: NAMES.identityPoolId,
    policies: () => livePolicies,
    identities: (accessKeyId) => liveAuth?.identityPool?.credentialsFor(accessKeyId),
  });
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => console.error(error));
    stops.length = 0;
  };

  try {
    let assemblyDir = options.assemblyDir;
    if (!assemblyDir) {
      log('synthesizing amplify/ ...');
      const outDir = join(projectDir, '.amplify', 'synth', 'local');
      const { cached, ms } = await synthesizeCached({ type: 'sandbox', outDir, quiet: true, projectDir });
      log(cached ? 'synthesis unchanged, reusing it' : `synthesized in ${(ms / 1000).toFixed(1)} s`);
      assemblyDir = outDir;
    }
    // Known before the functions start: a function that calls the API (the REST handler) has its URL in its environment.
    const graphqlPort = ports.graphql || (await freePort());
    const names: LocalNames = { ...NAMES, graphqlUrl: `https://127.0.0.1:${graphqlPort}/graphql` };
    const assembly = new CloudAssembly(assemblyDir, names);

    log('preparing TLS ...');
    const tls = await loadOrCreateTls(options.tlsDir ?? join(PROJECT_ROOT, '.amplify', 'tls'));

    const kind = dynamoDbKind(options.dynamodb);
    log(kind === 'local' ? 'starting DynamoDB Local ...' : 'opening the embedded DynamoDB ...');
    const dynamodb: LocalDynamoDb =
      kind === 'local'
        ? await startDynamoDbLocal({ dbPath: join(dataDir, 'dynamodb') })
        : await startEmbeddedDynamoDb({
            dbPath: join(dataDir, 'dynamodb'),
            port: ports.dynamodb,
            guard: dynamoDbGuard(credentials, NAMES),
            credentials: credentials.admin,
          });
    stops.push(dynamodb.stop);
    let dynamodbFront = dynamodb.endpoint;
    if (kind === 'local') {
      // DynamoDB Local checks no signature and keeps a database per key: a front checks, then uses the local account's.
      const front = await startSignedFront({
        target: dynamodb.endpoint,
        guard: dynamoDbGuard(credentials, NAMES),
        account: { accessKeyId: LOCAL_AWS.credentials.accessKeyId, region: LOCAL_AWS.region },
        port: ports.dynamodb,
      });
      stops.push(front.stop);
      dynamodbFront = front.endpoint;
    }

    const outbox = new Outbox(join(dataDir, 'outbox.jsonl'));
    log('starting search and push ...');
    const search: LocalSearch = await startLocalSearch({
      textFields: ['headline', 'text'],
      file: join(dataDir, 'search', 'documents.json'),
      port: ports.search,
      access: {
        domainArn: searchDomainArnOf(assembly),
        verify: credentials.verify,
        authorize: credentials.authorize,
        arnOf: (principal) => credentials.arnOf(principal),
      },
    });
    stops.push(search.close);
    const push: LocalPush = await startLocalPush({
      outbox,
      applicationIds: [NAMES.pushApplicationId],
      access: {
        region: NAMES.region,
        accountId: NAMES.accountId,
        verify: credentials.verify,
        authorize: credentials.authorize,
        arnOf: (principal) => credentials.arnOf(principal),
      },
      port: ports.push,
    });
    stops.push(push.close);
    const deadLetters = new DeadLetterQueue(join(dataDir, 'dead-letters.jsonl'));

    const authSettings = authSettingsOf(assembly);
    const postConfirmationId = authSettings.postConfirmationId;

    log('starting auth ...');
    const auth = await startLocalAuth({
      port: ports.auth,
      userPoolId: NAMES.userPoolId,
      clientId: NAMES.userPoolClientId,
      passwordPolicy: authSettings.passwordPolicy,
      dataDir,
      outbox,
      // The trigger runs the current generation's code: an edit to it applies without a restart.
      postConfirmation: postConfirmationId
        ? (event) => {
            const fn = current.functions.get(postConfirmationId);
            if (!fn) throw new Error(`the post-confirmation function ${postConfirmationId} is not running`);
            return fn.invoke(event);
          }
        : undefined,
      groupRoles: authSettings.groupRoles,
      groups: authSettings.groups,
      preventUserExistenceErrors: authSettings.preventUserExistenceErrors,
      verifyBeforeUpdate: authSettings.verifyBeforeUpdate,
      accountId: NAMES.accountId,
      log,
      // Admin operations need SigV4 and an IAM allow, as on Cognito: the local admin, or a function's role.
      verifySigned: credentials.verify,
      authorizePrincipal: credentials.authorize,
      identityPool: authSettings.identityPool && {
        identityPoolId: NAMES.identityPoolId,
        region: NAMES.region,
        ...authSettings.identityPool,
      },
    });
    stops.push(auth.close);

    liveAuth = auth;

    const authorize: LocalBackend['authorize'] = (accessKeyId, request) => {
      const known = credentials.lookup(accessKeyId);
      // The running generation's policies: an edited storage access rule applies at once.
      return known ? credentials.authorize(known.principal, request) : undefined;
    };

    const buckets = Object.fromEntries(
      assembly.resources('AWS::S3::Bucket').map(({ logicalId, stack }) => [logicalId, String(stack.ref(logicalId))]),
    );
    const startingStorage = storageOutputsOf(assembly);
    let storage: LocalStorage | undefined;
    if (startingStorage) {
      log('starting storage ...');
      storage = await startLocalStorage({
        port: ports.storage,
        buckets: startingStorage.buckets.map((b) => b.bucket_name),
        // Each bucket's CORS rules, as its template gives them (browser uploads need the preflight answered).
        cors: Object.fromEntries(
          assembly
            .resources('AWS::S3::Bucket')
            .map(({ logicalId, stack, properties }) => [
              String(stack.ref(logicalId)),
              corsRulesOf(stack.resolve(properties.CorsConfiguration)),
            ]),
        ),
        region: NAMES.region,
        dir: join(dataDir, 'storage'),
        tls,
        // Identities, functions and the admin, each as its role's policies allow.
        lookup: (accessKeyId) => credentials.lookup(accessKeyId)?.secret,
        authorize: (accessKeyId, request) => authorize(accessKeyId, request),
        onObjectEvent: (event) => {
          // The running generation's triggers and code, invoked as S3 invokes them: asynchronously.
          for (const spec of current.notifications.filter((n) => wants(n, event))) {
            const fn = current.functions.get(spec.functionId);
            if (fn) void invokeAsync(fn, s3Event(event, NAMES.region), `s3:${event.bucket}`, deadLetters);
          }
        },
      });
      stops.push(storage.close);
    }

    // The OpenSearch domain the template creates (the default search engine), served from the same local engine.
    const openSearchDomain = assembly.resources('AWS::OpenSearchService::Domain')[0];
    let openSearch: LocalOpenSearch | undefined;
    if (openSearchDomain) {
      log('starting OpenSearch ...');
      const name = String(openSearchDomain.stack.resolve(openSearchDomain.properties.DomainName));
      openSearch = await startLocalOpenSearch({
        port: ports.opensearch,
        file: join(dataDir, 'search', 'opensearch.json'),
        access: {
          domainArn: `arn:aws:es:${NAMES.region}:${NAMES.accountId}:domain/${name}`,
          verify: credentials.verify,
          authorize: credentials.authorize,
          arnOf: (principal) => credentials.arnOf(principal),
        },
      });
      stops.push(openSearch.close);
    }

    log('starting SSM Parameter Store ...');
    // The running generation's parameters; the first generation's until it runs.
    let liveParameters = ssmParametersOf(assembly);
    const ssm = await startLocalSsm({
      port: ports.ssm,
      parameters: () => liveParameters,
      region: NAMES.region,
      accountId: NAMES.accountId,
      verify: credentials.verify,
      authorize: credentials.authorize,
      deniedMessage: (principal, action, resource) =>
        credentials.deniedMessage(principal, action, resource, 'ImplicitDeny'),
    });
    stops.push(ssm.close);

    // Everything below that comes from the assembly is a generation: a hot reload builds the next one.
    const functionEnvironment: FunctionEnvironment = {
      region: NAMES.region,
      // The endpoints of the local services a function's SDK clients may call.
      endpoints: {
        DYNAMODB: dynamodbFront,
        DYNAMODB_STREAMS: dynamodbFront,
        CLOUDSEARCH_DOMAIN: search.url,
        PINPOINT: push.url,
        SSM: ssm.url,
        COGNITO_IDENTITY_PROVIDER: auth.url,
        COGNITO_IDENTITY: auth.url,
        ...(storage ? { S3: storage.url } : {}),
      },
      searchEndpoint: search.url,
      ...(openSearch ? { openSearchEndpoint: openSearch.url } : {}),
      caFile: tls.caFile,
      credentialsFor: (name, roleArn) => credentials.forFunction(name, roleArn),
    };
    /** Builds a generation; on failure it stops what it started and the running one stays. */
    const build = async (next: CloudAssembly, previous?: Generation): Promise<Generation> => {
      const policies = rolePolicies(next);
      // The first generation's functions resolve SSM references in their init phase, with their roles:
      // those policies apply before the functions start. A reload's apply when it is activated.
      if (!previous) {
        livePolicies = policies;
        liveParameters = ssmParametersOf(next);
      }
      const specs = functionSpecsOf(next, usedFunctionIds(next), functionEnvironment, previous?.specs);
      const functions = new Map<string, LocalFunction>();
      const created: LocalFunction[] = [];
      try {
        for (const [logicalId, spec] of specs) {
          const kept = previous?.specs.get(logicalId)?.key === spec.key ? previous.functions.get(logicalId) : undefined;
          const fn = kept ?? new LocalFunction(spec);
          if (!kept) created.push(fn);
          functions.set(logicalId, fn);
        }
        const tables = tableSpecs(next);
        await createTables(dynamodb.client, tables);
        await createMissingIndexes(dynamodb.client, tables);
        return {
          assembly: next,
          specs,
          functions,
          api: new LocalGraphqlApi(next, dynamodb.wire, functions),
          policies,
          notifications: notificationSpecsOf(next),
          mappings: new Map(),
          auth: authSettingsOf(next),
        };
      } catch (error) {
        for (const fn of created) await fn.stop();
        throw error;
      }
    };

    /** Makes a built generation the running one: stream mappings follow, replaced functions stop. */
    const activate = async (next: Generation, previous?: Generation): Promise<void> => {
      for (const spec of mappingSpecsOf(next.assembly)) {
        const fn = next.functions.get(spec.functionId);
        if (!fn) throw new Error(`stream mapping ${spec.id}: function ${spec.functionId} is not running`);
        const key = JSON.stringify({ ...spec, code: next.specs.get(spec.functionId)?.key });
        const running = previous?.mappings.get(spec.id);
        if (running?.key === key && previous?.functions.get(spec.functionId) === fn) {
          next.mappings.set(spec.id, running);
          continue;
        }
        // The old mapping stops before the new one reads: both keep their place in the same checkpoint file.
        await running?.mapping.stop();
        const mapping = new StreamMapping(
          { ...spec, fn },
          dynamodb.client,
          dynamodbFront,
          NAMES.region,
          join(dataDir, 'streams', `${spec.id}.json`),
          deadLetters.add,
          // As Lambda's event source mapping does, the stream is read with the function's role.
          next.specs.get(spec.functionId)?.credentials,
        );
        mapping.start();
        next.mappings.set(spec.id, { key, mapping });
      }
      current = next;
      livePolicies = next.policies;
      liveParameters = ssmParametersOf(next.assembly);
      if (!previous) return;
      for (const [id, { mapping }] of previous.mappings)
        if (next.mappings.get(id)?.mapping !== mapping) await mapping.stop();
      const live = new Set(next.functions.values());
      for (const fn of previous.functions.values()) if (!live.has(fn)) await fn.stop();
    };

    log('starting functions ...');
    let current: Generation = await build(assembly);
    stops.push(async () => {
      for (const { mapping } of current.mappings.values()) await mapping.stop();
      for (const fn of current.functions.values()) await fn.stop();
    });

    log('starting GraphQL ...');
    const graphql: LocalGraphqlServer = await startGraphqlServer({
      port: graphqlPort,
      api: () => current.api,
      verifier: { issuer: auth.issuer, clientId: NAMES.userPoolClientId, keys: createLocalJWKSet(auth.tokens.jwks()) },
      tls,
      iam: auth.identityPool && {
        lookup: (accessKeyId) => auth.identityPool?.credentialsFor(accessKeyId),
        region: NAMES.region,
        accountId: NAMES.accountId,
        identityPoolId: NAMES.identityPoolId,
        // The identity pool's provider name for this user pool: its issuer without the scheme.
        userPoolProvider: auth.issuer.replace(/^https?:\/\//, ''),
      },
    });
    stops.push(graphql.close);

    log('starting REST APIs ...');
    const rest: LocalRest = await startLocalRest({
      port: ports.rest,
      tls,
      apis: () => restApisFor(current.assembly),
      invoke: (functionId, event) => {
        const fn = current.functions.get(functionId);
        if (!fn) throw new Error(`the function ${functionId} is not running`);
        return fn.invoke(event);
      },
      userPool: { issuer: auth.issuer, keys: createLocalJWKSet(auth.tokens.jwks()) },
      accountId: NAMES.accountId,
      accessLogDir: join(dataDir, 'rest-access-logs'),
    });
    stops.push(rest.close);

    log('starting stream mappings ...');
    await activate(current);

    const outputsFile =
      options.outputsFile === undefined ? join(projectDir, 'amplify_outputs.json') : options.outputsFile;
    const servers = { graphql, auth, storage };
    const writeOutputs = async (generation: Generation): Promise<Record<string, unknown>> => {
      const generated = localOutputs(await assemblyClientConfig(generation.assembly), {
        graphqlUrl: servers.graphql.url,
        userPoolEndpoint: servers.auth.url,
        identityPool: authSettings.identityPool !== undefined,
        storageEndpoint: storageOutputsOf(generation.assembly) ? servers.storage?.endpoint : undefined,
        caFile: tls.caFile,
        outbox: join(dataDir, 'outbox.jsonl'),
        adminCredentialsFile,
      });
      // custom.API.<name>.endpoint: the local REST server instead of execute-api.
      const outputs = pointAtLocalRest(generated, restApisFor(generation.assembly), rest.endpointOf);
      if (outputsFile) writeFileSync(outputsFile, `${JSON.stringify(outputs, null, 2)}\n`);
      return outputs;
    };
    let outputs = await writeOutputs(current);

    let applying = Promise.resolve();
    const apply: LocalBackend['apply'] = (nextDir) => {
      const run = async () => {
        const started = performance.now();
        const previous = current;
        const next = await build(new CloudAssembly(nextDir, names), previous);
        await activate(next, previous);
        const servedMs = performance.now() - started;
        const warnings: string[] = [];
        const dropped = graphql.revalidate();
        if (dropped > 0) warnings.push(`${dropped} subscription(s) no longer match the schema and were ended`);
        // The password policy, the groups and their roles apply to the next sign-up, call and tokens.
        const nextAuth = next.auth;
        auth.pool.setPasswordPolicy(nextAuth.passwordPolicy);
        auth.tokens.groupRoles = nextAuth.groupRoles;
        auth.pool.setGroups(nextAuth.groups);
        auth.pool.setClientSettings(nextAuth);
        if (restartOnlySettings(next) !== restartOnlySettings(previous))
          warnings.push(
            'the identity pool, the post-confirmation trigger or the set of buckets changed; restart `npm start` to apply them',
          );
        // The API already serves the new version; the outputs (model introspection) follow it.
        try {
          outputs = await writeOutputs(next);
        } catch (error) {
          warnings.push(`amplify_outputs.json was not rewritten: ${error instanceof Error ? error.message : error}`);
        }
        return { ms: performance.now() - started, servedMs, warnings };
      };
      const result = applying.then(run);
      applying = result.then(
        () => {},
        () => {},
      );
      return result;
    };

    let reloader: HotReloader | undefined;
    if (options.watch) {
      log('watching amplify/ ...');
      reloader = new HotReloader({
        projectDir,
        apply: (dir) => apply(dir),
        bundleInputs: () => new Set([...current.specs.values()].flatMap((spec) => spec.inputs)),
        log,
      });
      await reloader.start();
      stops.push(() => reloader?.close() ?? Promise.resolve());
    }

    const dispose = async () => {
      await stopAll();
    };
    return {
      get outputs() {
        return outputs;
      },
      urls: {
        graphql: graphql.url,
        realtime: graphql.realtimeUrl,
        userPool: auth.url,
        search: search.url,
        push: push.url,
        dynamodb: dynamodbFront,
        rest: rest.url,
      },
      caFile: tls.caFile,
      get adminCredentials() {
        return credentials.admin;
      },
      adminCredentialsFile,
      credentials,
      dataDir,
      outbox,
      deadLetters,
      auth,
      push,
      authorize,
      buckets,
      apply,
      hotReload: reloader,
      drainStreams: async (timeoutMs = 30_000) => {
        // Written records reach the stream at once; wait until no mapping holds or reads any for a while.
        const deadline = Date.now() + timeoutMs;
        let settled = 0;
        let last = -1;
        while (Date.now() < deadline && settled < 3) {
          await new Promise((r) => setTimeout(r, 200));
          const mappings = [...current.mappings.values()].map(({ mapping }) => mapping);
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

/** What the assembly defines for one generation of the running backend. */
interface Generation {
  assembly: CloudAssembly;
  specs: Map<string, LocalFunctionSpec>;
  functions: Map<string, LocalFunction>;
  api: LocalGraphqlApi;
  policies: ReturnType<typeof rolePolicies>;
  mappings: Map<string, { key: string; mapping: StreamMapping }>;
  /** The buckets' event notifications to functions (storage triggers). */
  notifications: NotificationSpec[];
  /** What the local auth servers take from this assembly. */
  auth: AuthSettings;
}

const postConfirmationIdOf = (assembly: CloudAssembly): string | undefined => {
  const userPool = assembly.resources('AWS::Cognito::UserPool')[0];
  const props = userPool ? userPool.stack.resolve(userPool.properties) : {};
  const lambdaConfig = isRecord(props) && isRecord(props.LambdaConfig) ? props.LambdaConfig : {};
  return logicalIdOfRef(lambdaConfig.PostConfirmation);
};

/**
 * The CloudSearch domain the functions' policies name. CloudFormation has no
 * CloudSearch resource, so a backend uses an existing domain, and its role
 * policies are where the assembly names it; `local` when none does.
 */
const searchDomainArnOf = (assembly: CloudAssembly): string => {
  for (const documents of rolePolicies(assembly).values()) {
    const arn = /arn:aws:cloudsearch:[^:"]*:[^:"]*:domain\/[a-z0-9-]+/.exec(JSON.stringify(documents))?.[0];
    if (arn) return arn;
  }
  return `arn:aws:cloudsearch:${NAMES.region}:${NAMES.accountId}:domain/local`;
};

/** A stream mapping as the template configures it; the function is named, not yet running. */
type MappingDefinition = Omit<MappingSpec, 'fn'> & { functionId: string };

/** The event source mappings of DynamoDB streams, as the templates configure them. */
const mappingSpecsOf = (assembly: CloudAssembly): MappingDefinition[] =>
  assembly.resources('AWS::Lambda::EventSourceMapping').flatMap(({ logicalId, stack, properties }) => {
    const props = stack.resolve(properties);
    if (!isRecord(props)) return [];
    const tableName = /:table\/([^/]+)\/stream\//.exec(String(props.EventSourceArn))?.[1];
    const functionId = logicalIdOfRef(props.FunctionName);
    if (!tableName || !functionId) return [];
    const filters =
      isRecord(props.FilterCriteria) && Array.isArray(props.FilterCriteria.Filters) ? props.FilterCriteria.Filters : [];
    return [
      {
        id: logicalId,
        tableName,
        functionId,
        batchSize: Number(props.BatchSize ?? 100),
        batchingWindowMs: Number(props.MaximumBatchingWindowInSeconds ?? 0) * 1000,
        reportBatchItemFailures:
          Array.isArray(props.FunctionResponseTypes) && props.FunctionResponseTypes.includes('ReportBatchItemFailures'),
        bisectOnError: props.BisectBatchOnFunctionError === true,
        maxRetries: Number(props.MaximumRetryAttempts ?? 3),
        filters: filters.filter(isRecord).map((f) => JSON.parse(String(f.Pattern))),
      },
    ];
  });

/** The functions the local backend runs: the auth trigger, Lambda data sources and stream consumers. */
const usedFunctionIds = (assembly: CloudAssembly): Set<string> => {
  const ids = new Set<string>();
  const trigger = postConfirmationIdOf(assembly);
  if (trigger) ids.add(trigger);
  for (const { stack, properties } of assembly.resources('AWS::AppSync::DataSource')) {
    const lambda = stack.resolve(properties.LambdaConfig);
    const id = isRecord(lambda) ? String(lambda.LambdaFunctionArn).split(':').at(-1) : undefined;
    if (id) ids.add(id);
  }
  // Conflict handlers (SyncConfig LAMBDA) of pipeline functions and unit resolvers.
  for (const type of ['AWS::AppSync::FunctionConfiguration', 'AWS::AppSync::Resolver']) {
    for (const { stack, properties } of assembly.resources(type)) {
      const sync = stack.resolve(properties.SyncConfig);
      const config = isRecord(sync) ? sync.LambdaConflictHandlerConfig : undefined;
      const id = isRecord(config) ? String(config.LambdaConflictHandlerArn).split(':').at(-1) : undefined;
      if (id) ids.add(id);
    }
  }
  for (const spec of mappingSpecsOf(assembly)) ids.add(spec.functionId);
  for (const spec of notificationSpecsOf(assembly)) ids.add(spec.functionId);
  for (const id of restFunctionIds(assembly)) ids.add(id);
  return ids;
};

/** What the local auth servers take from the templates. */
type AuthSettings = ReturnType<typeof authSettingsOf>;
const authSettingsOf = (assembly: CloudAssembly) => {
  const userPool = assembly.resources('AWS::Cognito::UserPool')[0];
  const poolProps = userPool ? userPool.stack.resolve(userPool.properties) : {};
  const policy =
    isRecord(poolProps) && isRecord(poolProps.Policies) && isRecord(poolProps.Policies.PasswordPolicy)
      ? poolProps.Policies.PasswordPolicy
      : {};
  const appClient = assembly.resources('AWS::Cognito::UserPoolClient')[0];
  const updateSettings =
    isRecord(poolProps) && isRecord(poolProps.UserAttributeUpdateSettings) ? poolProps.UserAttributeUpdateSettings : {};
  const verifyBeforeUpdate = updateSettings.AttributesRequireVerificationBeforeUpdate;
  const identityPool = assembly.resources('AWS::Cognito::IdentityPool')[0];
  const attachment = assembly.resources('AWS::Cognito::IdentityPoolRoleAttachment')[0];
  const roles = attachment ? attachment.stack.resolve(attachment.properties.Roles) : {};
  const roleMappings = attachment ? attachment.stack.resolve(attachment.properties.RoleMappings) : {};
  return {
    passwordPolicy: {
      minimumLength: Number(policy.MinimumLength ?? 8),
      requireLowercase: policy.RequireLowercase === true,
      requireUppercase: policy.RequireUppercase === true,
      requireNumbers: policy.RequireNumbers === true,
      requireSymbols: policy.RequireSymbols === true,
      ...(policy.TemporaryPasswordValidityDays === undefined
        ? {}
        : { temporaryPasswordValidityDays: Number(policy.TemporaryPasswordValidityDays) }),
    },
    preventUserExistenceErrors: appClient?.properties.PreventUserExistenceErrors === 'ENABLED',
    verifyBeforeUpdate: Array.isArray(verifyBeforeUpdate) ? verifyBeforeUpdate.map(String) : [],
    postConfirmationId: postConfirmationIdOf(assembly),
    groups: assembly
      .resources('AWS::Cognito::UserPoolGroup')
      .map(({ stack, properties }) => String(stack.resolve(properties.GroupName))),
    groupRoles: Object.fromEntries(
      assembly.resources('AWS::Cognito::UserPoolGroup').flatMap(({ stack, properties }) => {
        const group = stack.resolve(properties);
        return isRecord(group) && group.RoleArn
          ? [[String(group.GroupName), { roleArn: String(group.RoleArn), precedence: Number(group.Precedence ?? 0) }]]
          : [];
      }),
    ),
    identityPool: identityPool && {
      allowUnauthenticated: identityPool.properties.AllowUnauthenticatedIdentities === true,
      tokenRoleMapping:
        isRecord(roleMappings) &&
        Object.values(roleMappings).some(
          (m) => isRecord(m) && m.Type === 'Token' && m.AmbiguousRoleResolution === 'AuthenticatedRole',
        ),
      roles: {
        authenticated: String(isRecord(roles) ? roles.authenticated : ''),
        unauthenticated: isRecord(roles) && roles.unauthenticated ? String(roles.unauthenticated) : undefined,
      },
    },
  };
};

/**
 * An asynchronous invocation, as Lambda runs one for S3 and other event
 * sources: the caller does not wait, a failure is retried twice (after 1 s and
 * 2 s here; Lambda waits about 1 and 2 minutes), then the event is kept as a
 * dead letter.
 */
const invokeAsync = async (fn: LocalFunction, event: unknown, source: string, deadLetters: DeadLetterQueue) => {
  let reason = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, attempt * 1000));
    try {
      await fn.invoke(event);
      return;
    } catch (error) {
      // A function stopped by a reload or shutdown is not retried: its event ends with it, as on a redeploy.
      if (error instanceof Error && error.name === 'Stopped') return;
      reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      console.warn(`${fn.spec.name}: the ${source} event failed (attempt ${attempt + 1} of 3): ${reason}`);
    }
  }
  deadLetters.add({
    mapping: `${source} -> ${fn.spec.name}`,
    at: new Date().toISOString(),
    reason: `${reason} (after 2 retries)`,
    sequenceNumbers: [],
    keys: [event],
  });
};

/** What a running backend keeps until it restarts: the identity pool, the trigger's presence, the bucket set. */
const restartOnlySettings = ({ auth, assembly }: Generation): string => {
  const buckets = storageOutputsOf(assembly)?.buckets.map((b) => b.bucket_name) ?? [];
  return JSON.stringify({ identityPool: auth.identityPool, postConfirmationId: auth.postConfirmationId, buckets });
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

/**
 * amplify_outputs.json for the local backend: what ampx would write for the
 * assembly (`assemblyClientConfig`), pointed at the local GraphQL server, plus
 * the local endpoints under `custom.local` beside the app's own custom outputs.
 */
const localOutputs = (
  config: ClientConfig,
  local: {
    graphqlUrl: string;
    userPoolEndpoint: string;
    identityPool: boolean;
    storageEndpoint: string | undefined;
    caFile: string;
    outbox: string;
    adminCredentialsFile: string;
  },
): Record<string, unknown> => ({
  ...config,
  ...(config.data ? { data: { ...config.data, url: local.graphqlUrl } } : {}),
  custom: {
    ...(isRecord(config.custom) ? config.custom : {}),
    local: {
      user_pool_endpoint: local.userPoolEndpoint,
      ...(local.identityPool ? { identity_pool_endpoint: local.userPoolEndpoint } : {}),
      // Amplify Storage takes this per call: `options: { customEndpoint }`.
      ...(local.storageEndpoint ? { storage_endpoint: local.storageEndpoint } : {}),
      ca_file: local.caFile,
      outbox: local.outbox,
      // Tools sign with the local admin credential kept here (a path, not the secret).
      admin_credentials_file: local.adminCredentialsFile,
    },
  },
});
