/**
 * Measures each function's deployed bundle (index.mjs, minified, source map
 * excluded) and the synthesis time, and writes both into BENCHMARKS.md.
 *
 *   npm run bench:bundles
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { synthesize } from '../src/local/cloud/synth';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = '.amplify/synth/bench';
const TARGET_KB = 150;
const FUNCTIONS = ['postconfirmation', 'indexer', 'search', 'push'];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Maps function name → code asset hash, from every template in the assembly. */
const codeAssets = (dir: string): Map<string, string> => {
  const found = new Map<string, string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.template.json'))) {
    const template: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const resources = isRecord(template) && isRecord(template.Resources) ? template.Resources : {};
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (!isRecord(resource) || resource.Type !== 'AWS::Lambda::Function' || !isRecord(resource.Properties)) continue;
      const code = resource.Properties.Code;
      const key = isRecord(code) && typeof code.S3Key === 'string' ? code.S3Key : '';
      const name = FUNCTIONS.find((fn) => logicalId.startsWith(`${fn}lambda`));
      if (name && key) found.set(name, key.replace(/\.zip$/, ''));
    }
  }
  return found;
};

const main = async (): Promise<void> => {
  console.log('synthesizing the sandbox backend (cold: a fresh output folder) ...');
  const synthMs = await synthesize({ type: 'sandbox', outDir: OUT, quiet: true });
  console.log(`synthesis took ${(synthMs / 1000).toFixed(1)} s`);
  const dir = resolve(ROOT, OUT);
  const rows: string[] = [];
  let over = 0;
  for (const [name, hash] of codeAssets(dir)) {
    const bundle = join(dir, `asset.${hash}`, 'index.mjs');
    const bytes = statSync(bundle).size;
    const gzip = gzipSync(readFileSync(bundle)).length;
    const kb = bytes / 1024;
    if (kb > TARGET_KB) over += 1;
    rows.push(`| ${name} | ${kb.toFixed(1)} KB | ${(gzip / 1024).toFixed(1)} KB | ${kb <= TARGET_KB ? 'yes' : 'no'} |`);
    console.log(`${name}: ${kb.toFixed(1)} KB minified, ${(gzip / 1024).toFixed(1)} KB gzipped`);
  }
  if (rows.length !== FUNCTIONS.length) throw new Error(`found ${rows.length} of ${FUNCTIONS.length} function bundles`);
  const section = [
    '<!-- bundle-sizes:start -->',
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:bundles\` (node ${process.version}, ${process.arch}).`,
    `Synthesis of the whole backend: ${(synthMs / 1000).toFixed(1)} s.`,
    '',
    `| function | index.mjs (minified, no source map) | gzipped | within ${TARGET_KB} KB |`,
    '| --- | --- | --- | --- |',
    ...rows,
    '<!-- bundle-sizes:end -->',
  ].join('\n');
  const path = join(ROOT, 'BENCHMARKS.md');
  const current = readFileSync(path, 'utf8');
  const next = current.replace(/<!-- bundle-sizes:start -->[\s\S]*<!-- bundle-sizes:end -->/, section);
  if (next === current && !current.includes(section)) throw new Error('BENCHMARKS.md has no bundle-sizes markers');
  writeFileSync(path, next);
  console.log(`updated BENCHMARKS.md (${over} over the ${TARGET_KB} KB target)`);
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
