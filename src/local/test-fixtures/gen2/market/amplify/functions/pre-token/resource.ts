import { defineFunction } from '@aws-amplify/backend';

export const preToken = defineFunction({ name: 'pre-token', entry: './handler.ts' });
