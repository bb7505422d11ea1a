import { defineFunction } from '@aws-amplify/backend';

export const teamScore = defineFunction({ name: 'team-score', entry: './handler.ts' });
