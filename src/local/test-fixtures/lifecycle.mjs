// A function bundle for the runner's tests: reports where it runs, and misbehaves on request
// (a failing init, a slow or spinning handler, a crash, an unhandled rejection, logs).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';

// The first init fails when asked to: Lambda retries it in a fresh environment at the next invocation.
const counter = process.env.INIT_COUNTER_FILE;
if (counter) {
  const attempts = (existsSync(counter) ? Number(readFileSync(counter, 'utf8')) : 0) + 1;
  writeFileSync(counter, String(attempts));
  if (attempts === 1) throw new Error('the first init fails');
}
const loadedAt = Date.now();
// Module-level state is per execution environment: one invocation at a time adds to it.
let invocations = 0;

export const handler = async (event, context) => {
  invocations += 1;
  const count = invocations;
  if (event?.op === 'sleep') await new Promise((resolve) => setTimeout(resolve, event.ms));
  if (event?.op === 'spin') for (;;);
  if (event?.op === 'exit') process.exit(3);
  if (event?.op === 'reject') {
    Promise.reject(new Error('nobody waits for this'));
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  if (event?.op === 'throw') throw Object.assign(new Error('bad input'), { name: 'ValidationError' });
  if (event?.op === 'log') {
    console.log('a line on stdout');
    console.error('a line on stderr');
  }
  return {
    event,
    node: process.version,
    pid: process.pid,
    count,
    logStreamName: context.logStreamName,
    logStreamEnv: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    loadedAt,
    memoryLimitInMB: context.memoryLimitInMB,
    heapLimitMB: Math.round(getHeapStatistics().heap_size_limit / 1024 / 1024),
    remainingMs: context.getRemainingTimeInMillis(),
    env: {
      AWS_EXECUTION_ENV: process.env.AWS_EXECUTION_ENV,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      TZ: process.env.TZ,
      OWN: process.env.OWN,
      HOME: process.env.HOME,
    },
    date: new Date(0),
  };
};
