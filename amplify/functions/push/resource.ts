import { fileURLToPath } from 'node:url';
import { defineNodeFunction } from '../shared/node-function';

export const push = defineNodeFunction({
  name: 'push',
  entry: fileURLToPath(new URL('./handler.ts', import.meta.url)),
  timeoutSeconds: 30,
  memoryMB: 256,
  // Triggered by the Message table stream and reads the Device table: both in the data stack.
  resourceGroupName: 'data',
});
