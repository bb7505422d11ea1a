/**
 * What a developer sees on `npm start`: the lines it prints up to its ready
 * line, and how long a warm start takes (synthesis unchanged, data kept).
 *
 *   npm run bench:start
 *
 * Runs `tsx scripts/start.ts` (what `npm start` runs) three times on a
 * throwaway data folder with free ports and no watcher: once to warm the
 * synthesis cache and the data, then twice more; the figures are of the
 * last two. Time is from spawning the process to its ready line, so it
 * includes loading tsx and the code; "ready in" is the script's own figure.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/local/cloud/synth';
import { portFlag, SERVICES } from '../src/local/ports';

const DATA_DIR = join(PROJECT_ROOT, '.amplify', 'bench-start');
const READY = /^Local backend ready in ([\d.]+) s/;
const GIVE_UP_MS = 180_000;

interface Run {
  lines: string[];
  wallMs: number;
  selfSeconds: number;
}

const stop = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGINT');
  });

const startOnce = (): Promise<Run> =>
  new Promise((resolve, reject) => {
    const began = performance.now();
    const child = spawn(
      join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'),
      ['scripts/start.ts', '--data-dir', DATA_DIR, '--no-watch', ...SERVICES.flatMap((s) => [portFlag(s), '0'])],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: process.env },
    );
    const lines: string[] = [];
    let pending = '';
    const timer = setTimeout(() => {
      void stop(child);
      reject(new Error(`no ready line within ${GIVE_UP_MS} ms:\n${lines.join('\n')}`));
    }, GIVE_UP_MS);
    const take = (chunk: Buffer): void => {
      pending += chunk.toString('utf8');
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        const ready = READY.exec(line);
        if (ready) {
          clearTimeout(timer);
          const wallMs = performance.now() - began;
          void stop(child).then(() => resolve({ lines, wallMs, selfSeconds: Number(ready[1]) }));
        }
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!lines.some((l) => READY.test(l))) reject(new Error(`npm start exited (${code}):\n${lines.join('\n')}`));
    });
  });

const main = async (): Promise<void> => {
  rmSync(DATA_DIR, { recursive: true, force: true });
  const first = await startOnce();
  const warm = [await startOnce(), await startOnce()];
  const upToReady = (run: Run): number => run.lines.findIndex((l) => READY.test(l)) + 1;
  console.log(`first start (cache warm-up): ${(first.wallMs / 1000).toFixed(1)} s, ${upToReady(first)} lines`);
  for (const [i, run] of warm.entries()) {
    console.log(
      `warm start ${i + 1}: ${(run.wallMs / 1000).toFixed(1)} s from spawn to the ready line ` +
        `(the script's own "ready in" ${run.selfSeconds.toFixed(1)} s), ${upToReady(run)} lines up to it`,
    );
  }
  console.log('\nwhat the last warm start printed up to its ready line:');
  for (const line of (warm[1] ?? first).lines.slice(0, upToReady(warm[1] ?? first))) console.log(`| ${line}`);
  rmSync(DATA_DIR, { recursive: true, force: true });
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
