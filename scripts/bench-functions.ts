/**
 * Cold start and warm invoke latency of the local functions runtime, on this
 * machine:
 *
 *   npm run bench:functions
 *
 * - cold: from `new LocalFunction(spec)` to the first invocation's result
 *   (the init phase included), for a bare handler and for one that loads the
 *   AWS SDK (S3 and DynamoDB clients);
 * - warm: one invocation at a time on a started function (p50, p99).
 */
import { resolve } from 'node:path';
import { LocalFunction } from '../src/local/functions/runner';

const COLD = Number(process.env.BENCH_COLD ?? 10);
const WARM = Number(process.env.BENCH_WARM ?? 500);

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
clearInterval(keepAlive);
