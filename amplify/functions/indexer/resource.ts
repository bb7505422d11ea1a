import { fileURLToPath } from 'node:url';
import { defineNodeFunction } from '../shared/node-function';

export const indexer = defineNodeFunction({
  name: 'indexer',
  entry: fileURLToPath(new URL('./handler.ts', import.meta.url)),
  timeoutSeconds: 60,
  memoryMB: 512,
  // Triggered by the Note table stream, which lives in the data stack.
  resourceGroupName: 'data',
});
