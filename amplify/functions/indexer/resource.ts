import { defineFunction } from '@aws-amplify/backend';

export const indexer = defineFunction({
  name: 'indexer',
  entry: './handler.ts',
  runtime: 24,
  logging: { format: 'json', level: 'info', retention: '1 month' },
  timeoutSeconds: 60,
  memoryMB: 512,
  // Triggered by the Note table stream, which lives in the data stack.
  resourceGroupName: 'data',
});
