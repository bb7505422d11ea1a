/**
 * DataStore sync times on the local backend, with the real @aws-amplify/datastore:
 * a fresh device's base sync of BENCH_DATASTORE_NOTES notes (default 10,000), and
 * one delta sync of 100 changes after a restart.
 *
 *   npm run bench:datastore
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Amplify } from 'aws-amplify';
import { confirmSignUp, signIn, signUp } from 'aws-amplify/auth';
import { generateClient } from 'aws-amplify/data';
import { parseAmplifyConfig } from 'aws-amplify/utils';
import type { Schema } from '../amplify/data/resource';
import { withLocalEndpoints } from '../src/client/local';
import { createLocalBackend } from '../src/local/backend';
import { PROJECT_ROOT } from '../src/local/cloud/synth';
import { loadOrCreateTls, rerunTrusting } from '../src/local/tls';
import { Device } from '../src/test/datastore-device';
import { findModelSchema, generateAllModels } from './codegen';
import '../src/test/websocket.setup';

const NOTES = Number(process.env.BENCH_DATASTORE_NOTES ?? 10_000);
const CHANGES = 100;
const DATA_DIR = resolve(PROJECT_ROOT, '.amplify/bench-datastore');
const TLS_DIR = resolve(PROJECT_ROOT, '.amplify/tls');
const PASSWORD = 'Correct-Horse-9-Battery';
const EMAIL = 'bench@example.com';

/** Runs `task` over 0..count-1 with at most `width` at once. */
const inParallel = async (count: number, width: number, task: (i: number) => Promise<void>): Promise<void> => {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await task(next++);
    }),
  );
};

const main = async (): Promise<void> => {
  const tls = await loadOrCreateTls(TLS_DIR);
  rerunTrusting(tls.caFile);
  const outputsFile = join(DATA_DIR, 'amplify_outputs.json');
  const backend = await createLocalBackend({ dataDir: DATA_DIR, reset: true, tlsDir: TLS_DIR, outputsFile });
  const device = new Device('bench');
  try {
    const outputs = JSON.parse(readFileSync(outputsFile, 'utf8'));
    const config = withLocalEndpoints(parseAmplifyConfig(outputs), outputs);
    Amplify.configure(config);
    await signUp({ username: EMAIL, password: PASSWORD, options: { userAttributes: { email: EMAIL } } });
    await confirmSignUp({ username: EMAIL, confirmationCode: backend.outbox.latestCode(EMAIL, 'verification') ?? '' });
    await signIn({ username: EMAIL, password: PASSWORD });
    const client = generateClient<Schema>();

    console.log(`creating ${NOTES} notes through the API ...`);
    const ids: string[] = [];
    const seeded = performance.now();
    await inParallel(NOTES, 25, async (i) => {
      const created = await client.models.Note.create({ headline: `Note ${i}`, text: 'x'.repeat(200) });
      if (created.errors || !created.data) throw new Error(JSON.stringify(created.errors));
      ids.push(created.data.id);
    });
    console.log(`  ${((performance.now() - seeded) / 1000).toFixed(1)} s`);

    await device.send('configure', {
      config,
      // The models `npm run codegen` writes, as DataStore apps use them.
      introspection: JSON.parse(
        generateAllModels(findModelSchema(join(PROJECT_ROOT, '.amplify', 'synth', 'local'))).get(
          'model-introspection.json',
        ) ?? 'null',
      ),
      email: EMAIL,
      password: PASSWORD,
    });
    const base = performance.now();
    const first = await device.send<{ ready: boolean }>('start', {}, 600_000);
    const baseMs = performance.now() - base;
    const held = (await device.send<unknown[]>('query', { model: 'Note' }, 120_000)).length;
    if (!first.ready || held !== NOTES) throw new Error(`base sync: ready ${first.ready}, ${held} of ${NOTES} notes`);

    await device.send('stop');
    await inParallel(CHANGES, 10, async (i) => {
      const updated = await client.models.Note.update({ id: ids[i] ?? '', headline: `Changed ${i}` });
      if (updated.errors) throw new Error(JSON.stringify(updated.errors));
    });
    const delta = performance.now();
    const second = await device.send<{ ready: boolean; synced: Array<{ model?: string; isDeltaSync?: boolean }> }>(
      'start',
      {},
      120_000,
    );
    const deltaMs = performance.now() - delta;
    const noteSync = second.synced.find((e) => e.model === 'Note');
    if (!second.ready || noteSync?.isDeltaSync !== true) throw new Error('the restart did not delta-sync');

    console.log(`base sync of ${NOTES} notes on a fresh device: ${(baseMs / 1000).toFixed(2)} s`);
    console.log(`delta sync of ${CHANGES} changes after a restart: ${deltaMs.toFixed(0)} ms`);
  } finally {
    await device.quit();
    await backend.dispose();
  }
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
