import { fileURLToPath } from 'node:url';
import { defineNodeFunction } from '../shared/node-function';

export const conflictHandler = defineNodeFunction({
  name: 'conflict-handler',
  entry: fileURLToPath(new URL('./handler.ts', import.meta.url)),
  timeoutSeconds: 5,
  memoryMB: 256,
  // Invoked by the API's model resolvers, so it lives beside them.
  resourceGroupName: 'data',
});
