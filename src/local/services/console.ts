import { join } from 'node:path';
import { PROJECT_ROOT } from '../cloud/synth';
import { startLocalConsole } from '../console/server';
import { type ConsoleBackendView, consoleSources } from '../console/sources';
import type { ServiceContext } from './context';
import { serviceOf } from './registry';

/** The local console: its page and API over the other services (started after them). */
export const consoleService = (context: ServiceContext, view: ConsoleBackendView) =>
  serviceOf(
    'console',
    () =>
      startLocalConsole({
        port: context.ports.console,
        // The UI bundle is the same for every data folder and project: one cache beside the TLS files.
        cacheDir: join(PROJECT_ROOT, '.amplify', 'console'),
        sources: consoleSources(view),
      }),
    { stop: (running) => running.close(), info: ({ url }) => ({ url }) },
  );
