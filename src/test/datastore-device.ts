import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const DEVICE_SCRIPT = fileURLToPath(new URL('./datastore-device.cjs', import.meta.url));

type Json = Record<string, unknown>;

/** One DataStore device (datastore-device.cjs in a child process): commands over IPC, each answered or failed within a bound. */
export class Device {
  private readonly child: ChildProcess;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly up: Promise<void>;
  readonly problems: string[] = [];

  constructor(readonly name: string) {
    this.child = fork(DEVICE_SCRIPT, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.child.stderr?.on('data', () => undefined);
    this.up = new Promise((resolveUp) => {
      this.child.on('message', (message: { id: number; ok: boolean; result?: unknown; error?: string }) => {
        if (message.id === 0) return resolveUp();
        if (message.id === -1) return void this.problems.push(String(message.error));
        const call = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.ok) call?.resolve(message.result);
        else call?.reject(new Error(`${this.name}: ${message.error}`));
      });
    });
  }

  async send<T = unknown>(cmd: string, args: Json = {}, ms = 30_000): Promise<T> {
    await this.up;
    const id = this.next++;
    return new Promise<T>((resolveCall, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: ${cmd} took over ${ms} ms`)), ms);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolveCall(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ id, cmd, args });
    });
  }

  async quit(): Promise<void> {
    await this.send('quit', {}, 5000).catch(() => undefined);
    if (this.child.exitCode === null) this.child.kill();
  }
}
