import { defineFunction } from '@aws-amplify/backend';

// Nothing triggers it: other functions invoke it.
export const signer = defineFunction({ name: 'signer', entry: './handler.ts' });
