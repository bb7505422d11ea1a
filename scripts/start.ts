/**
 * Runs the whole backend on this machine, offline, and writes
 * amplify_outputs.json for it.
 *
 *   npm start                 # keep data in .amplify/local
 *   npm start -- --reset      # start empty
 *   npm start -- --no-watch   # do not apply edits under amplify/ while running
 *   npm start -- --dynamodb=local   # DynamoDB Local (Java 17) instead of the embedded store
 *   npm start -- --add-to-group ada@example.com Admins   (while it runs: see README)
 */
import { parseArgs } from 'node:util';
import { createLocalBackend, type DynamoDbKind } from '../src/local/backend';

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      reset: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      'no-watch': { type: 'boolean', default: false },
      dynamodb: { type: 'string' },
    },
  });
  const started = performance.now();
  const backend = await createLocalBackend({
    reset: values.reset,
    dataDir: values['data-dir'],
    log: (message) => console.log(`  ${message}`),
    watch: !values['no-watch'],
    dynamodb: values.dynamodb as DynamoDbKind | undefined,
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`\nLocal backend ready in ${seconds} s (data in ${backend.dataDir})`);
  console.log(`  GraphQL   ${backend.urls.graphql}`);
  console.log(`  Realtime  ${backend.urls.realtime}`);
  console.log(`  User pool ${backend.urls.userPool}`);
  console.log(`  Search    ${backend.urls.search}`);
  console.log(`  Push      ${backend.urls.push}`);
  console.log(`  Outputs   amplify_outputs.json (trust ${backend.caFile} for TLS)`);
  console.log(`  Outbox    ${backend.dataDir}/outbox.jsonl (verification codes and pushes)`);
  if (backend.hotReload) console.log('Edits saved under amplify/ apply while it runs (see README: hot reload).');
  console.log('Press Ctrl-C to stop.');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping ...`);
    await backend.dispose();
    console.log('stopped; data kept.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
