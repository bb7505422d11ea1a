/**
 * Invokes a function of the running local backend (`npm start`) with an
 * event, as the Lambda console's Test button does, through the local
 * console's API:
 *
 *   npm run local:invoke -- <function> [--event file.json | --event -] [--data-dir dir] [--console-port port]
 *
 * The result goes to stdout as JSON, the function's logs to stderr; the exit
 * code is 1 if the function failed. `<function>` is its name or logical ID
 * (`npm run local:invoke -- --list` lists them).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../src/local/cloud/synth';
import { resolvePorts } from '../src/local/ports';

const USAGE = `Usage: npm run local:invoke -- <function> [--event <file.json> | --event -] [--data-dir <dir>] [--console-port <port>]
       npm run local:invoke -- --list
Invokes a function of the running \`npm start\` with an event (default {}); - reads it from stdin.`;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const readPortConfig = (): unknown => {
  const pkg: unknown = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8'));
  const local = isRecord(pkg) ? pkg.amplifyLocal : undefined;
  return isRecord(local) ? local.ports : undefined;
};

const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
};

class UsageError extends Error {}

const main = async (): Promise<number> => {
  const { values, positionals } = parseArgs({
    options: {
      event: { type: 'string', short: 'e' },
      'data-dir': { type: 'string' },
      'console-port': { type: 'string' },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const name = positionals[0];
  if (!values.list && (!name || positionals.length > 1)) throw new UsageError('name one function');
  const dataDir = values['data-dir'] ?? join(PROJECT_ROOT, '.amplify', 'local');
  const credentialsFile = join(dataDir, 'admin-credentials.json');
  let secret: unknown;
  try {
    const stored: unknown = JSON.parse(readFileSync(credentialsFile, 'utf8'));
    secret = isRecord(stored) ? stored.secretAccessKey : undefined;
  } catch {
    secret = undefined;
  }
  if (typeof secret !== 'string')
    throw new Error(`no local admin credential in ${credentialsFile}: has \`npm start\` run with this data folder?`);
  const port = resolvePorts(readPortConfig(), { console: values['console-port'] }).console;
  const base = `http://127.0.0.1:${port}/api`;
  const headers = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };
  const call = async (path: string, init: RequestInit = {}): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, { ...init, headers });
    } catch {
      throw new Error(`the local console at ${base} does not answer: is \`npm start\` running (--console-port)?`);
    }
    const body: unknown = await response.json().catch(() => ({}));
    if (!response.ok)
      throw new Error(`${response.status}: ${isRecord(body) ? String(body.message) : response.statusText}`);
    return body;
  };
  if (values.list) {
    const listed = await call('/functions');
    const functions = isRecord(listed) && Array.isArray(listed.functions) ? listed.functions.filter(isRecord) : [];
    for (const fn of functions) console.log(`${String(fn.name)}\t${String(fn.id)}`);
    return 0;
  }
  const source = values.event;
  const text = source === undefined ? '{}' : source === '-' ? await readStdin() : readFileSync(source, 'utf8');
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    throw new UsageError(`the event ${source === '-' ? 'on stdin' : `in ${source}`} is not JSON`);
  }
  const result = await call(`/functions/${encodeURIComponent(name ?? '')}/invoke`, {
    method: 'POST',
    body: JSON.stringify({ event }),
  });
  if (!isRecord(result)) throw new Error('the console answered no result');
  if (typeof result.logs === 'string' && result.logs) process.stderr.write(result.logs);
  const ms = Math.round(Number(result.ms));
  if (result.ok === true) {
    process.stderr.write(`${name}: succeeded in ${ms} ms\n`);
    process.stdout.write(`${JSON.stringify(result.result ?? null, null, 2)}\n`);
    return 0;
  }
  const error = isRecord(result.error) ? result.error : {};
  process.stderr.write(`${name}: failed in ${ms} ms\n`);
  process.stdout.write(`${JSON.stringify({ errorType: error.type, errorMessage: error.message }, null, 2)}\n`);
  return 1;
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const usage =
      error instanceof UsageError ||
      (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
    console.error(`local:invoke: ${error instanceof Error ? error.message : String(error)}`);
    if (usage) console.error(USAGE);
    process.exit(usage ? 2 : 1);
  },
);
