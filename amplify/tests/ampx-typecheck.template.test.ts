import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
// ampx's own type-check step (run in a worker before every sandbox or pipeline deploy).
import { compileProject } from '../../node_modules/@aws-amplify/backend-deployer/lib/ts_compiler.js';

describe('ampx type-checks amplify/', () => {
  it('finds amplify/tsconfig.json and reports no errors', { timeout: 180_000 }, () => {
    const project = resolve(import.meta.dirname, '..');
    expect(existsSync(resolve(project, 'tsconfig.json'))).toBe(true);
    // Throws an AmplifyUserError with the diagnostics on any type error.
    expect(() => compileProject(project)).not.toThrow();
  });
});
