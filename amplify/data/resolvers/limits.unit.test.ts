import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/limits';

// The APPSYNC_JS resolvers cannot import amplify/shared/limits.ts, so they repeat the limits
// they enforce. Read the resolver as text (importing it would need the AppSync runtime).
const resolverSource = (name: string): string => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');

/** The numeric values of every `const <name> = <number>;` declaration in a source text. */
const numericConstants = (source: string, name: string): number[] =>
  [...source.matchAll(new RegExp(`\\bconst\\s+${name}\\s*=\\s*([0-9_]+)\\s*;`, 'g'))].map((match) =>
    Number((match[1] ?? '').replaceAll('_', '')),
  );

describe('resolver limits', () => {
  it('resolve-recipient.js declares MESSAGE_BODY_MAX equal to LIMITS.messageBodyMax', () => {
    // Prepare
    const source = resolverSource('resolve-recipient.js');

    // Act
    const values = numericConstants(source, 'MESSAGE_BODY_MAX');

    // Assess
    expect(values).toEqual([LIMITS.messageBodyMax]);
  });

  it('resolve-recipient.js enforces MESSAGE_BODY_MAX on the body', () => {
    // Prepare
    const source = resolverSource('resolve-recipient.js');

    // Act & Assess
    expect(source).toMatch(/body\.length\s*>\s*MESSAGE_BODY_MAX/);
  });

  it('reads numeric constants, including ones written with separators', () => {
    // Act & Assess: guards the parser above against passing vacuously.
    expect(numericConstants('const MESSAGE_BODY_MAX = 2_000;', 'MESSAGE_BODY_MAX')).toEqual([2000]);
    expect(numericConstants('const OTHER = 5;', 'MESSAGE_BODY_MAX')).toEqual([]);
  });
});
