import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { synthesize } from '../../src/local/cloud/synth';
import { CONFIG_VARIABLES, outDirOf, VARIANTS, type VariantName } from './variants';

/** Synthesizes both variants, with cdk-nag on, in parallel (one per core). A failed synthesis fails the run. */
export default async function setup(): Promise<void> {
  const cleared = Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, '']));
  const names = Object.keys(VARIANTS).filter((name): name is VariantName => name in VARIANTS);
  const timings = await Promise.all(
    names.map(async (name) => {
      const variant = VARIANTS[name];
      const ms = await synthesize({
        type: variant.type,
        outDir: outDirOf(name),
        env: { ...cleared, ...variant.env, CDK_NAG: '1' },
        quiet: true,
      });
      return [name, Math.round(ms)] as const;
    }),
  );
  writeFileSync(resolve('.amplify/synth/test-timings.json'), JSON.stringify(Object.fromEntries(timings), null, 2));
}
