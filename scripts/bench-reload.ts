/**
 * The inner loop: the time from saving an edit under amplify/ to the first
 * successful request that uses it, while the local backend runs with `watch`.
 *
 *   npm run bench:reload
 *
 * The backend runs a copy of amplify/ (.amplify/projects/bench-reload). Each
 * round saves a schema change that adds a field to Note, then sends a
 * createNote that sets the field every 20 ms until one succeeds; the clock
 * runs from just before the file is written until that response. One more
 * round edits function code (the bundles are rebuilt) and one saves a broken
 * schema (the time until the error is reported). Set BENCH_RELOAD_ROUNDS to
 * change the number of schema rounds (default 10).
 */

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Amplify } from 'aws-amplify';
import { confirmSignUp, fetchAuthSession, signIn, signUp } from 'aws-amplify/auth';
import { configureLocal } from '../src/client/local';
import { createLocalBackend, type LocalBackend } from '../src/local/backend';
import { PROJECT_ROOT } from '../src/local/cloud/synth';
import type { ReloadReport } from '../src/local/hot-reload';
import { loadOrCreateTls, rerunTrusting } from '../src/local/tls';
import { copyProject } from '../src/test/project-copy';

const ROUNDS = Number(process.env.BENCH_RELOAD_ROUNDS ?? 10);
const TLS_DIR = resolve(PROJECT_ROOT, '.amplify/tls');
const POLL_MS = 20;
const GIVE_UP_MS = 60_000;
const NOTE_FIELDS = '      photoKey: a\n        .string()';

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
};

/** Sends the request every POLL_MS until it succeeds; resolves with the time since `since`. */
const firstSuccess = async (backend: LocalBackend, token: string, query: string, since: number): Promise<number> => {
  while (performance.now() - since < GIVE_UP_MS) {
    const response = await fetch(backend.urls.graphql, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: token },
      body: JSON.stringify({ query }),
    });
    const body = (await response.json()) as { errors?: unknown[] };
    if (response.ok && !body.errors) return performance.now() - since;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`no successful request within ${GIVE_UP_MS} ms: ${query}`);
};

const main = async (): Promise<void> => {
  // Node reads its extra CA file at startup: create the CA, then run again trusting it.
  const tls = await loadOrCreateTls(TLS_DIR);
  rerunTrusting(tls.caFile);
  const project = copyProject('bench-reload');
  const outputsFile = join(project.dir, 'amplify_outputs.json');
  console.log('starting the backend on a copy of amplify/ (a cold synthesis first) ...');
  const backend = await createLocalBackend({
    projectDir: project.dir,
    dataDir: join(project.dir, 'data'),
    reset: true,
    tlsDir: TLS_DIR,
    outputsFile,
    watch: true,
  });
  const reloader = backend.hotReload;
  if (!reloader) throw new Error('the backend is not watching');
  try {
    await reloader.warm();
    configureLocal(Amplify, JSON.parse(readFileSync(outputsFile, 'utf8')));
    const email = 'bench-reload@example.com';
    const password = `Bench-${randomBytes(6).toString('hex')}-9aA!`;
    await signUp({ username: email, password, options: { userAttributes: { email } } });
    await confirmSignUp({ username: email, confirmationCode: backend.outbox.latestCode(email) ?? '' });
    await signIn({ username: email, password });
    const token = (await fetchAuthSession()).tokens?.idToken?.toString() ?? '';

    const firstRequest: number[] = [];
    const reports: ReloadReport[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const field = `benchField${round}`;
      const reported = reloader.nextReport(GIVE_UP_MS);
      const saved = performance.now();
      project.edit('amplify/data/resource.ts', (text) =>
        text.replace(NOTE_FIELDS, `      ${field}: a.string(),\n${NOTE_FIELDS}`),
      );
      const query = `mutation { createNote(input: { headline: "round ${round}", ${field}: "x" }) { id ${field} } }`;
      firstRequest.push(await firstSuccess(backend, token, query, saved));
      const report = await reported;
      if (!report.ok) throw new Error(`round ${round} did not reload: ${report.error}`);
      reports.push(report);
      console.log(`  round ${round}: first successful request after ${firstRequest.at(-1)?.toFixed(0)} ms`);
    }

    const functionSaved = performance.now();
    const functionReport = reloader.nextReport(GIVE_UP_MS);
    project.edit('amplify/functions/search/core.ts', (text) =>
      text.replace("'query must be a non-empty string'", "'query must not be empty (benchmark)'"),
    );
    const functionReload = await functionReport;
    const functionMs = performance.now() - functionSaved;
    if (!functionReload.ok || !functionReload.bundled)
      throw new Error(`the function edit did not reload: ${functionReload.error}`);

    const brokenSaved = performance.now();
    const brokenReport = reloader.nextReport(GIVE_UP_MS);
    project.edit('amplify/data/resource.ts', (text) =>
      text.replace('benchField0: a.string(),', 'benchField0: a.string(,'),
    );
    const broken = await brokenReport;
    const brokenMs = performance.now() - brokenSaved;
    if (broken.ok) throw new Error('the broken schema was applied');

    const row = (name: string, values: number[]) =>
      `| ${name} | ${percentile(values, 50).toFixed(0)} | ${percentile(values, 90).toFixed(0)} | ${Math.max(...values).toFixed(0)} |`;
    console.log(`\nSchema change (add a field to Note), ${ROUNDS} rounds, 2-core machine`);
    console.log('| from saving the file to ... | median ms | p90 ms | max ms |');
    console.log('| --- | --- | --- | --- |');
    console.log(row('first successful request using the change', firstRequest));
    console.log(
      row(
        'new API serving (reload report)',
        reports.map((r) => r.servedMs),
      ),
    );
    console.log(
      row(
        'amplify_outputs.json rewritten',
        reports.map((r) => r.totalMs),
      ),
    );
    console.log(
      row(
        '  of which warm synthesis',
        reports.map((r) => r.synthMs),
      ),
    );
    console.log(`\nFunction code edit (bundles rebuilt): applied ${functionMs.toFixed(0)} ms after saving`);
    console.log(`Broken schema: reported ${brokenMs.toFixed(0)} ms after saving; the previous version kept serving`);
  } finally {
    await backend.dispose();
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
