import { defineFunction } from '@aws-amplify/backend';

export const postConfirmation = defineFunction({
  name: 'post-confirmation',
  entry: './handler.ts',
  runtime: 24,
  logging: { format: 'json', level: 'info', retention: '1 month' },
  timeoutSeconds: 10,
  memoryMB: 256,
  // A Cognito trigger: it must live with the user pool to avoid a stack cycle.
  resourceGroupName: 'auth',
});
