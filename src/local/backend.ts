import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LocalAuth } from './auth/server';
import { CloudAssembly, type LocalNames } from './cloud/assembly';
import { assemblyClientConfig } from './cloud/outputs';
import { PROJECT_ROOT, synthesizeCached } from './cloud/synth';
import type { LocalConsole } from './console/server';
import { tableSpecs } from './dynamodb/tables';
import { appSyncEventBridgeSource } from './events/appsync-source';
import { LocalEventBridge } from './events/bus';
import { type EventBuses, eventBusesOf } from './events/buses';
import { type Clock, type ScheduledRule, Scheduler, scheduledEvent } from './events/scheduler';
import type { FunctionEnvironment } from './functions/specs';
import { type Generation, Generations, invokeAsync } from './generations';
import { HotReloader } from './hot-reload';
import { requestLog } from './http/request-log';
import { type LocalCredential, LocalCredentials } from './iam/credentials';
import { type Decision, evaluate, type PolicyDocument } from './iam/policy';
import { snsDeliverer } from './messaging';
import { Outbox } from './outbox';
import { assertPortsFree, FREE_PORTS, freePort, type LocalPorts } from './ports';
import { writePrivateFile } from './private-files';
import type { LocalPush } from './push/server';
import { pointAtLocalRest, restApisFor } from './rest';
import { LocalSecretsManagerState, setCommand } from './secretsmanager/local';
import { keepDeveloperSecrets, secretsManagerFileOf } from './secretsmanager/store';
import { authService } from './services/auth';
import { consoleService } from './services/console';
import type { ServiceContext } from './services/context';
import { type DynamoDbKind, dynamoDbService } from './services/dynamodb';
import { eventBridgeService } from './services/eventbridge';
import { graphqlService } from './services/graphql';
import { lambdaService } from './services/lambda';
import { pushService } from './services/push';
import { type ServiceInfo, ServiceRegistry, serviceOf } from './services/registry';
import { restService } from './services/rest';
import { cloudSearchService, openSearchService } from './services/search';
import { secretsManagerService } from './services/secretsmanager';
import { snsOutboxOf, snsService } from './services/sns';
import { sqsService } from './services/sqs';
import { ssmService } from './services/ssm';
import { storageService } from './services/storage';
import { authSettingsOf } from './settings/auth';
import { functionsInvokeFunctions } from './settings/functions';
import { mappingSpecsOf } from './settings/mappings';
import { queueMappingsOf, queuesOf, subscriptionsOf, topicsOf } from './settings/messaging';
import { NAMES } from './settings/names';
import { oauthSettingsOf } from './settings/oauth';
import { localOutputs } from './settings/outputs';
import { cloudSearchOf, openSearchDomainArnOf } from './settings/search';
import { bucketDeploymentsOf, bucketNamesOf, storageOutputsOf } from './settings/storage';
import { assertSupported, servicesNamedByFunctions } from './settings/support';
import { CONSUME_ACTIONS, QueueMappings } from './sqs/mapping';
import { LocalSecrets, type SecretReference, secretsFileOf } from './ssm/secrets';
import { ssmParametersOf } from './ssm/server';
import { s3Event, wants } from './storage/notifications';
import { DeadLetterQueue } from './streams';
import { loadOrCreateTls } from './tls';

export type { DynamoDbKind } from './services/dynamodb';

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
  /** The clock scheduled functions run by (EventBridge rules and Scheduler schedules); default: the system's. */
  clock?: Clock;
}

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
    /** The CloudSearch domain's endpoint, when the functions use one. */
    search: string | undefined;
    push: string;
    dynamodb: string;
    console: string;
    /** The REST APIs' server: a stage's base is `<rest>/restapis/<api id>/<stage>/`. */
    rest: string;
  };
  /** The local console (users, data, files, logs, explorer, functions); `loginUrl()` signs a browser in once. */
  console: LocalConsole;
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
  /** Each running service's endpoints, by name, in start order. */
  services: Record<string, ServiceInfo>;
  /** The scheduled rules and schedules of the running generation. */
  scheduledRules(): readonly ScheduledRule[];
  /**
   * Runs a scheduled rule's targets now (by its name, logical ID or ARN), with
   * the event its schedule sends, and resolves with each function's result.
   */
  invokeScheduled(ruleName: string): Promise<Array<{ functionId: string; result: unknown }>>;
  /** The latest scheduled runs (at most 100), newest last. */
  readonly scheduledRuns: ReadonlyArray<ScheduledRun>;
  /** The latest deliveries of events to rules' targets (at most 100), newest last. */
  readonly eventDeliveries: ReadonlyArray<EventDelivery>;
  /** Resolves when every stream record written so far has been delivered to its function. */
  drainStreams(timeoutMs?: number): Promise<void>;
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface EventDelivery {
  rule: string;
  functionId: string;
  eventId: string;
  ok: boolean;
  result?: unknown;
}

export interface ScheduledRun {
  rule: string;
  functionId: string;
  at: string;
  ok: boolean;
  result?: unknown;
}

/**
 * Starts the whole backend on this machine, offline, from what amplify/
 * synthesizes. The assembly gives the settings (`settings/*`: auth, storage,
 * search, mappings, functions, outputs); each service (`services/*`) starts
 * after the ones it uses, through one registry, which stops them in reverse
 * on failure and on `dispose`. Every server binds 127.0.0.1.
 */
export const createLocalBackend = async (options: LocalBackendOptions = {}): Promise<LocalBackend> => {
  const log = options.log ?? (() => {});
  const projectDir = resolve(options.projectDir ?? PROJECT_ROOT);
  const dataDir = resolve(options.dataDir ?? join(projectDir, '.amplify', 'local'));
  // Secrets outlive a reset, as ampx's outlive a sandbox delete.
  const secretsFile = secretsFileOf(dataDir);
  const keptSecrets = options.reset && existsSync(secretsFile) ? readFileSync(secretsFile) : undefined;
  // So do the Secrets Manager secrets the developer set (those that exist only in the account); the template's are made anew.
  const secretsManagerFile = secretsManagerFileOf(dataDir);
  const keptDeveloperSecrets = options.reset ? keepDeveloperSecrets(secretsManagerFile) : undefined;
  if (options.reset) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  if (keptSecrets) writePrivateFile(secretsFile, keptSecrets);
  if (keptDeveloperSecrets) writePrivateFile(secretsManagerFile, keptDeveloperSecrets);
  const secrets = new LocalSecrets(secretsFile);
  const secretsManager = new LocalSecretsManagerState(secretsManagerFile, NAMES);
  let unsetSecrets = '';
  let liveSecrets: SecretReference[] = [];
  const ports: LocalPorts = { ...FREE_PORTS, ...options.ports };
  await assertPortsFree(ports);
  const kind = dynamoDbKind(options.dynamodb);

  // The running generation's role policies and parameters decide for functions and identities; none until the first one runs.
  let livePolicies: ReadonlyMap<string, PolicyDocument[]> = new Map();
  let liveParameters: ReturnType<typeof ssmParametersOf> = new Map();
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
  const authorize: LocalBackend['authorize'] = (accessKeyId, request) => {
    const known = credentials.lookup(accessKeyId);
    // The running generation's policies: an edited storage access rule applies at once.
    return known ? credentials.authorize(known.principal, request) : undefined;
  };
  // The request log names callers by their access key's principal (admin, a function, an identity).
  requestLog.principalOf = (accessKeyId) => credentials.lookup(accessKeyId)?.principal.name;
  const services = new ServiceRegistry(log);

  try {
    // 1. The assembly.
    // Known before the functions start: a function that calls the API (the REST handler) has its URL in its environment.
    const graphqlPort = ports.graphql || (await freePort());
    // Queue URLs name the local SQS, so the SDK (which sends to a queue URL's host) reaches it.
    const sqsPort = ports.sqs || (await freePort());
    const names: LocalNames = {
      ...NAMES,
      graphqlUrl: `https://127.0.0.1:${graphqlPort}/graphql`,
      sqsUrl: `http://127.0.0.1:${sqsPort}`,
    };
    const assembly = new CloudAssembly(await assemblyDirOf(options, projectDir, log), names);

    // 2. Its settings; a feature that would not run stops the start here, all of them named.
    assertSupported(assembly);
    const authSettings = authSettingsOf(assembly);
    const storageSettings = storageOutputsOf(assembly);
    const openSearchArn = openSearchDomainArnOf(assembly);
    const cloudSearch = cloudSearchOf(assembly);
    liveParameters = ssmParametersOf(assembly);
    let liveBuses: EventBuses = eventBusesOf(assembly, NAMES);

    // 3. The services, each after the ones it uses.
    log('preparing TLS ...');
    const tls = await loadOrCreateTls(options.tlsDir ?? join(PROJECT_ROOT, '.amplify', 'tls'));
    const context: ServiceContext = { dataDir, ports, credentials, tls };
    const outbox = new Outbox(join(dataDir, 'outbox.jsonl'));
    const deadLetters = new DeadLetterQueue(join(dataDir, 'dead-letters.jsonl'));

    const dynamodb = (await services.start(dynamoDbService(context, kind))).handle;
    const search = cloudSearch ? (await services.start(cloudSearchService(context, cloudSearch))).handle : undefined;
    const push = (await services.start(pushService(context, outbox))).handle;
    const auth = (
      await services.start(
        authService(context, authSettings, oauthSettingsOf(assembly), {
          outbox,
          log,
          // A trigger runs the current generation's code: an edit to it applies without a restart.
          trigger: (member, event) => {
            const id = runtime.current.auth.triggers[member];
            const fn = id === undefined ? undefined : runtime.current.functions.get(id);
            if (!fn) throw new Error(`the ${member} trigger's function ${id ?? ''} is not running`);
            return fn.invoke(event);
          },
        }),
      )
    ).handle;
    liveAuth = auth;
    const hostedUi = auth.hostedUi?.settings;
    // Provider secrets (secret('GOOGLE_CLIENT_ID'), ...) reach no provider locally, so an unset one does not stop the start.
    if (hostedUi && auth.oauthDomain)
      log(
        `hosted UI: https://${auth.oauthDomain}/oauth2/authorize with local stand-in sign-in pages for ${hostedUi.providers.map((p) => p.name).join(', ')}; their client ids and secrets are not used locally`,
      );
    // Deploy-time files (the model schema a function's data client reads) need S3 even without defineStorage.
    const storage =
      storageSettings || bucketDeploymentsOf(assembly).length > 0
        ? (
            await services.start(
              storageService(context, assembly, storageSettings?.buckets.map((b) => b.bucket_name) ?? [], {
                authorize: (accessKeyId, request) => authorize(accessKeyId, request),
                onObjectEvent: (event) => {
                  // The running generation's triggers and code, invoked as S3 invokes them: asynchronously.
                  const { notifications, functions } = runtime.current;
                  for (const spec of notifications.filter((n) => wants(n, event))) {
                    const fn = functions.get(spec.functionId);
                    if (fn) void invokeAsync(fn, s3Event(event, NAMES.region), `s3:${event.bucket}`, deadLetters);
                  }
                },
              }),
            )
          ).handle
        : undefined;
    const openSearch = openSearchArn
      ? (await services.start(openSearchService(context, openSearchArn))).handle
      : undefined;
    // The template's parameters, and the secrets the running functions read (set with `npm run local:secret`).
    const ssm = (
      await services.start(ssmService(context, () => new Map([...secrets.parameters(liveSecrets), ...liveParameters])))
    ).handle;
    const secretsManagerServer = (await services.start(secretsManagerService(context, secretsManager.engine))).handle;
    // Invokes the running generation's functions (one with no trigger, or one another function calls).
    const lambda = (
      await services.start(
        lambdaService(context, {
          functions: () => runtime.current.functions,
          specs: () => runtime.current.specs,
          invokeAsync: (fn, event) => void invokeAsync(fn, event, 'lambda:Invoke', deadLetters),
        }),
      )
    ).handle;

    // Queues and topics; deliveries to functions reach the running generation's.
    const sqs = (
      await services.start(sqsService({ ...context, ports: { ...ports, sqs: sqsPort } }, queuesOf(assembly)))
    ).handle;
    const functionOf = (id: string) => {
      try {
        return runtime.current.functions.get(id);
      } catch {
        return undefined;
      }
    };
    const sns = (
      await services.start(
        snsService(context, { topics: topicsOf(assembly), subscriptions: subscriptionsOf(assembly) }, (url) =>
          snsDeliverer({ url, queues: sqs.engine, functionOf, deadLetters, outbox: snsOutboxOf(dataDir) }),
        ),
      )
    ).handle;

    // Events are delivered as EventBridge delivers to Lambda: asynchronously, retried, then dead-lettered.
    const eventDeliveries: EventDelivery[] = [];
    const bridge = new LocalEventBridge({
      account: NAMES,
      config: () => liveBuses,
      deliver: ({ rule, target, payload, event }) => {
        const fn = runtime.current.functions.get(target.functionId);
        if (!fn) return;
        void invokeAsync(fn, payload, `events:${rule.bus}/${rule.name}`, deadLetters).then((outcome) => {
          eventDeliveries.push({ rule: rule.name, functionId: target.functionId, eventId: event.id, ...outcome });
          if (eventDeliveries.length > 100) eventDeliveries.shift();
        });
      },
    });
    const events = (await services.start(eventBridgeService(context, bridge))).handle;

    // The endpoints of the local services a function's SDK clients may call: those the template creates or the functions' policies name.
    const named = servicesNamedByFunctions(assembly);
    const endpoint = (used: boolean, url: string | undefined) => (used && url ? url : undefined);
    const endpoints = {
      DYNAMODB: endpoint(true, dynamodb.front),
      DYNAMODB_STREAMS: endpoint(true, dynamodb.front),
      CLOUDSEARCH_DOMAIN: endpoint(true, search?.url),
      PINPOINT: endpoint(named.has('mobiletargeting') || assembly.resources('AWS::Pinpoint::App').length > 0, push.url),
      SSM: endpoint(named.has('ssm') || liveParameters.size > 0, ssm.url),
      COGNITO_IDENTITY_PROVIDER: endpoint(named.has('cognito-idp'), auth.url),
      // GetId and GetCredentialsForIdentity need no IAM permission: any function may call an identity pool the template has.
      COGNITO_IDENTITY: endpoint(
        named.has('cognito-identity') || assembly.resources('AWS::Cognito::IdentityPool').length > 0,
        auth.url,
      ),
      S3: endpoint(true, storage?.url),
      SQS: endpoint(named.has('sqs') || assembly.resources('AWS::SQS::Queue').length > 0, sqs.url),
      SNS: endpoint(named.has('sns') || assembly.resources('AWS::SNS::Topic').length > 0, sns.url),
      LAMBDA: endpoint(functionsInvokeFunctions(assembly), lambda.url),
      SECRETS_MANAGER: endpoint(
        named.has('secretsmanager') || assembly.resources('AWS::SecretsManager::Secret').length > 0,
        secretsManagerServer.url,
      ),
      // Always running, so a bus or rule a hot reload adds is reachable without a restart.
      EVENTBRIDGE: endpoint(true, events.url),
    };
    const functionEnvironment: FunctionEnvironment = {
      region: NAMES.region,
      endpoints: Object.fromEntries(
        Object.entries(endpoints).flatMap(([name, url]) => (url === undefined ? [] : [[name, url]])),
      ),
      // Only read for functions that have CLOUDSEARCH_*_ENDPOINT variables, which start the service.
      searchEndpoint: search?.url ?? '',
      ...(openSearch ? { openSearchEndpoint: openSearch.url } : {}),
      caFile: tls.caFile,
      credentialsFor: (name, roleArn) => credentials.forFunction(name, roleArn),
    };
    // Scheduled functions are invoked as EventBridge invokes them: asynchronously, retried, then dead-lettered.
    const clock = options.clock ?? { now: () => Date.now() };
    const scheduledRuns: ScheduledRun[] = [];
    const scheduler = new Scheduler({
      clock: options.clock,
      account: NAMES,
      dispatch: (rule, functionId, event) => {
        const fn = runtime.current.functions.get(functionId);
        if (!fn) return;
        const at = new Date(clock.now()).toISOString();
        void invokeAsync(fn, event, `events:${rule.name}`, deadLetters).then((outcome) => {
          scheduledRuns.push({ rule: rule.name, functionId, at, ...outcome });
          if (scheduledRuns.length > 100) scheduledRuns.shift();
        });
      },
    });
    // Everything below that comes from the assembly is a generation: a hot reload builds the next one.
    const runtime = await services.start(
      new Generations(assembly, {
        dynamodb,
        environment: functionEnvironment,
        dataDir,
        deadLetters,
        secrets,
        // AppSync puts events with its data source's role.
        eventBridge: appSyncEventBridgeSource(
          bridge,
          (roleArn, action, resource) =>
            evaluate(livePolicies.get(roleArn) ?? [], { action, resource, context: {} }) === 'Allow',
        ),
        onLive: (live, policies, generation) => {
          livePolicies = policies;
          liveParameters = ssmParametersOf(live);
          liveBuses = eventBusesOf(live, NAMES);
          liveSecrets = generation.secretReferences;
          // Looked up at run time, so a secret nobody set does not stop the start: it is named once.
          const unset = secretsManager.apply(live, policies).join(', ');
          if (unset && unset !== unsetSecrets)
            log(`Secrets Manager: not set locally (set each with \`${setCommand('<name>')}\`): ${unset}`);
          unsetSecrets = unset;
          if (generation.schedules) scheduler.update(generation.schedules);
          sqs.engine.setQueues(queuesOf(live));
          sns.engine.setTopics(topicsOf(live), subscriptionsOf(live));
        },
      }),
    );
    // Registered after the functions, so that they stop before them.
    await services.start(
      serviceOf('schedules', async () => scheduler, { stop: async (s) => s.stop(), info: () => ({}) }),
    );
    const queueMappings = (
      await services.start(
        serviceOf(
          'queue-mappings',
          async () => {
            const mappings = new QueueMappings(sqs.engine, functionOf, NAMES.region, (definition) => {
              const keyId = runtime.current.specs.get(definition.functionId)?.credentials.accessKeyId ?? '';
              const denied = CONSUME_ACTIONS.filter(
                (action) => authorize(keyId, { action, resource: definition.queueArn }) !== 'Allow',
              );
              return denied.length === 0
                ? undefined
                : `the role of ${definition.functionId} does not allow ${denied.join(', ')} on ${definition.queueArn}; Lambda would not poll the queue`;
            });
            await mappings.update(queueMappingsOf(runtime.current.assembly));
            return mappings;
          },
          { stop: (m) => m.stop(), info: () => ({}) },
        ),
      )
    ).handle;
    const runtimes = [...runtime.current.functions.values()].map(
      ({ node }) => `${node.runtime} on Node ${node.version} (${node.path})`,
    );
    for (const line of new Set(runtimes)) log(`functions: ${line}`);
    const graphql = (
      await services.start(
        graphqlService(
          { ...context, ports: { ...context.ports, graphql: graphqlPort } },
          () => runtime.current.api,
          auth,
        ),
      )
    ).handle;
    const rest = (
      await services.start(restService(context, () => restApisFor(runtime.current.assembly), runtime, auth))
    ).handle;

    // 4. The outputs, and hot reload.
    const outputsFile =
      options.outputsFile === undefined ? join(projectDir, 'amplify_outputs.json') : options.outputsFile;
    const writeOutputs = async (generation: Generation): Promise<Record<string, unknown>> => {
      const generated = localOutputs(await assemblyClientConfig(generation.assembly), {
        graphqlUrl: graphql.url,
        userPoolEndpoint: auth.url,
        identityPool: authSettings.identityPool !== undefined,
        storageEndpoint: storageOutputsOf(generation.assembly) ? storage?.endpoint : undefined,
        caFile: tls.caFile,
        outbox: join(dataDir, 'outbox.jsonl'),
        adminCredentialsFile,
        oidcIssuer: auth.oidc?.localUrl,
        sqsEndpoint: sqs.url,
        snsEndpoint: sns.url,
        snsOutbox: snsOutboxOf(dataDir),
        oauthDomain: auth.oauthDomain,
      });
      // custom.API.<name>.endpoint: the local REST server instead of execute-api.
      const outputs = pointAtLocalRest(generated, restApisFor(generation.assembly), rest.endpointOf);
      if (outputsFile) writeFileSync(outputsFile, `${JSON.stringify(outputs, null, 2)}\n`);
      return outputs;
    };
    let outputs = await writeOutputs(runtime.current);

    const localConsole = (
      await services.start(
        consoleService(context, {
          region: NAMES.region,
          admin: () => credentials.admin,
          userPool: { url: auth.url, id: NAMES.userPoolId, pool: auth.pool },
          dynamodb: { url: dynamodb.front, client: dynamodb.db.client },
          outputs: () => outputs,
          tables: () => tableSpecs(runtime.current.assembly),
          tableWriter: (table) => runtime.current.api.tableWriter(table),
          functions: () => runtime.current.functions,
          mappings: () => new Map(mappingSpecsOf(runtime.current.assembly).map((m) => [m.id, m])),
          storage: storage && {
            url: storage.url,
            caFile: tls.caFile,
            buckets: () => storageOutputsOf(runtime.current.assembly)?.buckets.map((b) => b.bucket_name) ?? [],
          },
          graphql: { url: graphql.url, realtimeUrl: graphql.realtimeUrl, caFile: tls.caFile },
          outbox,
          deadLetters,
          search,
          openSearch,
          requestLog,
        }),
      )
    ).handle;

    let applying = Promise.resolve();
    const apply: LocalBackend['apply'] = (nextDir) => {
      const run = async () => {
        const started = performance.now();
        const previous = runtime.current;
        const nextAssembly = new CloudAssembly(nextDir, names);
        assertSupported(nextAssembly);
        const next = await runtime.build(nextAssembly);
        await runtime.activate(next);
        await queueMappings.update(queueMappingsOf(next.assembly));
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
        // Callback and logout URLs, scopes and attribute mappings apply to the next authorize request.
        const nextOAuth = oauthSettingsOf(next.assembly);
        if (auth.hostedUi && nextOAuth) auth.hostedUi.settings = nextOAuth;
        if (restartOnlySettings(next) !== restartOnlySettings(previous))
          warnings.push(
            'the identity pool, the post-confirmation trigger, the hosted UI or the set of buckets changed; restart `npm start` to apply them',
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

    const reloader = options.watch
      ? (
          await services.start(
            serviceOf(
              'watch',
              async () => {
                const watcher = new HotReloader({
                  projectDir,
                  apply: (dir) => apply(dir),
                  bundleInputs: () => new Set([...runtime.current.specs.values()].flatMap((spec) => spec.inputs)),
                  log,
                });
                await watcher.start();
                return watcher;
              },
              { stop: (watcher) => watcher.close(), info: () => ({}) },
            ),
          )
        ).handle
      : undefined;

    const dispose = () => services.stopAll();
    return {
      get outputs() {
        return outputs;
      },
      urls: {
        graphql: graphql.url,
        realtime: graphql.realtimeUrl,
        userPool: auth.url,
        search: search?.url,
        push: push.url,
        dynamodb: dynamodb.front,
        console: localConsole.url,
        rest: rest.url,
      },
      console: localConsole,
      services: services.info(),
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
      buckets: bucketNamesOf(assembly),
      apply,
      hotReload: reloader,
      drainStreams: (timeoutMs = 30_000) => runtime.drainStreams(timeoutMs),
      scheduledRules: () => scheduler.list(),
      invokeScheduled: async (ruleName) => {
        const rule = scheduler.find(ruleName);
        if (!rule)
          throw new Error(
            `no scheduled rule or schedule ${ruleName}; there are: ${
              scheduler
                .list()
                .map((r) => r.name)
                .join(', ') || 'none'
            }`,
          );
        const results: Array<{ functionId: string; result: unknown }> = [];
        for (const target of rule.targets) {
          const fn = runtime.current.functions.get(target.functionId);
          if (!fn) throw new Error(`${rule.name}: its function ${target.functionId} is not running`);
          results.push({
            functionId: target.functionId,
            // EventBridge invokes asynchronously: a throttled event waits for a free environment.
            result: await fn.invoke(scheduledEvent(rule, target, clock.now(), NAMES), { whenThrottled: 'wait' }),
          });
        }
        return results;
      },
      scheduledRuns,
      eventDeliveries,
      dispose,
      [Symbol.asyncDispose]: dispose,
    };
  } catch (error) {
    await services.stopAll();
    throw error;
  }
};

/** The cloud assembly to run: the given one, or the project's synthesis (reused while amplify/ is unchanged). */
const assemblyDirOf = async (
  options: LocalBackendOptions,
  projectDir: string,
  log: (message: string) => void,
): Promise<string> => {
  if (options.assemblyDir) return options.assemblyDir;
  log('synthesizing amplify/ ...');
  const outDir = join(projectDir, '.amplify', 'synth', 'local');
  const { cached, ms } = await synthesizeCached({ type: 'sandbox', outDir, quiet: true, projectDir });
  log(cached ? 'synthesis unchanged, reusing it' : `synthesized in ${(ms / 1000).toFixed(1)} s`);
  return outDir;
};

/** What a running backend keeps until it restarts: the identity pool, the trigger's presence, the bucket set. */
const restartOnlySettings = ({ auth, assembly }: Generation): string => {
  const buckets = storageOutputsOf(assembly)?.buckets.map((b) => b.bucket_name) ?? [];
  // A hosted UI added or removed changes the port's protocols: a restart applies it.
  const hostedUi = oauthSettingsOf(assembly) !== undefined;
  return JSON.stringify({
    identityPool: auth.identityPool,
    triggers: Object.keys(auth.triggers).sort(),
    preTokenVersion: auth.preTokenVersion,
    customAttributes: auth.customAttributes,
    buckets,
    hostedUi,
  });
};
