import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyProject } from '../../test/project-copy';
import { WarmSynthesizer } from './warm-synth';

const project = copyProject('warm-synth-integration');
const out = (name: string) => join(project.dir, '.amplify', 'synth', 'test', name);
// Every synthesis goes past a 1-byte limit, so every one replaces the worker.
const synthesizer = new WarmSynthesizer(project.dir, { recycleRssBytes: 1 });

afterAll(async () => {
  await synthesizer.close();
});

const templates = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.template.json'));

describe('WarmSynthesizer', () => {
  it('synthesizes the project without bundling, and a replaced worker synthesizes again', async () => {
    const first = await synthesizer.synthesize({ outDir: out('first'), skipBundling: true });
    expect(first.error).toBeUndefined();
    expect(templates(out('first')).length).toBeGreaterThan(5);
    // Without bundling no function bundle is built: no asset folder holds an index.mjs.
    expect(readdirSync(out('first')).some((f) => existsSync(join(out('first'), f, 'index.mjs')))).toBe(false);

    const second = await synthesizer.synthesize({ outDir: out('second'), skipBundling: false });
    expect(second.error).toBeUndefined();
    // The first worker, and a fresh one started (warming up at once) after each synthesis.
    expect(synthesizer.workersStarted).toBe(3);
    expect(readdirSync(out('second')).some((f) => existsSync(join(out('second'), f, 'index.mjs')))).toBe(true);
  }, 120_000);

  it('reports a broken backend with its file and line, and keeps working after it', async () => {
    project.edit('amplify/backend.ts', (text) => `${text}\nconst broken = ;\n`);
    const broken = await synthesizer.synthesize({ outDir: out('broken'), skipBundling: true });
    expect(broken.ok).toBe(false);
    expect(broken.error).toMatch(/amplify\/backend\.ts:\d+:\d+/);

    project.edit('amplify/backend.ts', (text) => text.replace('\nconst broken = ;\n', ''));
    const fixed = await synthesizer.synthesize({ outDir: out('fixed'), skipBundling: true });
    expect(fixed.error).toBeUndefined();
    expect(templates(out('fixed')).length).toBe(templates(out('first')).length);
  }, 120_000);
});
