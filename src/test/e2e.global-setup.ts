import { resolve } from 'node:path';
import { loadOrCreateTls } from '../local/tls';

export const TEST_TLS_DIR = resolve('.amplify/test-tls');

/**
 * The e2e tests talk to the local backend over TLS the way an app does: the
 * test processes trust the local CA through NODE_EXTRA_CA_CERTS, which Node
 * reads at start, so it is set here, before vitest forks them.
 */
export default async function setup(): Promise<void> {
  const tls = await loadOrCreateTls(TEST_TLS_DIR);
  process.env.NODE_EXTRA_CA_CERTS = tls.caFile;
}
