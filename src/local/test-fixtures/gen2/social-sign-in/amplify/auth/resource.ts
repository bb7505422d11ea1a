import { defineAuth, secret } from '@aws-amplify/backend';
import { welcome } from '../functions/welcome/resource';

export const auth = defineAuth({
  loginWith: {
    email: true,
    externalProviders: {
      google: {
        clientId: secret('GOOGLE_CLIENT_ID'),
        clientSecret: secret('GOOGLE_CLIENT_SECRET'),
        scopes: ['email', 'profile'],
        attributeMapping: { email: 'email', fullname: 'name' },
      },
      oidc: [
        {
          name: 'WorkSSO',
          clientId: secret('WORK_SSO_CLIENT_ID'),
          clientSecret: secret('WORK_SSO_CLIENT_SECRET'),
          issuerUrl: 'https://sso.example.com',
          scopes: ['openid', 'email'],
          attributeMapping: { email: 'email' },
        },
      ],
      callbackUrls: ['https://127.0.0.1:20040/', 'https://127.0.0.1:20040/callback'],
      logoutUrls: ['https://127.0.0.1:20040/signed-out'],
    },
  },
  triggers: { postConfirmation: welcome },
});
