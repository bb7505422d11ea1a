import { defineFunction } from '@aws-amplify/backend';

export const welcome = defineFunction({ name: 'welcome', resourceGroupName: 'auth' });
