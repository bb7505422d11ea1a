import { fileURLToPath } from 'node:url';
import { defineNodeFunction } from '../shared/node-function';

export const restApi = defineNodeFunction({
  name: 'rest-api',
  entry: fileURLToPath(new URL('./handler.ts', import.meta.url)),
  timeoutSeconds: 10,
  memoryMB: 256,
  // Behind the REST API, in the REST API's own stack.
  resourceGroupName: 'rest-api',
});
