/**
 * Runs the whole backend on this machine, offline, and writes
 * amplify_outputs.json for it. `npm start -- --help` lists the flags.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLocalBackend, type DynamoDbKind } from '../src/local/backend';
import { PROJECT_ROOT } from '../src/local/cloud/synth';
import { formatRequest, requestLog } from '../src/local/http/request-log';
import {
  DEFAULT_PORTS,
  type LocalService,
  portFlag,
  resolvePorts,
  SERVICE_DESCRIPTIONS,
  SERVICES,
} from '../src/local/ports';
import { applySeed, readSeed, SEED_MARKER, type Seed } from '../src/local/seed';
import { exportState, importState, markRunning } from '../src/local/state';

/** One flag of the help text: its description in the second column, or on the next line when the flag is too long for the first. */
const helpLine = (flag: string, description: string): string =>
  flag.length < 24 ? `  ${flag.padEnd(24)}${description}` : `  ${flag}\n${' '.repeat(26)}${description}`;

const HELP = `Usage: npm start -- [flags]

Runs the whole backend locally, offline, from what amplify/ synthesizes, and
writes amplify_outputs.json that points at it. Ctrl-C stops it; data stays.

Flags:
  --reset                 start with empty data (users, tables, files, search index)
  --data-dir <dir>        where data persists (default: .amplify/local)
  --outputs <file>        where to write amplify_outputs.json (default: ./amplify_outputs.json)
  --no-watch              do not apply edits saved under amplify/ while it runs
  --verbose               print one line per request (refused and unimplemented ones always print)
  --dynamodb <kind>       embedded (default, in-process) or local (DynamoDB Local, needs Java 17);
                          also LOCAL_DYNAMODB=<kind>
  --seed <file>           seed users, records and files from a JSON file into an empty data folder
                          (once: a data folder already seeded or holding data is left as it is)
  --import <path>         start from an export (npm run local:export), replacing the data folder
  --export-on-exit <path> on Ctrl-C, export the whole state to <path> (a .tgz or a new folder)
  --run-schedule <name>   once started, run this scheduled rule or schedule now (its name or
                          logical ID; may be repeated); scheduled functions also run on their schedule
${SERVICES.map((s) => helpLine(`${portFlag(s)} <port>`, `${SERVICE_DESCRIPTIONS[s]} (default ${DEFAULT_PORTS[s]})`)).join('\n')}
  -h, --help              print this and exit

Ports can also be set in package.json: "amplifyLocal": { "ports": { "graphql": 20002 } },
and a seed file as "amplifyLocal": { "seed": "seed.json" }. Flags win over package.json;
port 0 picks a free port (the outputs then change on every start).
`;

/** A key of package.json's `amplifyLocal`. */
const readLocalConfig = (key: string): unknown => {
  const pkg: unknown = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8'));
  if (typeof pkg !== 'object' || pkg === null || !('amplifyLocal' in pkg)) return undefined;
  const local = pkg.amplifyLocal;
  return typeof local === 'object' && local !== null && key in local ? Reflect.get(local, key) : undefined;
};

/** One key of a JSON object, or undefined. */
const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null && key in value ? Reflect.get(value, key) : undefined;

const dynamoDbKind = (value: string | undefined): DynamoDbKind | undefined => {
  if (value === undefined || value === 'embedded' || value === 'local') return value;
  throw new Error(`--dynamodb: "${value}" is not a store; use "embedded" (the default) or "local"`);
};

const main = async (): Promise<void> => {
  const portOptions = Object.fromEntries(SERVICES.map((s) => [`${s}-port`, { type: 'string' as const }]));
  const { values } = parseArgs({
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      reset: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      outputs: { type: 'string' },
      'no-watch': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      dynamodb: { type: 'string' },
      seed: { type: 'string' },
      import: { type: 'string' },
      'export-on-exit': { type: 'string' },
      'run-schedule': { type: 'string', multiple: true },
      ...portOptions,
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const flags: Partial<Record<LocalService, string>> = {};
  const given: Record<string, unknown> = values;
  for (const service of SERVICES) {
    const value = given[`${service}-port`];
    if (typeof value === 'string') flags[service] = value;
  }
  const ports = resolvePorts(readLocalConfig('ports'), flags);
  const dataDir = resolve(
    typeof values['data-dir'] === 'string' ? values['data-dir'] : join(PROJECT_ROOT, '.amplify', 'local'),
  );
  // A bad seed file stops the start before anything runs, naming the entry.
  const configuredSeed = readLocalConfig('seed');
  const seedFile =
    typeof values.seed === 'string'
      ? resolve(values.seed)
      : typeof configuredSeed === 'string'
        ? resolve(PROJECT_ROOT, configuredSeed)
        : undefined;
  const seed: Seed | undefined = seedFile ? readSeed(seedFile) : undefined;
  const exportOnExit = typeof values['export-on-exit'] === 'string' ? resolve(values['export-on-exit']) : undefined;
  if (typeof values.import === 'string') {
    const imported = importState(values.import, dataDir, { replace: true });
    console.log(`  imported ${values.import} into ${imported.target} (${imported.files} files)`);
  }
  const fresh = values.reset === true || !existsSync(dataDir) || readdirSync(dataDir).length === 0;
  const released = markRunning(dataDir);
  // Node below 22 makes each copy of the AWS SDK warn (9 lines, once per copy); Lambda runs nodejs22.x.
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  if (nodeMajor < 22 && process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === undefined) {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    console.log(
      `  Node ${process.versions.node}: the AWS SDK's Node-version warning is off (functions run on Node 22 in the cloud)`,
    );
  }
  const verbose = values.verbose === true;
  requestLog.subscribe((event) => {
    if (verbose || event.notable) console.log(`  ${formatRequest(event)}`);
  });
  const started = performance.now();
  const backend = await createLocalBackend({
    reset: values.reset === true,
    dataDir,
    outputsFile: typeof values.outputs === 'string' ? values.outputs : undefined,
    log: (message) => console.log(`  ${message}`),
    watch: values['no-watch'] !== true,
    dynamodb: dynamoDbKind(typeof values.dynamodb === 'string' ? values.dynamodb : undefined),
    ports,
  });
  if (seed && seedFile) {
    const marker = join(backend.dataDir, SEED_MARKER);
    if (existsSync(marker)) console.log(`  seed: ${seedFile} was applied before; data kept`);
    else if (!fresh) console.log(`  seed: not applied, ${backend.dataDir} already holds data (--reset seeds it again)`);
    else {
      const report = await applySeed(backend, seed);
      writeFileSync(marker, `${JSON.stringify({ seed: seedFile, at: new Date().toISOString(), ...report })}\n`);
      console.log(`  seeded from ${seedFile}: ${report.users} users, ${report.records} records, ${report.files} files`);
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const local = field(backend.outputs.custom, 'local');
  console.log(`\nLocal backend ready in ${seconds} s (data in ${backend.dataDir})`);
  console.log(`  Console    ${backend.console.loginUrl()}`);
  console.log(`  GraphQL    ${backend.urls.graphql}`);
  console.log(`  Realtime   ${backend.urls.realtime}`);
  console.log(`  User pool  ${backend.urls.userPool}`);
  if (field(local, 'identity_pool_endpoint'))
    console.log(`  Identities ${String(field(local, 'identity_pool_endpoint'))}`);
  if (field(local, 'storage_endpoint')) console.log(`  Storage    https://${String(field(local, 'storage_endpoint'))}`);
  console.log(`  DynamoDB   ${backend.urls.dynamodb}`);
  if (backend.urls.search) console.log(`  Search     ${backend.urls.search}`);
  console.log(`  Push       ${backend.urls.push}`);
  if (backend.services.ssm?.url) console.log(`  SSM        ${backend.services.ssm.url}`);
  if (backend.services.opensearch?.url) console.log(`  OpenSearch ${backend.services.opensearch.url}`);
  if (backend.services.sqs?.url) console.log(`  SQS        ${backend.services.sqs.url}`);
  if (backend.services.sns?.url)
    console.log(
      `  SNS        ${backend.services.sns.url} (email, SMS, http(s) deliveries: ${backend.dataDir}/sns-outbox.jsonl)`,
    );
  console.log(`  Outputs    ${values.outputs ?? 'amplify_outputs.json'} (trust ${backend.caFile} for TLS)`);
  console.log(`  Outbox     ${backend.dataDir}/outbox.jsonl (verification codes and pushes)`);
  console.log(
    `  Codes      ${backend.urls.userPool}/_local/codes (Authorization: Bearer <secretAccessKey of ${backend.adminCredentialsFile}>)`,
  );
  if (backend.hotReload) console.log('Edits saved under amplify/ apply while it runs (see README: hot reload).');
  for (const rule of backend.scheduledRules())
    console.log(
      `Scheduled: ${rule.name} ${rule.schedule.expression}${rule.enabled ? '' : ' (disabled)'} -> ${rule.targets.map((t) => t.functionId).join(', ')}`,
    );
  for (const name of values['run-schedule'] ?? []) {
    try {
      const results = await backend.invokeScheduled(name);
      for (const { functionId, result } of results) console.log(`${name} -> ${functionId}: ${JSON.stringify(result)}`);
    } catch (error) {
      console.error(
        `--run-schedule ${name}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      );
    }
  }
  console.log('Press Ctrl-C to stop.');
  // The console's UI bundle, built once ready (a few seconds, cached under .amplify/console), so its first load is quick.
  backend.console.bundle.get().catch((error: unknown) => {
    console.warn(`the console's page could not be built: ${error instanceof Error ? error.message : String(error)}`);
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping ...`);
    await backend.dispose();
    released();
    if (exportOnExit) {
      const exported = exportState(backend.dataDir, exportOnExit);
      console.log(`exported the state into ${exported.target} (${exported.files} files)`);
    }
    console.log('stopped; data kept.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
};

main().catch((error: unknown) => {
  if (error instanceof Error && 'code' in error && error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    console.error(`${error.message}. \`npm start -- --help\` lists the flags.`);
    process.exit(2);
  }
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
