import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { formatLogLine, functionLabel } from './logs';
import { type NodeRuntime, nodeRuntimeFor } from './node-runtimes';

/**
 * Runs a deployed function bundle (the same index.mjs the cloud runs) as
 * Lambda does: in execution environments of its own, each a child process of
 * the Node.js major its template's Runtime names (`bootstrap.mjs`, speaking
 * to this runner over IPC like Lambda's runtime API), with only its own
 * environment. Each environment runs one invocation at a time: a concurrent
 * invocation takes an idle warm one or starts another (a cold start, its init
 * timed apart, 10 s), up to the function's reserved concurrency or else the
 * local account's limit; beyond it an invocation is throttled. A handler that
 * throws fails its invocation and the environment stays; one that times out,
 * or an environment that crashes or whose init failed, is discarded and the
 * next invocation starts a fresh one. Idle environments are reaped.
 */

export class FunctionError extends Error {
  constructor(
    message: string,
    readonly errorType: string,
  ) {
    super(message);
    this.name = errorType;
  }
}

export interface FunctionSpec {
  name: string;
  /** Absolute path of the bundle's entry module. */
  entry: string;
  handler: string;
  timeoutSeconds: number;
  env: Record<string, string>;
  /**
   * A CA certificate file the function's TLS clients trust besides the
   * public ones: the local services' CA, as the cloud's endpoints have
   * publicly trusted certificates.
   */
  caFile?: string;
  /** The template's Runtime (`nodejs24.x`); without one, the host's Node runs the function. */
  runtime?: string;
  /** The template's MemorySize (MB, default 128): the heap limit, as Lambda's Node runtime sets it. */
  memoryMB?: number;
  /**
   * The template's ReservedConcurrentExecutions: at most this many
   * environments, and no share of the account's limit. Without one, the
   * function shares the account's unreserved concurrency.
   */
  reservedConcurrency?: number;
  /** The concurrency the function draws from when it reserves none; default: the process's account (`LOCAL_LAMBDA_CONCURRENCY`, 50). */
  account?: ConcurrencyAccount;
  /** How long an idle environment is kept warm (default `LOCAL_LAMBDA_IDLE_SECONDS`, 300 s). */
  idleSeconds?: number;
  /** Where the function's log lines go (each without its newline); default: this process's stdout or stderr, under the function's name. */
  log?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/** A Lambda error the caller sees as the service's own (`TooManyRequestsException`, HTTP 429). */
export class ThrottledError extends FunctionError {
  readonly statusCode = 429;
  constructor(
    readonly reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' | 'ConcurrentInvocationLimitExceeded',
  ) {
    super('Rate Exceeded.', 'TooManyRequestsException');
  }
}

const positiveNumber = (value: string | undefined, fallback: number): number => {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(n) && n >= 0 ? n : fallback;
};

/**
 * The account's concurrency: what functions without reserved concurrency
 * share. Lambda's default is 1,000 per Region; locally 50 (about 50 MB each,
 * so at most some 2.5 GB) keeps a burst from forking more processes than the
 * machine can hold, while an app's ordinary bursts are not throttled where a
 * default account would not throttle them.
 */
export class ConcurrencyAccount {
  private used = 0;
  constructor(readonly limit = positiveNumber(process.env.LOCAL_LAMBDA_CONCURRENCY, 50)) {}
  get inUse(): number {
    return this.used;
  }
  tryAcquire(): boolean {
    if (this.used >= this.limit) return false;
    this.used += 1;
    return true;
  }
  release(): void {
    this.used = Math.max(0, this.used - 1);
  }
}

/** The local account every function without one of its own draws from. */
export const defaultAccount = new ConcurrencyAccount();

/** Lambda's limit on a function's init phase (loading the bundle and its module scope). */
const INIT_TIMEOUT_MS = 10_000;
const BOOTSTRAP = fileURLToPath(new URL('./bootstrap.mjs', import.meta.url));

type Message =
  | { type: 'init'; ok: boolean; errorType?: string; message?: string }
  | { type: 'result'; id: string; ok: boolean; result?: unknown; errorType?: string; message?: string }
  | { type: 'fatal'; errorType: string; message: string };

const isMessage = (value: unknown): value is Message =>
  typeof value === 'object' &&
  value !== null &&
  'type' in value &&
  (value.type === 'init' || value.type === 'result' || value.type === 'fatal');

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** One execution environment: a process, its init phase and the invocations it runs. */
class Environment {
  readonly child: ChildProcess;
  /** Settles when the init phase has ended; invocations wait for it before their timeout starts. */
  readonly initialized: Promise<void>;
  readonly pending = new Map<string, Pending>();
  /** No further invocations go here: its init failed, it timed out, crashed or was stopped. */
  retired = false;
  /** Its CloudWatch log stream, as Lambda names one per environment. */
  readonly logStreamName: string;
  /** How long its init phase took (ms), once it has ended. */
  initDurationMs: number | undefined;
  /** Reaps it when it has been idle for a while. */
  idleTimer: NodeJS.Timeout | undefined;
  /** Why the process has ended, once it has. */
  private exited: FunctionError | undefined;
  private fatalError: FunctionError | undefined;
  /** Set by stop(): what the invocations still coming in fail with. */
  private stopped: FunctionError | undefined;

  constructor(spec: FunctionSpec, node: NodeRuntime, listen: (line: string) => void) {
    const [, exportName = 'handler'] = spec.handler.split('.');
    const memoryMB = spec.memoryMB ?? 128;
    // Lambda's Node.js bootstrap gives the heap the function's memory, less the new space.
    const newSpace = Math.floor(memoryMB / 64);
    const execArgv = [
      `--max-semi-space-size=${Math.max(1, Math.floor(newSpace / 2))}`,
      `--max-old-space-size=${memoryMB - newSpace}`,
    ];
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
    this.logStreamName = `${day}/[$LATEST]${randomUUID().replaceAll('-', '')}`;
    const initStarted = performance.now();
    const child = fork(BOOTSTRAP, [], {
      execPath: node.path,
      execArgv,
      cwd: dirname(spec.entry),
      env: {
        // What Lambda's environment has besides the function's own variables.
        AWS_EXECUTION_ENV: `AWS_Lambda_${node.runtime}`,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMB),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_NAME: spec.name,
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.name}`,
        AWS_LAMBDA_LOG_STREAM_NAME: this.logStreamName,
        LAMBDA_TASK_ROOT: dirname(spec.entry),
        _HANDLER: spec.handler,
        TZ: ':UTC',
        ...spec.env,
        // Node reads it at start, for every TLS client (the SDK's agents, fetch).
        ...(spec.caFile ? { NODE_EXTRA_CA_CERTS: spec.caFile } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.child = child;
    const label = functionLabel(spec.name);
    // The function's output reaches the terminal line by line, under its name (Powertools JSON made readable).
    const log =
      spec.log ??
      ((line: string, stream: 'stdout' | 'stderr') =>
        (stream === 'stdout' ? process.stdout : process.stderr).write(`${formatLogLine(label, line)}\n`));
    for (const stream of ['stdout', 'stderr'] as const) {
      const source = child[stream];
      if (!source) continue;
      createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
        log(line, stream);
        // And to whoever listens: the console's invoke shows an invocation's logs.
        listen(line);
      });
      // Its pipes keep this process alive no more than the process does.
      if ('unref' in source && typeof source.unref === 'function') source.unref();
    }
    // Lambda's platform line for a cold start: each new environment is one.
    const initStart = `INIT_START Runtime Version: ${node.runtime.replace(/^nodejs(\d+)\.x$/, 'nodejs:$1')}.${node.version}\tRuntime Version ARN: arn:aws:lambda:${spec.env.AWS_REGION ?? 'us-east-1'}::runtime:local`;
    log(initStart, 'stdout');
    listen(initStart);

    let initDone: (error?: FunctionError) => void = () => {};
    this.initialized = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          initDone(
            new FunctionError(`INIT_REPORT Init Duration exceeded ${INIT_TIMEOUT_MS} ms`, 'Runtime.InitTimeout'),
          ),
        INIT_TIMEOUT_MS,
      );
      initDone = (error) => {
        clearTimeout(timer);
        this.initDurationMs = performance.now() - initStarted;
        initDone = () => {};
        if (error) {
          this.retire();
          reject(error);
        } else resolve();
      };
    });
    // An init failure is reported to the invocations waiting for it, not as an unhandled rejection.
    this.initialized.catch(() => {});

    child.on('message', (raw: unknown) => {
      if (!isMessage(raw)) return;
      const message = raw;
      if (message.type === 'init') {
        initDone(
          message.ok
            ? undefined
            : new FunctionError(message.message ?? 'init failed', message.errorType ?? 'Runtime.ImportModuleError'),
        );
      } else if (message.type === 'fatal') {
        this.fatalError = new FunctionError(message.message, message.errorType);
      } else if (message.type === 'result') {
        const call = this.pending.get(message.id);
        if (!call) return;
        this.settle(message.id);
        if (message.ok) call.resolve(message.result);
        else call.reject(new FunctionError(message.message ?? 'Unknown error', message.errorType ?? 'Error'));
      }
    });
    const ended = (reason: FunctionError) => {
      if (this.exited) return;
      const error = this.stopped ?? reason;
      this.exited = error;
      this.retired = true;
      initDone(error);
      for (const [id, call] of this.pending) {
        this.settle(id);
        call.reject(error);
      }
    };
    child.on('exit', (code, signal) =>
      ended(
        this.fatalError ??
          new FunctionError(
            `Runtime exited with error: ${signal ? `signal: ${signal}` : `exit status ${code}`}`,
            'Runtime.ExitError',
          ),
      ),
    );
    child.on('error', (error) => ended(new FunctionError(error.message, 'Runtime.ExitError')));
    child.send({
      type: 'init',
      entry: spec.entry,
      handler: spec.handler,
      exportName,
      name: spec.name,
      memoryMB,
      logStreamName: this.logStreamName,
      functionArn: `arn:aws:lambda:${spec.env.AWS_REGION ?? 'us-east-1'}:000000000000:function:${spec.name}`,
    });
    // The functions' processes do not keep the backend's process alive.
    child.unref();
    child.channel?.unref();
  }

  invoke(event: unknown, timeoutSeconds: number): Promise<unknown> {
    const id = randomUUID();
    const ms = timeoutSeconds * 1000;
    return new Promise((resolve, reject) => {
      if (this.stopped || this.exited) {
        reject(this.stopped ?? this.exited);
        return;
      }
      const timer = setTimeout(() => {
        this.settle(id);
        // As on Lambda, the environment that timed out is not used again; its other calls may finish.
        this.retire();
        reject(new FunctionError(`Task timed out after ${timeoutSeconds.toFixed(2)} seconds`, 'Sandbox.Timedout'));
      }, ms);
      this.pending.set(id, { resolve, reject, timer });
      this.child.channel?.ref();
      this.child.send({
        type: 'invoke',
        id,
        event: JSON.parse(JSON.stringify(event ?? null)),
        deadline: Date.now() + ms,
      });
    });
  }

  private settle(id: string): void {
    const call = this.pending.get(id);
    if (!call) return;
    clearTimeout(call.timer);
    this.pending.delete(id);
    if (this.pending.size === 0) {
      this.child.channel?.unref();
      if (this.retired) this.kill();
    }
  }

  /** Takes no more invocations; ends when the ones in flight have. */
  retire(): void {
    this.retired = true;
    if (this.pending.size === 0) this.kill();
  }

  kill(): void {
    if (!this.exited && this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    this.stopped = new FunctionError('The function was stopped or replaced during the invocation', 'Stopped');
    this.retired = true;
    for (const [id, call] of this.pending) {
      this.settle(id);
      call.reject(this.stopped);
    }
    if (this.exited || this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.kill();
    await exited;
  }
}

/** How an invocation that finds the function at its concurrency limit is answered. */
export interface InvokeOptions {
  /**
   * `throw` (a synchronous invoke: the caller gets `TooManyRequestsException`)
   * or `wait` (an event source or asynchronous invoke: Lambda keeps the event
   * and retries it, so it runs when an environment frees up).
   */
  whenThrottled?: 'throw' | 'wait';
}

/** What a function's environments are, for tests, benchmarks and the console. */
export interface EnvironmentInfo {
  pid: number | undefined;
  logStreamName: string;
  busy: boolean;
  initDurationMs: number | undefined;
}

export class LocalFunction {
  /** The Node.js binary the function runs on. */
  readonly node: NodeRuntime;
  /** Warm environments with nothing to do, the most recently used last (Lambda reuses it first). */
  private readonly idle: Environment[] = [];
  private readonly busy = new Set<Environment>();
  /** Every process it has started that has not exited: stop() kills each. */
  private readonly processes = new Set<Environment>();
  /** Invocations waiting for a free slot (event sources), first come first served. */
  private readonly waiting: Array<() => void> = [];
  private inFlight = 0;
  private readonly account: ConcurrencyAccount;
  private readonly idleMs: number;
  private stopped = false;
  private readonly listeners = new Set<(text: string) => void>();
  /** How many environments it has started (cold starts). */
  coldStarts = 0;

  /** Starts one environment's init phase at once, as a deployment does; throws `RuntimeUnavailableError` for a runtime not here. */
  constructor(readonly spec: FunctionSpec) {
    this.node = spec.runtime
      ? nodeRuntimeFor(spec.name, spec.runtime)
      : {
          runtime: `nodejs${process.versions.node.split('.')[0]}.x`,
          major: Number(process.versions.node.split('.')[0]),
          path: process.execPath,
          version: process.version,
        };
    this.account = spec.account ?? defaultAccount;
    this.idleMs = 1000 * (spec.idleSeconds ?? positiveNumber(process.env.LOCAL_LAMBDA_IDLE_SECONDS, 300));
    if (this.limit > 0) this.parkIdle(this.startEnvironment());
  }

  /** The most invocations it runs at once: its reserved concurrency, else the account's limit. */
  get limit(): number {
    return this.spec.reservedConcurrency ?? this.account.limit;
  }

  /** Its environments now. */
  environments(): EnvironmentInfo[] {
    return [...this.processes].map((environment) => ({
      pid: environment.child.pid,
      logStreamName: environment.logStreamName,
      busy: this.busy.has(environment),
      initDurationMs: environment.initDurationMs,
    }));
  }

  /** Hears what the function writes to stdout and stderr, line by line; returns the unsubscribe. */
  onOutput(listener: (text: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private output(line: string): void {
    for (const listener of this.listeners) listener(`${line}\n`);
  }

  private startEnvironment(): Environment {
    const environment = new Environment(this.spec, this.node, (line) => this.output(line));
    this.coldStarts += 1;
    this.processes.add(environment);
    environment.child.once('exit', () => {
      this.processes.delete(environment);
      this.unpark(environment);
    });
    environment.child.once('error', () => {
      if (environment.child.pid === undefined) this.processes.delete(environment);
    });
    return environment;
  }

  private parkIdle(environment: Environment): void {
    if (this.stopped || environment.retired) {
      environment.retire();
      return;
    }
    this.idle.push(environment);
    environment.idleTimer = setTimeout(() => {
      // As Lambda does, an environment left idle for a while is shut down.
      this.unpark(environment);
      environment.retire();
    }, this.idleMs);
    environment.idleTimer.unref();
  }

  private unpark(environment: Environment): void {
    clearTimeout(environment.idleTimer);
    const at = this.idle.indexOf(environment);
    if (at >= 0) this.idle.splice(at, 1);
  }

  /** A slot of concurrency: the function's own, and the account's unless it reserves its own. */
  private tryAcquire(): ThrottledError | undefined {
    if (this.inFlight >= this.limit)
      return new ThrottledError(
        this.spec.reservedConcurrency === undefined
          ? 'ConcurrentInvocationLimitExceeded'
          : 'ReservedFunctionConcurrentInvocationLimitExceeded',
      );
    if (this.spec.reservedConcurrency === undefined && !this.account.tryAcquire())
      return new ThrottledError('ConcurrentInvocationLimitExceeded');
    this.inFlight += 1;
    return undefined;
  }

  private release(): void {
    this.inFlight -= 1;
    if (this.spec.reservedConcurrency === undefined) this.account.release();
    // The next waiting event runs (a slot of the account may be wanted by another function's; it retries then).
    this.waiting.shift()?.();
  }

  private async acquire(whenThrottled: 'throw' | 'wait'): Promise<void> {
    for (;;) {
      if (this.stopped) throw new FunctionError('The function was stopped or replaced', 'Stopped');
      const throttled = this.tryAcquire();
      if (!throttled) return;
      // No environment can ever run it (reserved concurrency 0): an event source's retries end as a failure.
      if (whenThrottled === 'throw' || this.limit === 0) throw throttled;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          const at = this.waiting.indexOf(wake);
          if (at >= 0) this.waiting.splice(at, 1);
          resolve();
        };
        // The account may free up through another function: look again after a while.
        const timer = setTimeout(wake, 100);
        timer.unref();
        this.waiting.push(wake);
      });
    }
  }

  /**
   * Invokes the handler with an event, as Lambda's RequestResponse invocation
   * does: in an idle environment, or a new one after its init phase; the
   * handler has the function's timeout.
   */
  async invoke(event: unknown, options: InvokeOptions = {}): Promise<unknown> {
    await this.acquire(options.whenThrottled ?? 'throw');
    try {
      if (this.stopped) throw new FunctionError('The function was stopped or replaced', 'Stopped');
      let environment = this.idle.pop();
      while (environment?.retired) environment = this.idle.pop();
      if (environment) clearTimeout(environment.idleTimer);
      else environment = this.startEnvironment();
      this.busy.add(environment);
      try {
        await environment.initialized;
        return await environment.invoke(event, this.spec.timeoutSeconds);
      } finally {
        this.busy.delete(environment);
        // One that timed out, crashed or failed its init is discarded: the next invocation starts afresh.
        this.parkIdle(environment);
      }
    } finally {
      this.release();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.waiting.splice(0)) wake();
    for (const environment of this.idle.splice(0)) clearTimeout(environment.idleTimer);
    // Every process it started is killed (by its pid) and waited for.
    await Promise.all([...this.processes].map((environment) => environment.stop()));
  }
}
