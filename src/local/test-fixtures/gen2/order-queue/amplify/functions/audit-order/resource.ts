import { defineFunction } from '@aws-amplify/backend';

export const auditOrder = defineFunction({ name: 'audit-order', entry: './handler.ts' });
