/**
 * Runs just the embedded DynamoDB on a loopback port, for any DynamoDB
 * client or conformance suite to talk to:
 *
 *   npm run local:dynamodb -- --port 8000              (data in memory)
 *   npm run local:dynamodb -- --port 8000 --db-path d  (journaled to d/embedded)
 *
 * No guard: any SigV4 credentials are accepted, as DynamoDB Local does.
 * Stops on SIGINT/SIGTERM.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmbeddedDynamoDb } from '../src/local/dynamodb/embedded';

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
  const db = await startEmbeddedDynamoDb({ port, ...(dbPath && { dbPath }) });
  console.log(`embedded DynamoDB listening on ${db.endpoint}${dbPath ? ` (data in ${dbPath})` : ' (in memory)'}`);
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
