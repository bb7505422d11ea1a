import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Offline synthesis of the Gen 2 backend: what `ampx` does inside (load
 * amplify/backend.ts with tsx, with the backend identifier as CDK context),
 * with no AWS credentials and no CDK CLI.
 */

export interface SynthOptions {
  /** 'sandbox' (ampx sandbox) or 'branch' (Amplify Hosting). */
  type: 'sandbox' | 'branch';
  outDir: string;
  /** Extra environment, such as configuration or CDK_NAG=1. */
  env?: Record<string, string>;
  quiet?: boolean;
  /** The project whose amplify/ is synthesized. Default: this repository. */
  projectDir?: string;
}

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const ROOT = PROJECT_ROOT;

/** The CDK context `ampx` gives a synthesis: the backend identifier. */
export const backendContext = (type: SynthOptions['type']): Record<string, string> => ({
  'amplify-backend-namespace': 'mobilebackend',
  'amplify-backend-name': type === 'sandbox' ? 'local' : 'main',
  'amplify-backend-type': type,
});

/** Runs one synthesis in a child process and resolves with its duration in ms. */
export const synthesize = async (options: SynthOptions): Promise<number> => {
  const root = options.projectDir ?? ROOT;
  const outDir = resolve(root, options.outDir);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  // The GraphQL transformer leaves temp folders behind; keep them inside the ignored output.
  const tmpDir = resolve(outDir, '..', 'tmp');
  mkdirSync(tmpDir, { recursive: true });
  const context = backendContext(options.type);
  const started = performance.now();
  await new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, 'amplify/backend.ts')], {
      cwd: root,
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

/** A hash of everything a synthesis reads: the amplify/ sources and the locked dependency versions. */
export const sourceHash = (root: string = ROOT): string => {
  const lockRoot = existsSync(join(root, 'package-lock.json')) ? root : ROOT;
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!/\.(unit|template|integration|e2e)\.test\.ts$/.test(name)) {
        hash.update(relative(root, path));
        hash.update(readFileSync(path));
      }
    }
  };
  walk(join(root, 'amplify'));
  for (const file of ['package-lock.json', 'package.json']) {
    if (existsSync(join(lockRoot, file))) hash.update(readFileSync(join(lockRoot, file)));
  }
  return hash.digest('hex');
};

/** Synthesizes into outDir unless the last synthesis there came from the same sources. */
export const synthesizeCached = async (options: SynthOptions): Promise<{ cached: boolean; ms: number }> => {
  const outDir = resolve(options.projectDir ?? ROOT, options.outDir);
  const keyFile = join(outDir, '.source-hash');
  const key = sourceHash(options.projectDir);
  if (existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key) return { cached: true, ms: 0 };
  const ms = await synthesize(options);
  writeFileSync(keyFile, key);
  return { cached: false, ms };
};
