import { defineFunction } from '@aws-amplify/backend';

export const postConfirm = defineFunction({
  name: 'post-confirm',
  entry: './handler.ts',
  environment: { STAFF_GROUP: 'Staff' },
  timeoutSeconds: 10,
});
