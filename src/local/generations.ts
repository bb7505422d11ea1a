import { join } from 'node:path';
import type { CloudAssembly } from './cloud/assembly';
import { createMissingIndexes, createTables, tableSpecs } from './dynamodb/tables';
import type { EventBridgeSource } from './events/appsync-source';
import { type ScheduledRule, scheduledRulesOf } from './events/scheduler';
import { LocalFunction } from './functions/runner';
import { type FunctionEnvironment, functionSpecsOf, type LocalFunctionSpec } from './functions/specs';
import { LocalGraphqlApi } from './graphql/api';
import { rolePolicies } from './iam/roles';
import type { RunningDynamoDb } from './services/dynamodb';
import type { LocalService, ServiceInfo } from './services/registry';
import { type AuthSettings, authSettingsOf } from './settings/auth';
import { usedFunctionIds } from './settings/functions';
import { mappingSpecsOf } from './settings/mappings';
import { NAMES } from './settings/names';
import { type LocalSecrets, type SecretReference, secretReferencesOf } from './ssm/secrets';
import { type NotificationSpec, notificationSpecsOf } from './storage/notifications';
import { type DeadLetterQueue, StreamMapping } from './streams';

/** What the assembly defines for one generation of the running backend. */
export interface Generation {
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
  /** The secrets its functions read, all set when it was built. */
  secretReferences: SecretReference[];
  /** Its scheduled rules and schedules. */
  schedules: ScheduledRule[];
}

export interface GenerationsOptions {
  dynamodb: RunningDynamoDb;
  environment: FunctionEnvironment;
  dataDir: string;
  deadLetters: DeadLetterQueue;
  /** The local secrets (`npm run local:secret`); a generation whose functions read one that is not set does not build. */
  secrets: LocalSecrets;
  /** What AppSync's AMAZON_EVENTBRIDGE data sources put events with. */
  eventBridge?: EventBridgeSource;
  /**
   * Called with a generation's policies before its functions start (the first
   * one: their init phase reads SSM with their roles) and when one is activated.
   */
  onLive(
    assembly: CloudAssembly,
    policies: ReturnType<typeof rolePolicies>,
    live: { secretReferences: SecretReference[]; schedules?: ScheduledRule[] },
  ): void;
}

/**
 * Everything that a hot reload replaces: the functions, tables and indexes,
 * the API and the stream mappings of one assembly. As a service it runs the
 * first generation; `build` and `activate` swap in the next.
 */
export class Generations implements LocalService {
  readonly name = 'functions';
  #current: Generation | undefined;

  constructor(
    private readonly first: CloudAssembly,
    private readonly options: GenerationsOptions,
  ) {}

  /** The running generation. */
  get current(): Generation {
    if (!this.#current) throw new Error('the local functions have not started');
    return this.#current;
  }

  async start(): Promise<void> {
    await this.activate(await this.build(this.first));
  }

  async stop(): Promise<void> {
    const running = this.#current;
    this.#current = undefined;
    if (!running) return;
    for (const { mapping } of running.mappings.values()) await mapping.stop();
    for (const fn of running.functions.values()) await fn.stop();
  }

  info(): ServiceInfo {
    return {};
  }

  /** Builds a generation; on failure it stops what it started and the running one stays. */
  async build(next: CloudAssembly): Promise<Generation> {
    const previous = this.#current;
    const policies = rolePolicies(next);
    const specs = functionSpecsOf(next, usedFunctionIds(next), this.options.environment, previous?.specs);
    // As ampx stops a deployment whose functions read a secret that is not set.
    const secretReferences = [...specs.values()].flatMap((spec) => secretReferencesOf(spec.name, spec.env));
    this.options.secrets.assertSet(secretReferences);
    const schedules = scheduledRulesOf(next, NAMES);
    // The first generation's functions resolve SSM references (and secrets) in their init phase, with their roles:
    // those policies apply before the functions start. A reload's apply when it is activated.
    if (!previous) this.options.onLive(next, policies, { secretReferences });
    const functions = new Map<string, LocalFunction>();
    const created: LocalFunction[] = [];
    try {
      for (const [logicalId, spec] of specs) {
        const kept = previous?.specs.get(logicalId)?.key === spec.key ? previous.functions.get(logicalId) : undefined;
        const fn = kept ?? new LocalFunction(spec);
        if (!kept) created.push(fn);
        functions.set(logicalId, fn);
      }
      const { client, wire } = this.options.dynamodb.db;
      const tables = tableSpecs(next);
      await createTables(client, tables);
      await createMissingIndexes(client, tables);
      return {
        assembly: next,
        specs,
        functions,
        api: new LocalGraphqlApi(next, wire, functions, this.options.eventBridge),
        policies,
        notifications: notificationSpecsOf(next),
        mappings: new Map(),
        auth: authSettingsOf(next),
        secretReferences,
        schedules,
      };
    } catch (error) {
      for (const fn of created) await fn.stop();
      throw error;
    }
  }

  /** Makes a built generation the running one: stream mappings follow, replaced functions stop. */
  async activate(next: Generation): Promise<void> {
    const previous = this.#current;
    const { db, front } = this.options.dynamodb;
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
        db.client,
        front,
        NAMES.region,
        join(this.options.dataDir, 'streams', `${spec.id}.json`),
        this.options.deadLetters.add,
        // As Lambda's event source mapping does, the stream is read with the function's role.
        next.specs.get(spec.functionId)?.credentials,
      );
      mapping.start();
      next.mappings.set(spec.id, { key, mapping });
    }
    this.#current = next;
    this.options.onLive(next.assembly, next.policies, next);
    if (!previous) return;
    for (const [id, { mapping }] of previous.mappings)
      if (next.mappings.get(id)?.mapping !== mapping) await mapping.stop();
    const live = new Set(next.functions.values());
    for (const fn of previous.functions.values()) if (!live.has(fn)) await fn.stop();
  }

  /** Resolves when every stream record written so far has been delivered to its function. */
  async drainStreams(timeoutMs: number): Promise<void> {
    // Written records reach the stream at once; wait until no mapping holds or reads any for a while.
    const deadline = Date.now() + timeoutMs;
    let settled = 0;
    let last = -1;
    while (Date.now() < deadline && settled < 3) {
      await new Promise((r) => setTimeout(r, 200));
      const mappings = [...(this.#current?.mappings.values() ?? [])].map(({ mapping }) => mapping);
      const total = mappings.reduce((n, m) => n + m.processed, 0);
      const pending = mappings.reduce((n, m) => n + m.pendingRecords, 0);
      settled = total === last && pending === 0 ? settled + 1 : 0;
      last = total;
    }
  }
}

/**
 * An asynchronous invocation, as Lambda runs one for S3 and other event
 * sources: the caller does not wait, a failure is retried twice (after 1 s and
 * 2 s here; Lambda waits about 1 and 2 minutes), then the event is kept as a
 * dead letter.
 */
export const invokeAsync = async (
  fn: LocalFunction,
  event: unknown,
  source: string,
  deadLetters: DeadLetterQueue,
): Promise<{ ok: boolean; result?: unknown }> => {
  let reason = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, attempt * 1000));
    try {
      return { ok: true, result: await fn.invoke(event, { whenThrottled: 'wait' }) };
    } catch (error) {
      // A function stopped by a reload or shutdown is not retried: its event ends with it, as on a redeploy.
      if (error instanceof Error && error.name === 'Stopped') return { ok: false };
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
  return { ok: false, result: reason };
};
