import { defineAuth } from '@aws-amplify/backend';
import { postConfirm } from '../functions/post-confirm/resource';
import { preSignUp } from '../functions/pre-sign-up/resource';
import { preToken } from '../functions/pre-token/resource';

export const auth = defineAuth({
  loginWith: { email: true },
  userAttributes: {
    'custom:shop': { dataType: 'String', mutable: true, maxLen: 32 },
  },
  multifactor: { mode: 'OPTIONAL', totp: true },
  groups: ['Staff'],
  triggers: { preSignUp, postConfirmation: postConfirm, preTokenGeneration: preToken },
  access: (allow) => [allow.resource(postConfirm).to(['addUserToGroup'])],
});
