/**
 * Cold start and warm invoke latency of the local functions runtime, on this
 * machine:
 *
 *   npm run bench:functions
 *
 * - cold: from `new LocalFunction(spec)` to the first invocation's result
 *   (the init phase included), for a bare handler and for one that loads the
 *   AWS SDK (S3 and DynamoDB clients);
 * - warm: one invocation at a time on a started function (p50, p99);
 * - concurrent: N invocations at once (BENCH_CONCURRENT, default 8) of a
 *   handler that sleeps 50 ms: the first burst starts N environments (cold),
 *   the next ones reuse them (warm); the resident memory (RSS) of each
 *   environment's process after the bursts.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LocalFunction } from '../src/local/functions/runner';

const COLD = Number(process.env.BENCH_COLD ?? 10);
const WARM = Number(process.env.BENCH_WARM ?? 500);
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 8);
const BURSTS = Number(process.env.BENCH_BURSTS ?? 20);

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

const spec = (fixture: string) => ({
  name: fixture,
  entry: resolve('src/local/test-fixtures', `${fixture}.mjs`),
  handler: `${fixture}.handler`,
  timeoutSeconds: 10,
  runtime: process.env.BENCH_RUNTIME ?? 'nodejs24.x',
  env: { AWS_REGION: 'us-east-1', PATH: process.env.PATH ?? '' },
  // The INIT_START lines of every cold start would drown the figures.
  log: () => {},
});

const cold = async (fixture: string, event: unknown): Promise<number[]> => {
  const times: number[] = [];
  for (let i = 0; i < COLD; i++) {
    const started = performance.now();
    const fn = new LocalFunction(spec(fixture));
    await fn.invoke(event).catch(() => {});
    times.push(performance.now() - started);
    await fn.stop();
  }
  return times;
};

const warm = async (fixture: string, event: unknown): Promise<number[]> => {
  const fn = new LocalFunction(spec(fixture));
  await fn.invoke(event);
  const times: number[] = [];
  for (let i = 0; i < WARM; i++) {
    const started = performance.now();
    await fn.invoke(event).catch(() => {});
    times.push(performance.now() - started);
  }
  await fn.stop();
  return times;
};

/** A process's resident set (MB), from /proc. */
const rssMB = (pid: number | undefined): number => {
  const status = pid === undefined ? '' : readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
};

const concurrent = async (): Promise<{ cold: number[]; warm: number[]; rss: number[]; coldStarts: number }> => {
  const cold: number[] = [];
  const warmTimes: number[] = [];
  let rss: number[] = [];
  let coldStarts = 0;
  for (let round = 0; round < COLD; round++) {
    const fn = new LocalFunction({ ...spec('lifecycle'), reservedConcurrency: CONCURRENT });
    const burst = async () => {
      const started = performance.now();
      await Promise.all(Array.from({ length: CONCURRENT }, () => fn.invoke({ op: 'sleep', ms: 50 })));
      return performance.now() - started;
    };
    cold.push(await burst());
    for (let i = 0; i < BURSTS; i++) warmTimes.push(await burst());
    if (round === 0) rss = fn.environments().map((e) => rssMB(e.pid));
    coldStarts = Math.max(coldStarts, fn.coldStarts);
    await fn.stop();
  }
  return { cold, warm: warmTimes, rss, coldStarts };
};

const ms = (n: number) => `${n.toFixed(2)} ms`;
const row = (label: string, times: number[]) =>
  console.log(
    `${label.padEnd(34)} p50 ${ms(percentile(times, 50)).padStart(10)}  p99 ${ms(percentile(times, 99)).padStart(10)}`,
  );

// The functions' processes do not keep this one alive on their own.
const keepAlive = setInterval(() => {}, 1000);
const bareEvent = { hello: 'world', items: Array.from({ length: 20 }, (_, i) => ({ i })) };
// The SDK fixture fails fast on an unknown call after loading its clients: only the init differs.
const sdkEvent = { service: 'none' };
row(`cold start, bare handler (${COLD}x)`, await cold('lifecycle', bareEvent));
row(`cold start, AWS SDK handler (${COLD}x)`, await cold('aws-caller', sdkEvent));
row(`warm invoke, bare handler (${WARM}x)`, await warm('lifecycle', bareEvent));
const burst = await concurrent();
row(`${CONCURRENT} at once, cold (${COLD}x)`, burst.cold);
row(`${CONCURRENT} at once, warm (${COLD * BURSTS}x)`, burst.warm);
const total = burst.rss.reduce((a, b) => a + b, 0);
console.log(
  `RSS of ${burst.rss.length} environments: ${total.toFixed(1)} MB, ${(total / burst.rss.length).toFixed(1)} MB each (min ${Math.min(...burst.rss).toFixed(1)}, max ${Math.max(...burst.rss).toFixed(1)}); environments started per function: ${burst.coldStarts}`,
);
clearInterval(keepAlive);
