import { defineFunction } from '@aws-amplify/backend';

export const onMediaDelete = defineFunction({ name: 'on-media-delete', entry: './handler.ts' });
