import { defineFunction } from '@aws-amplify/backend';

export const fulfilOrder = defineFunction({
  name: 'fulfil-order',
  entry: './handler.ts',
  timeoutSeconds: 2,
});
