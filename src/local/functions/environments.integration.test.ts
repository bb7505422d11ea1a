import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConcurrencyAccount, type FunctionSpec, LocalFunction } from './runner';

/**
 * Execution environments, as Lambda has them: one invocation at a time per
 * environment, a new environment (a cold start) for each concurrent one up
 * to the function's reserved concurrency or the account's limit, throttling
 * beyond it, and every environment's process gone when the function stops.
 * Real child processes: the fixture reports its pid and a module-level counter.
 */

const started: LocalFunction[] = [];
const logs: string[] = [];

const start = (overrides: Partial<FunctionSpec> = {}): LocalFunction => {
  const fn = new LocalFunction({
    name: 'pooled',
    entry: resolve('src/local/test-fixtures/lifecycle.mjs'),
    handler: 'lifecycle.handler',
    timeoutSeconds: 5,
    runtime: 'nodejs24.x',
    env: { AWS_REGION: 'us-east-1', PATH: process.env.PATH ?? '' },
    log: (line) => logs.push(line),
    account: new ConcurrencyAccount(10),
    ...overrides,
  });
  started.push(fn);
  return fn;
};

afterEach(async () => {
  for (const fn of started.splice(0)) await fn.stop();
  logs.length = 0;
});

const alive = (pid: number | undefined): boolean => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const field = (value: unknown, key: string): unknown => Object(value)[key];
const sleep = (ms: number) => ({ op: 'sleep', ms });
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('execution environments', () => {
  it('runs N concurrent invocations in N environments, each with its own module state and log stream', async () => {
    // Prepare
    const fn = start();
    // Act
    const results = await Promise.all(Array.from({ length: 4 }, () => fn.invoke(sleep(600))));
    // Assess
    const pids = new Set(results.map((r) => field(r, 'pid')));
    expect(pids.size).toBe(4);
    expect(pids.has(process.pid)).toBe(false);
    // One invocation at a time per environment: each one's module-level counter saw only its own.
    expect(results.map((r) => field(r, 'count'))).toEqual([1, 1, 1, 1]);
    const streams = new Set(results.map((r) => field(r, 'logStreamName')));
    expect(streams.size).toBe(4);
    for (const r of results) {
      expect(field(r, 'logStreamName')).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
      expect(field(r, 'logStreamEnv')).toBe(field(r, 'logStreamName'));
    }
    expect(fn.coldStarts).toBe(4);
    // Every cold start is in the function's log, as Lambda's INIT_START line.
    expect(logs.filter((line) => line.startsWith('INIT_START Runtime Version: nodejs:24.v24.'))).toHaveLength(4);
  });

  it('reuses one warm environment for sequential invocations, without another init', async () => {
    // Prepare
    const fn = start();
    // Act
    const results: unknown[] = [];
    for (let i = 0; i < 3; i++) results.push(await fn.invoke({}));
    // Assess
    expect(new Set(results.map((r) => field(r, 'pid'))).size).toBe(1);
    expect(results.map((r) => field(r, 'count'))).toEqual([1, 2, 3]);
    expect(new Set(results.map((r) => field(r, 'loadedAt'))).size).toBe(1);
    expect(fn.coldStarts).toBe(1);
  });

  it('reuses the warm environments after a burst, and only starts more for what runs at once', async () => {
    // Prepare
    const fn = start();
    const first = await Promise.all([fn.invoke(sleep(400)), fn.invoke(sleep(400))]);
    // Act
    const second = await Promise.all([fn.invoke(sleep(400)), fn.invoke(sleep(400))]);
    // Assess
    expect(new Set(second.map((r) => field(r, 'pid')))).toEqual(new Set(first.map((r) => field(r, 'pid'))));
    expect(second.map((r) => field(r, 'count'))).toEqual([2, 2]);
    expect(fn.coldStarts).toBe(2);
  });

  it("throttles sync invocations beyond the function's reserved concurrency with Lambda's TooManyRequestsException", async () => {
    // Prepare
    const fn = start({ reservedConcurrency: 2 });
    // Act
    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, () => fn.invoke(sleep(600))));
    // Assess
    const ran = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const throttled = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(ran).toHaveLength(2);
    expect(new Set(ran.map((r) => field(r, 'pid'))).size).toBe(2);
    expect(throttled).toHaveLength(2);
    for (const error of throttled)
      expect(error).toMatchObject({
        name: 'TooManyRequestsException',
        message: 'Rate Exceeded.',
        statusCode: 429,
        reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      });
    expect(fn.environments().length).toBeLessThanOrEqual(2);
  });

  it('queues event-source invocations beyond the reserved concurrency until an environment frees up', async () => {
    // Prepare
    const fn = start({ reservedConcurrency: 2 });
    const begun = Date.now();
    // Act
    const results = await Promise.all(
      Array.from({ length: 4 }, () => fn.invoke(sleep(500), { whenThrottled: 'wait' })),
    );
    // Assess
    expect(new Set(results.map((r) => field(r, 'pid'))).size).toBe(2);
    expect(results.map((r) => Number(field(r, 'count'))).sort()).toEqual([1, 1, 2, 2]);
    // Two rounds of 500 ms: never more than two at once.
    expect(Date.now() - begun).toBeGreaterThanOrEqual(1000);
    expect(fn.coldStarts).toBe(2);
  });

  it("throttles beyond the account's limit, shared by the functions that reserve none", async () => {
    // Prepare
    const account = new ConcurrencyAccount(2);
    const a = start({ name: 'a', account });
    const b = start({ name: 'b', account });
    // Act
    const running = [a.invoke(sleep(600)), b.invoke(sleep(600))];
    await new Promise((r) => setTimeout(r, 50));
    const third = await failure(a.invoke({}));
    await Promise.all(running);
    const after = await b.invoke({});
    // Assess
    expect(third).toMatchObject({ name: 'TooManyRequestsException', reason: 'ConcurrentInvocationLimitExceeded' });
    expect(after).toMatchObject({ event: {} });
    expect(account.inUse).toBe(0);
  });

  it('a reserved concurrency of 0 throttles every invocation and starts no environment', async () => {
    // Prepare
    const fn = start({ reservedConcurrency: 0 });
    // Act
    const sync = await failure(fn.invoke({}));
    const queued = await failure(fn.invoke({}, { whenThrottled: 'wait' }));
    // Assess
    expect(sync).toMatchObject({ name: 'TooManyRequestsException' });
    expect(queued).toMatchObject({ name: 'TooManyRequestsException' });
    expect(fn.coldStarts).toBe(0);
  });

  it('a timeout discards only the environment that ran past it; the others stay warm', async () => {
    // Prepare
    const fn = start({ timeoutSeconds: 1 });
    const [spinning, sleeping] = [fn.invoke({ op: 'spin' }), fn.invoke(sleep(200))];
    const kept = await sleeping;
    const pidsBefore = fn.environments().map((e) => e.pid);
    // Act
    const timedOut = await failure(spinning);
    // Assess
    expect(timedOut).toMatchObject({ name: 'Sandbox.Timedout' });
    const lost = pidsBefore.find((pid) => pid !== field(kept, 'pid'));
    await expect.poll(() => alive(lost)).toBe(false);
    expect(alive(Number(field(kept, 'pid')))).toBe(true);
    const next = await fn.invoke({});
    expect(next).toMatchObject({ pid: field(kept, 'pid'), count: 2 });
  });

  it('reaps environments left idle, and starts a new one for the next invocation', async () => {
    // Prepare
    const fn = start({ idleSeconds: 0.5 });
    const first = await fn.invoke({});
    // Act
    await expect.poll(() => fn.environments().length, { timeout: 3000 }).toBe(0);
    const second = await fn.invoke({});
    // Assess
    expect(alive(Number(field(first, 'pid')))).toBe(false);
    expect(second).toMatchObject({ count: 1 });
    expect(field(second, 'pid')).not.toBe(field(first, 'pid'));
  });

  it('stop kills every environment, busy or idle: no child is left running', async () => {
    // Prepare
    const fn = start();
    await Promise.all([fn.invoke(sleep(100)), fn.invoke(sleep(100))]);
    const busy = [fn.invoke(sleep(5000)), fn.invoke(sleep(5000)), fn.invoke(sleep(5000))].map(failure);
    await expect.poll(() => fn.environments().filter((e) => e.busy).length).toBe(3);
    const pids = fn.environments().map((e) => e.pid);
    expect(pids.length).toBeGreaterThanOrEqual(3);
    expect(pids.every(alive)).toBe(true);
    // Act
    await fn.stop();
    // Assess
    for (const error of await Promise.all(busy)) expect(error).toMatchObject({ name: 'Stopped' });
    expect(pids.filter(alive)).toEqual([]);
    expect(fn.environments()).toEqual([]);
    expect(await failure(fn.invoke({}))).toMatchObject({ name: 'Stopped' });
  });
});
