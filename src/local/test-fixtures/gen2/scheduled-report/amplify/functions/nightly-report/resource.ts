import { defineFunction, secret } from '@aws-amplify/backend';

// As Gen 2's docs write a scheduled function that reads a secret; the default bundling.
export const nightlyReport = defineFunction({
  name: 'nightly-report',
  entry: './handler.ts',
  runtime: 24,
  schedule: 'every 1m',
  environment: { REPORT_TOKEN: secret('REPORT_TOKEN') },
});
