import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { functionLogSink } from './logs';

/**
 * Runs a deployed function bundle (the same index.mjs the cloud runs) in a
 * worker thread of its own, so that each function sees only its own
 * environment, as on Lambda. Invocations are messages; a handler that throws
 * or runs past its timeout fails the invocation, the worker stays up.
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
}

const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
if (workerData.caFile) {
  // Every TLS context made without its own CA list (the SDK's agents) also trusts the local CA.
  const tls = require('node:tls');
  const ca = require('node:fs').readFileSync(workerData.caFile, 'utf8');
  const create = tls.createSecureContext;
  tls.createSecureContext = (options) => {
    const context = create(options);
    if (!options || !options.ca) context.context.addCACert(ca);
    return context;
  };
}
let handler;
const load = import(pathToFileURL(workerData.entry).href).then((m) => {
  handler = m[workerData.exportName] ?? m.default?.[workerData.exportName];
  if (typeof handler !== 'function') throw new Error('the bundle exports no ' + workerData.exportName);
});
// The init phase: Lambda times it apart from the handler's own timeout.
load.then(
  () => parentPort.postMessage({ init: true }),
  (error) => parentPort.postMessage({ init: false, message: error?.message ?? String(error) }),
);
parentPort.on('message', async ({ id, event, deadline }) => {
  try {
    await load;
    const context = {
      functionName: workerData.name,
      awsRequestId: id,
      invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:' + workerData.name,
      memoryLimitInMB: '128',
      functionVersion: '$LATEST',
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      callbackWaitsForEmptyEventLoop: false,
    };
    const result = await handler(event, context);
    parentPort.postMessage({ id, ok: true, result });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, errorType: error?.name ?? 'Error', message: error?.message ?? String(error) });
  }
});
`;

/** Lambda's limit on a function's init phase (loading the bundle and its module scope). */
const INIT_TIMEOUT_MS = 10_000;

export class LocalFunction {
  private worker!: Worker;
  /** Settles when the bundle has loaded; invocations wait for it before their timeout starts. */
  private initialized!: Promise<void>;
  private initFailed = false;
  private readonly pending = new Map<
    string,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();

  constructor(readonly spec: FunctionSpec) {
    this.start();
  }

  /** A fresh execution environment: a worker that loads the bundle (the init phase). */
  private start(): void {
    const spec = this.spec;
    const [, exportName = 'handler'] = spec.handler.split('.');
    const worker = new Worker(WORKER_CODE, {
      eval: true,
      env: spec.env,
      workerData: { entry: spec.entry, exportName, name: spec.name, caFile: spec.caFile },
      stdout: true,
      stderr: true,
    });
    // The function's output reaches the terminal line by line, under its name.
    for (const [stream, print] of [
      [worker.stdout, (line: string) => process.stdout.write(`${line}\n`)],
      [worker.stderr, (line: string) => process.stderr.write(`${line}\n`)],
    ] as const) {
      const sink = functionLogSink(spec.name, print);
      stream.on('data', (chunk: Buffer) => sink.write(chunk));
      stream.on('end', () => sink.end());
    }
    let initDone: (error?: Error) => void = () => {};
    this.initFailed = false;
    this.initialized = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          initDone(
            new FunctionError(`INIT_REPORT Init Duration exceeded ${INIT_TIMEOUT_MS} ms`, 'Runtime.InitTimeout'),
          ),
        INIT_TIMEOUT_MS,
      );
      timer.unref();
      initDone = (error) => {
        clearTimeout(timer);
        if (error) {
          this.initFailed = true;
          reject(error);
        } else resolve();
      };
    });
    // An init failure is reported to the invocations waiting for it, not as an unhandled rejection.
    this.initialized.catch(() => {});
    worker.on(
      'message',
      (message: {
        id: string;
        ok: boolean;
        result?: unknown;
        errorType?: string;
        message?: string;
        init?: boolean;
      }) => {
        if (message.init !== undefined) {
          initDone(
            message.init ? undefined : new FunctionError(message.message ?? 'init failed', 'Runtime.ImportModuleError'),
          );
          return;
        }
        const call = this.pending.get(message.id);
        if (!call) return;
        this.pending.delete(message.id);
        clearTimeout(call.timer);
        if (message.ok) call.resolve(message.result);
        else call.reject(new FunctionError(message.message ?? 'Unknown error', message.errorType ?? 'Error'));
      },
    );
    worker.on('error', (error) => {
      for (const call of this.pending.values()) call.reject(error);
      this.pending.clear();
    });
    worker.unref();
    this.worker = worker;
  }

  /**
   * Invokes the handler with an event, as Lambda's RequestResponse invocation
   * does: after the init phase, the handler has the function's timeout.
   */
  async invoke(event: unknown): Promise<unknown> {
    // As on Lambda, an init that failed is tried again, in a fresh environment, by the next invocation.
    if (this.initFailed) {
      void this.worker.terminate();
      this.start();
    }
    await this.initialized;
    const id = randomUUID();
    const ms = this.spec.timeoutSeconds * 1000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new FunctionError(`Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`, 'Sandbox.Timedout'),
        );
      }, ms);
      this.pending.set(id, { resolve, reject, timer });
      this.worker.postMessage({ id, event: JSON.parse(JSON.stringify(event)), deadline: Date.now() + ms });
    });
  }

  async stop(): Promise<void> {
    for (const call of this.pending.values()) {
      clearTimeout(call.timer);
      call.reject(new FunctionError('The function was stopped or replaced during the invocation', 'Stopped'));
    }
    this.pending.clear();
    await this.worker.terminate();
  }
}
