import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // CDK bundles functions with esbuild, which fails inside worker threads.
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['amplify/**/*.unit.test.ts', 'scripts/**/*.unit.test.ts', 'src/**/*.unit.test.ts'],
          pool: 'forks',
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['src/**/*.integration.test.ts', 'scripts/**/*.integration.test.ts'],
          pool: 'forks',
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['src/**/*.e2e.test.ts'],
          pool: 'forks',
          globalSetup: ['src/test/e2e.global-setup.ts'],
          setupFiles: ['src/test/websocket.setup.ts', 'src/test/file-reader.setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
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
