import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_TLS_DIR } from '../test/e2e.global-setup';
import { createLocalBackend, type LocalBackend } from './backend';
import { ManualClock } from './events/manual-clock';

/**
 * A Gen 2 backend with a scheduled function (`defineFunction({ schedule:
 * 'every 1m' })`, which Gen 2 synthesizes as an EventBridge Scheduler
 * schedule) that reads a secret (`secret('REPORT_TOKEN')`): the start stops
 * while the secret is not set, `npm run local:secret` sets it, the function's
 * unchanged code reads it from the local SSM, and the schedule runs it on an
 * injected clock, and on demand.
 */

const PROJECT = resolve('src/local/test-fixtures/gen2/scheduled-report');
const START = Date.parse('2026-12-01T12:00:00Z');

const secretCli = (dataDir: string, args: string[], input?: string) =>
  spawnSync(
    process.execPath,
    [resolve('node_modules/tsx/dist/cli.mjs'), 'scripts/secret.ts', ...args, '--data-dir', dataDir],
    {
      input: input ?? '',
      encoding: 'utf8',
      timeout: 60_000,
    },
  );

describe('scheduled functions and secrets', () => {
  let dataDir: string;
  let backend: LocalBackend | undefined;
  const clock = new ManualClock(START);

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'scheduled-report-'));
  });
  afterAll(async () => {
    await backend?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("stops the start, with ampx's message, while a secret a function reads is not set", async () => {
    // Act
    const start = createLocalBackend({ projectDir: PROJECT, dataDir, tlsDir: TEST_TLS_DIR, outputsFile: false });
    // Assess
    await expect(start).rejects.toMatchObject({
      name: 'SecretNotSetError',
      message: expect.stringContaining('The secret REPORT_TOKEN specified in the backend does not exist'),
    });
    await expect(start).rejects.toThrow(/npm run local:secret -- set REPORT_TOKEN/);
  }, 240_000);

  it('sets, lists and gets a secret from stdin, kept owner-only in the data folder', () => {
    // Act
    const set = secretCli(dataDir, ['set', 'REPORT_TOKEN'], 'tok-123');
    const valueInArgs = secretCli(dataDir, ['set', 'REPORT_TOKEN', 'tok-123']);
    const list = secretCli(dataDir, ['list']);
    const get = secretCli(dataDir, ['get', 'REPORT_TOKEN']);
    // Assess
    expect(set.stdout).toContain('Successfully created version 1 of secret REPORT_TOKEN');
    expect(valueInArgs.status).toBe(2);
    expect(valueInArgs.stderr).toContain('never from the command line');
    expect(list.stdout).toContain(' - REPORT_TOKEN');
    expect(get.stdout).toContain('value: tok-123');
    expect(statSync(join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
  }, 120_000);

  it('runs the function on its schedule, with the secret, on the Node its template names', async () => {
    // Prepare
    backend = await createLocalBackend({
      projectDir: PROJECT,
      dataDir,
      tlsDir: TEST_TLS_DIR,
      outputsFile: false,
      clock,
    });
    const [schedule] = backend.scheduledRules();
    // Act
    clock.advance(3 * 60_000);
    await expect.poll(() => backend?.scheduledRuns.length, { timeout: 30_000 }).toBe(3);
    // Assess
    expect(schedule).toMatchObject({
      source: 'scheduler',
      enabled: true,
      schedule: { expression: 'cron(*/1 * * * ? *)' },
    });
    // Each run has its own execution environment, so they may finish in any order: compare the times they were due.
    expect(backend.scheduledRuns.map((run) => run.at).sort()).toEqual([
      '2026-12-01T12:01:00.000Z',
      '2026-12-01T12:02:00.000Z',
      '2026-12-01T12:03:00.000Z',
    ]);
    for (const run of backend.scheduledRuns)
      expect(run).toMatchObject({
        ok: true,
        result: { event: {}, token: 'tok-123', node: expect.stringMatching(/^v24\./) },
      });
  }, 240_000);

  it('runs a schedule on demand, by its name', async () => {
    // Prepare
    const name = backend?.scheduledRules()[0]?.name ?? '';
    // Act
    const results = await backend?.invokeScheduled(name);
    const unknown = backend?.invokeScheduled('no-such-rule');
    // Assess
    expect(results).toEqual([
      { functionId: expect.any(String), result: expect.objectContaining({ token: 'tok-123' }) },
    ]);
    await expect(unknown).rejects.toThrow(/no scheduled rule or schedule no-such-rule; there are: /);
  });
});
