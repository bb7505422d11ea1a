import { fileURLToPath } from 'node:url';
import { defineNodeFunction } from '../shared/node-function';

export const search = defineNodeFunction({
  name: 'search',
  entry: fileURLToPath(new URL('./handler.ts', import.meta.url)),
  timeoutSeconds: 10,
  memoryMB: 256,
  // A Lambda data source of the API, so it lives beside it.
  resourceGroupName: 'data',
});
