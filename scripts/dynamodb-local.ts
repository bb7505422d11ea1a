/**
 * Runs just the embedded DynamoDB on a loopback port, for any DynamoDB
 * client or conformance suite to talk to:
 *
 *   npm run local:dynamodb -- --port 8000              (data in memory)
 *   npm run local:dynamodb -- --port 8000 --db-path d  (journaled to d/embedded)
 *
 * Callers sign with SigV4 as DynamoDB wants, with the local admin key: it
 * is kept (mode 0600) in `<db-path>/admin-credentials.json`, or in
 * `.amplify/local-dynamodb/` for an in-memory store, and the start prints
 * how to use it. A request signed with any other key is refused with
 * DynamoDB's own error. Stops on SIGINT/SIGTERM.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../src/local/cloud/synth';
import { dynamoDbGuard } from '../src/local/dynamodb/access';
import { startEmbeddedDynamoDb } from '../src/local/dynamodb/embedded';
import { LocalCredentials } from '../src/local/iam/credentials';

const NAMES = { accountId: '000000000000', region: 'us-east-1' };

const USAGE = 'usage: npm run local:dynamodb -- [--port <port>] [--db-path <dir>]';

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, 'db-path': { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number. ${USAGE}`);
  const dbPath = values['db-path'] === undefined ? undefined : resolve(values['db-path']);
  const file = join(dbPath ?? join(PROJECT_ROOT, '.amplify', 'local-dynamodb'), 'admin-credentials.json');
  const credentials = new LocalCredentials({ file, ...NAMES, policies: () => new Map() });
  const admin = credentials.admin;
  const db = await startEmbeddedDynamoDb({
    port,
    ...(dbPath && { dbPath }),
    guard: dynamoDbGuard(credentials, NAMES),
    credentials: admin,
  });
  console.log(`embedded DynamoDB listening on ${db.endpoint}${dbPath ? ` (data in ${dbPath})` : ' (in memory)'}`);
  console.log(
    `sign with the key in ${file}, e.g. AWS_ACCESS_KEY_ID=${admin.accessKeyId} AWS_SECRET_ACCESS_KEY=$(node -p "require('${file}').secretAccessKey") AWS_REGION=${NAMES.region}`,
  );
  const stop = (): void => {
    void db.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
