import { join } from 'node:path';
import { createLocalBackend } from '../local/backend';

/**
 * The local backend in a process of its own, for tests that kill it:
 * `node --import tsx src/test/backend-process.ts <dataDir> <tlsDir> [reset]`.
 * Prints one `READY {...}` line with its endpoints and the admin credential;
 * SIGTERM stops it cleanly.
 */
const [dataDir, tlsDir, reset] = process.argv.slice(2);
if (!dataDir || !tlsDir) throw new Error('usage: backend-process.ts <dataDir> <tlsDir> [reset]');

const backend = await createLocalBackend({
  dataDir,
  tlsDir,
  reset: reset === 'reset',
  outputsFile: join(dataDir, 'amplify_outputs.json'),
});
process.stdout.write(
  `READY ${JSON.stringify({ urls: backend.urls, admin: backend.adminCredentials, outputs: join(dataDir, 'amplify_outputs.json') })}\n`,
);
process.once('SIGTERM', () => {
  void backend.dispose().then(() => process.exit(0));
});
