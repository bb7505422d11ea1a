import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { SERVICES } from '../local/ports';

/**
 * The backend as `npm start` runs it (scripts/start.ts in a child process),
 * for tests that drive it as an app or a person does: fixed ports (chosen
 * free once, then kept across restarts, as the defaults are), its own data
 * folder and outputs file.
 */
export interface NpmStartOptions {
  dataDir: string;
  outputsFile: string;
  /** One port per service; `freePorts()` picks them. */
  ports: Record<string, number>;
  reset?: boolean;
  /** How long the start may take (the first one synthesizes). Default 150 s. */
  timeoutMs?: number;
}

export interface NpmStart {
  child: ChildProcess;
  /** What it printed up to its ready banner. */
  output: string;
  /** SIGTERM, as Ctrl-C stops it (data kept); SIGKILL after 20 s. */
  stop(): Promise<void>;
}

/** Below Linux's ephemeral range (32768-60999), where outgoing connections cannot take a port between starts. */
const LOW = 21_000;
const HIGH = 32_000;

const isFree = (port: number): Promise<boolean> =>
  new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });

/** A free port on 127.0.0.1 for each local service, outside the ephemeral range, so a restart finds them free again. */
export const freePorts = async (): Promise<Record<string, number>> => {
  const taken = new Set<number>();
  const ports: Record<string, number> = {};
  for (const service of SERVICES) {
    for (let tries = 0; ; tries++) {
      if (tries > 200) throw new Error('no free port between 21000 and 32000');
      const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
      if (taken.has(port) || !(await isFree(port))) continue;
      taken.add(port);
      ports[service] = port;
      break;
    }
  }
  return ports;
};

export const npmStart = (options: NpmStartOptions): Promise<NpmStart> =>
  new Promise((done, reject) => {
    const args = ['--import', 'tsx', 'scripts/start.ts', '--data-dir', options.dataDir];
    args.push('--outputs', options.outputsFile, '--no-watch');
    for (const [service, port] of Object.entries(options.ports)) args.push(`--${service}-port`, String(port));
    if (options.reset) args.push('--reset');
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const stop = async (): Promise<void> => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    };
    const timeoutMs = options.timeoutMs ?? 150_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`npm start was not ready in ${timeoutMs / 1000} s:\n${output}`));
    }, timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        done({ child, output, stop });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
