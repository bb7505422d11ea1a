import { defineFunction } from '@aws-amplify/backend';

export const search = defineFunction({
  name: 'search',
  entry: './handler.ts',
  runtime: 24,
  logging: { format: 'json', level: 'info', retention: '1 month' },
  timeoutSeconds: 10,
  memoryMB: 256,
  // A Lambda data source of the API, so it lives beside it.
  resourceGroupName: 'data',
});
