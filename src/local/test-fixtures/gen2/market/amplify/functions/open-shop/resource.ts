import { defineFunction } from '@aws-amplify/backend';

export const openShop = defineFunction({ name: 'open-shop', entry: './handler.ts', resourceGroupName: 'data' });
