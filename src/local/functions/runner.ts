import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { formatLogLine, functionLabel } from './logs';
import { type NodeRuntime, nodeRuntimeFor } from './node-runtimes';

/**
 * Runs a deployed function bundle (the same index.mjs the cloud runs) as
 * Lambda does: in an execution environment of its own, a child process of
 * the Node.js major its template's Runtime names (`bootstrap.mjs`, speaking
 * to this runner over IPC like Lambda's runtime API), with only its own
 * environment. The init phase is timed apart (10 s); each invocation has the
 * function's timeout. A handler that throws fails its invocation and the
 * environment stays; one that times out, or an environment that crashes,
 * is replaced by a fresh one at the next invocation, as an init that failed is.
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
  /** Where the function's log lines go (each without its newline); default: this process's stdout or stderr, under the function's name. */
  log?: (line: string, stream: 'stdout' | 'stderr') => void;
}

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

export class LocalFunction {
  /** The Node.js binary the function runs on. */
  readonly node: NodeRuntime;
  private environment: Environment;
  private readonly retiring = new Set<Environment>();
  private stopped = false;
  private readonly listeners = new Set<(text: string) => void>();

  /** Starts the init phase at once, as a deployment does; throws `RuntimeUnavailableError` for a runtime not here. */
  constructor(readonly spec: FunctionSpec) {
    this.node = spec.runtime
      ? nodeRuntimeFor(spec.name, spec.runtime)
      : {
          runtime: `nodejs${process.versions.node.split('.')[0]}.x`,
          major: Number(process.versions.node.split('.')[0]),
          path: process.execPath,
          version: process.version,
        };
    this.environment = new Environment(spec, this.node, (line) => this.output(line));
  }

  /** Hears what the function writes to stdout and stderr, line by line; returns the unsubscribe. */
  onOutput(listener: (text: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private output(line: string): void {
    for (const listener of this.listeners) listener(`${line}\n`);
  }

  /**
   * Invokes the handler with an event, as Lambda's RequestResponse invocation
   * does: after the init phase, the handler has the function's timeout.
   */
  async invoke(event: unknown): Promise<unknown> {
    if (this.stopped) throw new FunctionError('The function was stopped or replaced', 'Stopped');
    // As on Lambda, an environment whose init failed (or that timed out or crashed) is replaced by the next invocation.
    if (this.environment.retired) {
      const old = this.environment;
      this.retiring.add(old);
      old.child.once('exit', () => this.retiring.delete(old));
      old.retire();
      this.environment = new Environment(this.spec, this.node, (line) => this.output(line));
    }
    const environment = this.environment;
    await environment.initialized;
    return environment.invoke(event, this.spec.timeoutSeconds);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([this.environment, ...this.retiring].map((environment) => environment.stop()));
  }
}
