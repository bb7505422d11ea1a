import { defineFunction } from '@aws-amplify/backend';

export const onUpload = defineFunction({ name: 'on-upload', entry: './handler.ts' });
