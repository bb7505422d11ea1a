import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendContext, type SynthOptions } from './synth';
import type { SynthReply, SynthRequest } from './synth-worker';

export interface WarmSynthResult {
  ok: boolean;
  ms: number;
  /** What the synthesis failed with: the file and line of a syntax error, or the transformer's message. */
  error?: string;
  /** Everything the synthesis printed (bundler and transformer messages). */
  output: string;
}

const WORKER = fileURLToPath(new URL('./synth-worker.ts', import.meta.url));
/** The worker keeps every import's modules; past this size it is replaced by a fresh one. */
const RECYCLE_RSS_BYTES = 1.5 * 1024 ** 3;

const isReply = (message: object): message is SynthReply =>
  'id' in message && typeof message.id === 'number' && 'ok' in message && typeof message.ok === 'boolean';

/**
 * The parent side of synth-worker.ts: one warm child process per project,
 * replaced when it grows too large, that synthesizes in about a second
 * instead of the seven a cold synthesis takes.
 */
export class WarmSynthesizer {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private nextId = 1;
  private output = '';
  private readonly pending = new Map<number, (reply: SynthReply) => void>();
  private closed = false;
  private started = 0;

  constructor(
    private readonly projectDir: string,
    private readonly options: {
      type?: SynthOptions['type'];
      /** Past this resident size after a synthesis, the worker is replaced. */
      recycleRssBytes?: number;
    } = {},
  ) {}

  /** How many worker processes this synthesizer has started. */
  get workersStarted(): number {
    return this.started;
  }

  /** Starts the worker (it loads the CDK and Amplify packages) without waiting for it. */
  start(): Promise<void> {
    if (this.ready) return this.ready;
    const tmpDir = resolve(this.projectDir, '.amplify', 'synth', 'tmp');
    mkdirSync(tmpDir, { recursive: true });
    this.started++;
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      cwd: this.projectDir,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, TMPDIR: tmpDir, AMPLIFY_DISABLE_TELEMETRY: '1', NODE_OPTIONS: '' },
    });
    this.child = child;
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.ready = new Promise<void>((done, fail) => {
      child.on('message', (message: unknown) => {
        if (typeof message !== 'object' || message === null) return;
        if ('ready' in message) done();
        if (isReply(message)) {
          const settle = this.pending.get(message.id);
          this.pending.delete(message.id);
          settle?.(message);
        }
      });
      child.on('exit', (code, signal) => {
        const reason = `the synthesis worker exited (${signal ?? `code ${code}`})\n${this.output}`;
        fail(new Error(reason));
        for (const [id, settle] of this.pending)
          settle({ id, ok: false, ms: 0, error: reason, rssBytes: 0 } satisfies SynthReply);
        this.pending.clear();
        if (this.child === child) {
          this.child = undefined;
          this.ready = undefined;
        }
      });
    });
    // Nobody may be waiting yet; an early exit is reported by the next synthesize().
    this.ready.catch(() => {});
    return this.ready;
  }

  /**
   * Synthesizes the project into outDir (emptied first). With skipBundling,
   * Lambda bundles are not rebuilt: the caller keeps the bundles it has.
   */
  async synthesize(options: { outDir: string; skipBundling: boolean }): Promise<WarmSynthResult> {
    if (this.closed) throw new Error('the synthesizer is closed');
    await this.start();
    const child = this.child;
    if (!child) throw new Error('the synthesis worker is not running');
    rmSync(options.outDir, { recursive: true, force: true });
    mkdirSync(options.outDir, { recursive: true });
    this.output = '';
    const id = this.nextId++;
    const request: SynthRequest = {
      id,
      backendFile: join(this.projectDir, 'amplify', 'backend.ts'),
      outDir: options.outDir,
      context: {
        ...backendContext(this.options.type ?? 'sandbox'),
        ...(options.skipBundling ? { 'aws:cdk:bundling-stacks': [] } : {}),
      },
    };
    const reply = await new Promise<SynthReply>((settle) => {
      this.pending.set(id, settle);
      child.send(request);
    });
    const output = this.output;
    if (reply.rssBytes > (this.options.recycleRssBytes ?? RECYCLE_RSS_BYTES)) this.recycle();
    return reply.ok ? { ok: true, ms: reply.ms, output } : { ok: false, ms: reply.ms, error: reply.error, output };
  }

  /** Replaces the worker with a fresh one, which starts loading at once. */
  private recycle(): void {
    const old = this.child;
    this.child = undefined;
    this.ready = undefined;
    old?.kill();
    void this.start();
  }

  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((done) => {
      child.once('exit', () => done());
      child.kill();
    });
  }
}
