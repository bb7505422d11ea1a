import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The console's UI bundle (React, Amplify UI, GraphiQL), built by esbuild on
 * the first page load and cached under `<cacheDir>/<hash>/`, where the hash
 * covers the UI's sources and the versions of what it bundles: a restart, or
 * a second backend, serves the cached files without building.
 */

export interface BuiltBundle {
  js: Buffer;
  css: Buffer;
  /** Whether this process built it (false: read from the cache). */
  built: boolean;
  ms: number;
}

export interface ConsoleBundle {
  get(): Promise<BuiltBundle>;
}

const UI_DIR = join(dirname(fileURLToPath(import.meta.url)), 'ui');
const BUNDLED = ['react', 'react-dom', 'graphiql', '@aws-amplify/ui-react', 'esbuild'];

const versionOf = (name: string): string => {
  try {
    const require = createRequire(import.meta.url);
    const pkg: unknown = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8'));
    return typeof pkg === 'object' && pkg !== null && 'version' in pkg ? String(pkg.version) : '?';
  } catch {
    return '?';
  }
};

/** The cache key: every UI source file and the bundled packages' versions. */
export const bundleHash = (uiDir: string = UI_DIR): string => {
  const hash = createHash('sha256');
  for (const file of readdirSync(uiDir).sort()) {
    if (file.includes('.test.')) continue;
    hash.update(file).update(readFileSync(join(uiDir, file)));
  }
  for (const name of BUNDLED) hash.update(`${name}@${versionOf(name)}`);
  return hash.digest('hex').slice(0, 16);
};

export const consoleBundle = (cacheDir: string): ConsoleBundle => {
  let pending: Promise<BuiltBundle> | undefined;
  const load = async (): Promise<BuiltBundle> => {
    const started = performance.now();
    const dir = join(cacheDir, bundleHash());
    const js = join(dir, 'console.js');
    const css = join(dir, 'console.css');
    let built = false;
    if (!existsSync(js) || !existsSync(css)) {
      const { build } = await import('esbuild');
      // Built beside, then renamed: a kill mid-build never leaves a half bundle in the cache.
      const tmp = `${dir}.${process.pid}.tmp`;
      rmSync(tmp, { recursive: true, force: true });
      await build({
        entryPoints: { console: join(UI_DIR, 'main.tsx') },
        bundle: true,
        format: 'iife',
        platform: 'browser',
        target: 'es2020',
        minify: true,
        outdir: tmp,
        jsx: 'automatic',
        define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
        loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl', '.svg': 'dataurl' },
        logLevel: 'silent',
      });
      mkdirSync(cacheDir, { recursive: true });
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
      built = true;
    }
    return { js: readFileSync(js), css: readFileSync(css), built, ms: performance.now() - started };
  };
  return {
    get: () => {
      pending ??= load().catch((error: unknown) => {
        // A failed build is tried again by the next page load.
        pending = undefined;
        throw error;
      });
      return pending;
    },
  };
};
