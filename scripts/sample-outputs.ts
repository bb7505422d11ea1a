/**
 * Writes amplify_outputs.sample.json: what a deploy of the fully configured
 * branch writes for its apps (version 1.5, the real storage paths, the model
 * introspection of our schema, the CDN URL), with placeholder ids. It
 * synthesizes that backend and runs ampx's own client-config generator over
 * the root stack's outputs (see simulated-outputs.ts).
 *
 *   npm run sample:outputs
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_VARIABLES, VARIANTS } from '../amplify/tests/variants';
import { PROJECT_ROOT, synthesize } from '../src/local/cloud/synth';
import { simulateOutputs } from './simulated-outputs';

export const SAMPLE_FILE = resolve(PROJECT_ROOT, 'amplify_outputs.sample.json');

/** The sample's text: what ampx writes (JSON.stringify with two spaces), plus a final newline. */
export const sampleText = (outputs: unknown): string => `${JSON.stringify(outputs, null, 2)}\n`;

const main = async (): Promise<void> => {
  const outDir = '.amplify/synth/sample';
  const variant = VARIANTS.configured;
  const cleared = Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, '']));
  console.log(`synthesizing the configured ${variant.type} backend into ${outDir} ...`);
  const ms = await synthesize({ type: variant.type, outDir, env: { ...cleared, ...variant.env }, quiet: true });
  console.log(`synthesized in ${Math.round(ms / 1000)} s; generating the outputs ...`);
  writeFileSync(SAMPLE_FILE, sampleText(await simulateOutputs(resolve(PROJECT_ROOT, outDir))));
  console.log(`wrote ${SAMPLE_FILE}`);
};

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
