/**
 * Upload and download throughput of the local storage for a 5 MB file, through
 * the real aws-amplify Storage client, as an app would use it.
 *
 *   npm run bench:storage
 *
 * Each round uploads a new 5 MB object with `uploadData` and downloads it
 * with `downloadData`; the script prints the median and the best of the rounds.
 * Set BENCH_STORAGE_ROUNDS to change the number of rounds (default 10).
 */

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Amplify } from 'aws-amplify';
import { confirmSignUp, fetchAuthSession, signIn, signUp } from 'aws-amplify/auth';
import { downloadData, remove, uploadData } from 'aws-amplify/storage';
import { configureLocal, localStorageOptions } from '../src/client/local';
import { createLocalBackend } from '../src/local/backend';
import { PROJECT_ROOT } from '../src/local/cloud/synth';
import { loadOrCreateTls, rerunTrusting } from '../src/local/tls';
import '../src/test/file-reader.setup';

const ROUNDS = Number(process.env.BENCH_STORAGE_ROUNDS ?? 10);
const SIZE = 5 * 1024 * 1024;
const DATA_DIR = resolve(PROJECT_ROOT, '.amplify/bench-storage');
const TLS_DIR = resolve(PROJECT_ROOT, '.amplify/tls');

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const main = async (): Promise<void> => {
  // Node reads its extra CA file at startup: create the CA, then run again trusting it.
  const tls = await loadOrCreateTls(TLS_DIR);
  rerunTrusting(tls.caFile);
  const outputsFile = join(DATA_DIR, 'amplify_outputs.json');
  const backend = await createLocalBackend({ dataDir: DATA_DIR, reset: true, tlsDir: TLS_DIR, outputsFile });
  try {
    const outputs = JSON.parse(readFileSync(outputsFile, 'utf8'));
    configureLocal(Amplify, outputs);
    const options = localStorageOptions(outputs);
    const email = 'bench-storage@example.com';
    const password = `Bench-${randomBytes(6).toString('hex')}-9aA!`;
    await signUp({ username: email, password, options: { userAttributes: { email } } });
    await confirmSignUp({ username: email, confirmationCode: backend.outbox.latestCode(email) ?? '' });
    await signIn({ username: email, password });
    const { identityId } = await fetchAuthSession();

    const up: number[] = [];
    const down: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const path = `media/${identityId}/bench-${round}.bin`;
      const data = randomBytes(SIZE);
      let start = performance.now();
      await uploadData({ path, data, options }).result;
      up.push(performance.now() - start);
      start = performance.now();
      const body = await (await downloadData({ path, options }).result).body.blob();
      down.push(performance.now() - start);
      if (body.size !== SIZE) throw new Error(`downloaded ${body.size} bytes, expected ${SIZE}`);
      await remove({ path, options });
    }
    const mbps = (ms: number): string => (SIZE / 1024 / 1024 / (ms / 1000)).toFixed(1);
    console.log(`5 MB object, ${ROUNDS} rounds, through aws-amplify Storage over TLS on 127.0.0.1`);
    console.log(`| direction | median ms | median MB/s | best ms |`);
    console.log(`| --- | --- | --- | --- |`);
    console.log(
      `| upload (uploadData) | ${median(up).toFixed(1)} | ${mbps(median(up))} | ${Math.min(...up).toFixed(1)} |`,
    );
    console.log(
      `| download (downloadData) | ${median(down).toFixed(1)} | ${mbps(median(down))} | ${Math.min(...down).toFixed(1)} |`,
    );
  } finally {
    await backend.dispose();
  }
};

await main();
