import { defineAuth } from '@aws-amplify/backend';
import { postConfirmation } from '../functions/post-confirmation/resource';
import { externalProviders, parseSocialConfig } from './social-providers';

const social = externalProviders(parseSocialConfig(process.env));

export const auth = defineAuth({
  loginWith: {
    email: {
      verificationEmailStyle: 'CODE',
      verificationEmailSubject: 'Your verification code',
      verificationEmailBody: (createCode) => `Your verification code is ${createCode()}`,
    },
    ...(social && { externalProviders: social }),
  },
  userAttributes: {
    email: { required: true, mutable: true },
  },
  // TOTP only: SMS would need an SNS role, spend limits and toll-fraud controls for little gain.
  multifactor: { mode: 'OPTIONAL', totp: true },
  accountRecovery: 'EMAIL_ONLY',
  groups: ['Admins'],
  triggers: { postConfirmation },
});
