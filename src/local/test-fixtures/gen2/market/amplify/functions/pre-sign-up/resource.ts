import { defineFunction } from '@aws-amplify/backend';

export const preSignUp = defineFunction({
  name: 'pre-sign-up',
  entry: './handler.ts',
  environment: { BLOCKED_DOMAIN: 'blocked.example', AUTO_DOMAIN: 'staff.example' },
});
