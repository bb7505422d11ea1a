/**
 * Exports or imports the whole local state (the data folder: users, tables,
 * files, search index, outbox, stream positions), with the backend stopped.
 *
 *   npm run local:export -- out.tgz            # or a folder: npm run local:export -- ./snapshot
 *   npm run local:import -- out.tgz            # into an empty data folder
 *   npm run local:import -- out.tgz --replace  # replaces what the data folder holds
 *
 * `--data-dir <dir>` picks the data folder (default .amplify/local, as npm start).
 * `npm start -- --import <path>` and `--export-on-exit <path>` do the same around a run.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../src/local/cloud/synth';
import { exportState, importState, StateError } from '../src/local/state';

const USAGE = `Usage:
  npm run local:export -- <file.tgz | folder> [--data-dir <dir>]
  npm run local:import -- <file.tgz | folder> [--data-dir <dir>] [--replace]`;

const main = (): void => {
  const { values, positionals } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      replace: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const [command, path, ...extra] = positionals;
  if (values.help || !path || extra.length > 0 || (command !== 'export' && command !== 'import')) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const dataDir = values['data-dir'] ?? join(PROJECT_ROOT, '.amplify', 'local');
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  if (command === 'export') {
    const report = exportState(dataDir, path);
    console.log(`exported ${dataDir} into ${report.target}: ${report.files} files, ${mib(report.bytes)} MiB`);
  } else {
    const report = importState(path, dataDir, { replace: values.replace === true });
    console.log(`imported ${path} into ${report.target}: ${report.files} files, ${mib(report.bytes)} MiB`);
  }
};

try {
  main();
} catch (error) {
  if (error instanceof StateError || (error instanceof Error && 'code' in error)) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
