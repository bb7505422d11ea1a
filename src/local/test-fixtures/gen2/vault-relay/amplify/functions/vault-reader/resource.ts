import { defineFunction } from '@aws-amplify/backend';

export const vaultReader = defineFunction({ name: 'vault-reader', entry: './handler.ts', timeoutSeconds: 15 });
