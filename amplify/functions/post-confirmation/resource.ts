import { fileURLToPath } from 'node:url';
import { defineNodeFunction } from '../shared/node-function';

export const postConfirmation = defineNodeFunction({
  name: 'post-confirmation',
  entry: fileURLToPath(new URL('./handler.ts', import.meta.url)),
  timeoutSeconds: 10,
  memoryMB: 256,
  // A Cognito trigger: it must live with the user pool to avoid a stack cycle.
  resourceGroupName: 'auth',
});
