/**
 * Synthesizes the Gen 2 backend to CloudFormation, offline.
 *
 *   npm run synth                      # sandbox synthesis into .amplify/synth/sandbox
 *   npm run synth -- --type branch --out .amplify/synth/branch --nag
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { synthesize } from '../src/local/cloud/synth';

export { synthesize };

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
