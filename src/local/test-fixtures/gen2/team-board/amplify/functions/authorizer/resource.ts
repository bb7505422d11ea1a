import { defineFunction } from '@aws-amplify/backend';

export const authorizer = defineFunction({ name: 'team-authorizer', entry: './handler.ts' });
