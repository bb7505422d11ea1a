/**
 * The REST API beside GraphQL, in one run on the local backend: create and
 * get a note, p50 / p99 / throughput, each for a few seconds with C requests
 * in flight (closed loop), through the same HTTP client (fetch) and the same
 * user. A REST request goes API Gateway (local) → the handler's worker →
 * the GraphQL API with the caller's token, so its cost over GraphQL is that hop.
 *
 *   npm run bench:rest            # BENCH_SECONDS=3 BENCH_CONCURRENCY=8
 *
 * Writes the figures into BENCHMARKS.md (section "REST API beside GraphQL").
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Amplify } from 'aws-amplify';
import { confirmSignUp, fetchAuthSession, signIn, signUp } from 'aws-amplify/auth';
import { configureLocal } from '../src/client/local';
import { createLocalBackend } from '../src/local/backend';
import { PROJECT_ROOT } from '../src/local/cloud/synth';
import { loadOrCreateTls, rerunTrusting } from '../src/local/tls';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const DATA_DIR = resolve(PROJECT_ROOT, '.amplify/bench-rest');
const TLS_DIR = join(PROJECT_ROOT, '.amplify', 'tls');

interface Figures {
  p50: number;
  p99: number;
  perSecond: number;
  failed: number;
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

/** C loops, each sending the next request when the last one answered, for SECONDS. */
const thrown: string[] = [];
const run = async (request: (i: number) => Promise<boolean>): Promise<Figures> => {
  const latencies: number[] = [];
  let failed = 0;
  let n = 0;
  const started = performance.now();
  const end = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        const ok = await request(n++).catch((error: unknown) => {
          if (thrown.length < 5)
            thrown.push(error instanceof Error ? `${error.message} ${String(error.cause ?? '')}` : String(error));
          return false;
        });
        latencies.push(performance.now() - t);
        if (!ok) failed++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    perSecond: latencies.length / elapsed,
    failed,
  };
};

const main = async (): Promise<void> => {
  const tls = await loadOrCreateTls(TLS_DIR);
  rerunTrusting(tls.caFile);
  console.log('starting the local backend ...');
  const outputsFile = join(DATA_DIR, 'amplify_outputs.json');
  const backend = await createLocalBackend({ dataDir: DATA_DIR, reset: true, tlsDir: TLS_DIR, outputsFile });
  try {
    const outputs = JSON.parse(readFileSync(outputsFile, 'utf8'));
    configureLocal(Amplify, outputs);
    const email = 'bench@example.com';
    const password = 'Bench-Horse-9-Battery';
    await signUp({ username: email, password, options: { userAttributes: { email } } });
    await confirmSignUp({ username: email, confirmationCode: backend.outbox.latestCode(email, 'verification') ?? '' });
    await signIn({ username: email, password });
    const token = (await fetchAuthSession()).tokens?.idToken?.toString() ?? '';
    const endpoint = String(outputs.custom.API.NotesRestApi.endpoint);

    const rest = (method: string, path: string, body?: unknown) =>
      fetch(`${endpoint}${path}`, {
        method,
        headers: { authorization: token, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const graphql = (query: string, variables: Record<string, unknown>) =>
      fetch(backend.urls.graphql, {
        method: 'POST',
        headers: { authorization: token, 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
    const failures: string[] = [];
    const okJson = async (response: Response) => {
      const text = await response.text();
      const ok = response.ok && !text.includes('"errors"');
      if (!ok && failures.length < 5) failures.push(`${response.status} ${text.slice(0, 200)}`);
      return ok;
    };

    const seeded = await (await rest('POST', 'notes', { headline: 'bench', text: 'x' })).json();
    const id = String(seeded.id);
    const figures: Record<string, Figures> = {};
    const phases: Array<[string, (i: number) => Promise<boolean>]> = [
      ['REST POST /notes', async (i) => okJson(await rest('POST', 'notes', { headline: `rest ${i}`, text: 'bench' }))],
      [
        'GraphQL createNote',
        async (i) =>
          okJson(
            await graphql(
              'mutation ($input: CreateNoteInput!) { createNote(input: $input) { id headline owner _version } }',
              {
                input: { headline: `gql ${i}`, text: 'bench' },
              },
            ),
          ),
      ],
      ['REST GET /notes/{id}', async () => okJson(await rest('GET', `notes/${id}`))],
      [
        'GraphQL getNote',
        async () => okJson(await graphql('query ($id: ID!) { getNote(id: $id) { id headline } }', { id })),
      ],
    ];
    for (const [name, request] of phases) {
      await run(async (i) => (i < CONCURRENCY ? request(i) : false)); // a short warm-up
      console.log(`${name}: ${SECONDS} s with ${CONCURRENCY} in flight ...`);
      figures[name] = await run(request);
    }
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    const rows = Object.entries(figures).map(
      ([name, f]) =>
        `| ${name.padEnd(22)} | ${ms(f.p50).padStart(8)} | ${ms(f.p99).padStart(8)} | ${`${Math.round(f.perSecond)}/s`.padStart(10)} | ${String(f.failed).padStart(6)} |`,
    );
    const table = [
      '| request                | p50      | p99      | throughput | failed |',
      '| ---------------------- | -------- | -------- | ---------- | ------ |',
      ...rows,
    ].join('\n');
    console.log(table);
    if (thrown.length > 0) console.log(`thrown (first ${thrown.length}):\n${thrown.join('\n')}`);
    if (failures.length > 0) console.log(`failures (first ${failures.length}):\n${failures.join('\n')}`);
    const load = loadavg()[0]?.toFixed(1) ?? '?';
    const section = `## REST API beside GraphQL

\`npm run bench:rest\`, one run on ${new Date().toUTCString().slice(5, 16)} on the shared machine (2 cores, load
average ${load} at the end: other work was running, so compare the rows with each other, not with other sections): the local backend, one user, ${CONCURRENCY} requests in flight for ${SECONDS} s per row, plain
\`fetch\` for both. A REST request is API Gateway (local) → the \`rest-api\` function → the GraphQL API with
the caller's token, so the difference is the function hop and the second HTTP request.

${table}
`;
    const file = resolve(PROJECT_ROOT, 'BENCHMARKS.md');
    const current = readFileSync(file, 'utf8');
    const start = current.indexOf('## REST API beside GraphQL');
    const next = start < 0 ? -1 : current.indexOf('\n## ', start + 1);
    const updated =
      start < 0
        ? `${current.trimEnd()}\n\n${section}`
        : `${current.slice(0, start)}${section}${next < 0 ? '' : current.slice(next + 1)}`;
    writeFileSync(file, updated);
    console.log('wrote BENCHMARKS.md');
  } finally {
    await backend.dispose();
  }
};

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
