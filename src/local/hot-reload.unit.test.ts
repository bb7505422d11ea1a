import { describe, expect, it } from 'vitest';
import { bundlingChanged, describeReport, isRelevantChange, planReload } from './hot-reload';

const ROOT = '/project';

describe('planReload', () => {
  const inputs = new Set(['/project/amplify/functions/search/core.ts', '/project/amplify/shared/limits.ts']);

  it('keeps the bundles when only the schema, a rule or backend.ts changed', () => {
    expect(
      planReload(['amplify/data/resource.ts', 'amplify/storage/resource.ts', 'amplify/backend.ts'], inputs, ROOT),
    ).toEqual({
      bundle: false,
    });
  });

  it('rebuilds them when function code, a file bundled into a function, or the dependencies changed', () => {
    expect(planReload(['amplify/functions/push/handler.ts'], inputs, ROOT)).toMatchObject({ bundle: true });
    expect(planReload(['amplify/shared/limits.ts'], inputs, ROOT)).toEqual({
      bundle: true,
      reason: 'amplify/shared/limits.ts is bundled into a function',
    });
    expect(planReload(['package-lock.json'], inputs, ROOT)).toMatchObject({ bundle: true });
  });
});

describe('isRelevantChange', () => {
  it('ignores editor swap and backup files, dotfiles and tests', () => {
    for (const file of [
      'amplify/data/.resource.ts.swp',
      'amplify/data/resource.ts~',
      'amplify/data/4913',
      'amplify/data/.#resource.ts',
      'amplify/functions/search/core.unit.test.ts',
    ])
      expect(isRelevantChange(file), file).toBe(false);
    expect(isRelevantChange('amplify/data/resource.ts')).toBe(true);
    expect(isRelevantChange('amplify/data/resolvers/store-message.js')).toBe(true);
  });
});

describe('describeReport', () => {
  const base = {
    generation: 3,
    files: ['amplify/data/resource.ts'],
    bundled: false,
    synthMs: 900,
    applyMs: 800,
    servedMs: 1300,
    totalMs: 1800,
    warnings: [],
  };

  it('says a failed reload keeps the previous version and shows the error', () => {
    const line = describeReport({ ...base, ok: false, error: 'resource.ts:10:10: ERROR: Expected identifier' });
    expect(line).toMatch(/reload 3 FAILED/);
    expect(line).toMatch(/previous version keeps serving/);
    expect(line).toMatch(/resource\.ts:10:10/);
  });

  it('gives the timings and the warnings of a successful one', () => {
    const line = describeReport({ ...base, ok: true, warnings: ['1 subscription(s) no longer match'] });
    expect(line).toMatch(/serving in 1\.30 s, outputs in 1\.80 s/);
    expect(line).toMatch(/warning: 1 subscription/);
  });
});

describe('bundlingChanged', () => {
  const baseline = new Map([
    ['root/data/indexer', 'aaa'],
    ['root/data/search', 'bbb'],
  ]);

  it('keeps the bundles only when every function would be bundled as before', () => {
    expect(bundlingChanged(new Map(baseline), baseline)).toBe(false);
    expect(bundlingChanged(new Map([...baseline, ['root/data/search', 'ccc']]), baseline)).toBe(true);
    expect(bundlingChanged(new Map([...baseline, ['root/data/new', 'ddd']]), baseline)).toBe(true);
  });

  it('rebuilds them when the running bundles have no known settings', () => {
    expect(bundlingChanged(new Map(baseline), undefined)).toBe(true);
  });
});
