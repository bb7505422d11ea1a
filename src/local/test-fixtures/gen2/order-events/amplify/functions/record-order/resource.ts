import { defineFunction } from '@aws-amplify/backend';

export const recordOrder = defineFunction({ name: 'record-order', entry: './handler.ts', resourceGroupName: 'data' });
