/**
 * Synthesizes the Gen 2 backend to CloudFormation, offline: no AWS
 * credentials and no CDK CLI. It does what `ampx` does inside (load
 * amplify/backend.ts with tsx, with the backend identifier as CDK context).
 *
 *   npm run synth                      # sandbox synthesis into .amplify/synth/sandbox
 *   npm run synth -- --type branch --out .amplify/synth/branch
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export interface SynthOptions {
  /** 'sandbox' (ampx sandbox) or 'branch' (Amplify Hosting). */
  type: 'sandbox' | 'branch';
  outDir: string;
  /** Extra environment, such as configuration or CDK_NAG=1. */
  env?: Record<string, string>;
  quiet?: boolean;
}

const ROOT = resolve(import.meta.dirname, '..');

/** Runs one synthesis in a child process and resolves with its duration in ms. */
export const synthesize = async (options: SynthOptions): Promise<number> => {
  const outDir = resolve(ROOT, options.outDir);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  // The GraphQL transformer leaves temp folders behind; keep them inside the ignored output.
  const tmpDir = resolve(outDir, '..', 'tmp');
  mkdirSync(tmpDir, { recursive: true });
  const context = {
    'amplify-backend-namespace': 'mobilebackend',
    'amplify-backend-name': options.type === 'sandbox' ? 'local' : 'main',
    'amplify-backend-type': options.type,
  };
  const started = performance.now();
  await new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'amplify/backend.ts')], {
      cwd: ROOT,
      stdio: options.quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      env: {
        ...process.env,
        ...options.env,
        CDK_OUTDIR: outDir,
        CDK_CONTEXT_JSON: JSON.stringify(context),
        TMPDIR: tmpDir,
        AMPLIFY_DISABLE_TELEMETRY: '1',
      },
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', fail);
    child.on('exit', (code) =>
      code === 0 ? done() : fail(new Error(`synthesis of ${options.type} failed with exit code ${code}\n${output}`)),
    );
  });
  return performance.now() - started;
};

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      type: { type: 'string', default: 'sandbox' },
      out: { type: 'string' },
      nag: { type: 'boolean', default: false },
    },
  });
  const type = values.type === 'branch' ? 'branch' : 'sandbox';
  const outDir = values.out ?? `.amplify/synth/${type}`;
  console.log(`synthesizing the ${type} backend into ${outDir} ...`);
  const ms = await synthesize({ type, outDir, env: values.nag ? { CDK_NAG: '1' } : {} });
  console.log(`done in ${(ms / 1000).toFixed(1)} s`);
};

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
