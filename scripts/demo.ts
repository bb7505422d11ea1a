/**
 * The demo web app (src/demo): builds it and serves it on 127.0.0.1.
 * `npm run demo` runs it against the local backend's amplify_outputs.json
 * (start `npm start` first); `npm run demo -- --outputs <file>` against any
 * outputs, a deployed backend's too.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildDemo, DEMO_PORT, serveDemo } from '../src/demo/server';
import { PROJECT_ROOT } from '../src/local/cloud/synth';

const HELP = `Usage: npm run demo -- [flags]

Builds the demo web app (src/demo: notes with photos, live updates, search,
messages, TOTP, account settings) and serves it on http://127.0.0.1:<port>/.

Flags:
  --outputs <file>   amplify_outputs.json to run against (default: ./amplify_outputs.json,
                     which npm start writes; or one that ampx wrote for a deployed backend)
  --port <port>      the page's port (default ${DEMO_PORT})
  -h, --help         print this and exit
`;

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      outputs: { type: 'string' },
      port: { type: 'string' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const outputsFile = resolve(values.outputs ?? resolve(PROJECT_ROOT, 'amplify_outputs.json'));
  if (!existsSync(outputsFile))
    throw new Error(`${outputsFile} does not exist: run \`npm start\` first, or pass --outputs <file>`);
  const port = values.port === undefined ? DEMO_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: "${values.port}" is not a port`);
  console.log('building the demo app ...');
  const bundle = await buildDemo();
  const demo = await serveDemo({ outputsFile, port, bundle }).catch((error: unknown) => {
    if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE')
      throw new Error(`port ${port} is in use: choose another with --port <port>`);
    throw error;
  });
  console.log(`Demo app on ${demo.url} (outputs: ${outputsFile})`);
  console.log('Locally, trust .amplify/tls/ca.pem in the browser first (README: trust the local CA).');
  console.log('Press Ctrl-C to stop.');
  const stop = () => void demo.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
};

main().catch((error: unknown) => {
  if (error instanceof Error && 'code' in error && error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    console.error(`${error.message}. \`npm run demo -- --help\` lists the flags.`);
    process.exit(2);
  }
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
