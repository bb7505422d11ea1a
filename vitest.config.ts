import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // CDK bundles functions with esbuild, which fails inside worker threads.
    pool: 'forks',
    projects: [
      {
        test: {
          name: 'unit',
          include: ['amplify/**/*.unit.test.ts', 'scripts/**/*.unit.test.ts', 'src/**/*.unit.test.ts'],
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['src/**/*.integration.test.ts'],
          pool: 'forks',
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'template',
          include: ['amplify/**/*.template.test.ts'],
          pool: 'forks',
          // Synthesizes the backend (two variants) once for every template test.
          globalSetup: ['amplify/tests/synth.global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
