import { defineFunction } from '@aws-amplify/backend';

export const push = defineFunction({
  name: 'push',
  entry: './handler.ts',
  runtime: 24,
  logging: { format: 'json', level: 'info', retention: '1 month' },
  timeoutSeconds: 30,
  memoryMB: 256,
  // Triggered by the Message table stream and reads the Device table: both in the data stack.
  resourceGroupName: 'data',
});
