import type { AuthResources } from '@aws-amplify/plugin-types';
import { Aws } from 'aws-cdk-lib';
import type { BackendConfig } from './config';

/** The password policy: it satisfies cdk-nag AwsSolutions-COG1. */
export const PASSWORD_POLICY = {
  minimumLength: 12,
  requireLowercase: true,
  requireUppercase: true,
  requireNumbers: true,
  requireSymbols: true,
  temporaryPasswordValidityDays: 3,
} as const;

export const REFRESH_TOKEN_DAYS = 30;
export const ACCESS_AND_ID_TOKEN_MINUTES = 60;

/**
 * What defineAuth does not expose: the password policy, token lifetimes,
 * an identity pool that hands out no guest credentials, and, by
 * configuration, SES as the sender of Cognito's e-mail.
 */
export const hardenAuth = (resources: AuthResources, email: BackendConfig['authEmail']): void => {
  const { cfnUserPool, cfnUserPoolClient, cfnIdentityPool } = resources.cfnResources;
  cfnUserPool.policies = { passwordPolicy: PASSWORD_POLICY };
  cfnUserPoolClient.refreshTokenValidity = REFRESH_TOKEN_DAYS;
  cfnUserPoolClient.accessTokenValidity = ACCESS_AND_ID_TOKEN_MINUTES;
  cfnUserPoolClient.idTokenValidity = ACCESS_AND_ID_TOKEN_MINUTES;
  cfnUserPoolClient.tokenValidityUnits = { refreshToken: 'days', accessToken: 'minutes', idToken: 'minutes' };
  cfnUserPoolClient.preventUserExistenceErrors = 'ENABLED';
  cfnUserPoolClient.enableTokenRevocation = true;
  // Nothing in this backend is readable by anonymous callers.
  cfnIdentityPool.allowUnauthenticatedIdentities = false;
  if (email.from) {
    // Cognito's own sender allows a handful of e-mails a day; SES sends with the account's SES quota.
    cfnUserPool.emailConfiguration = {
      emailSendingAccount: 'DEVELOPER',
      from: email.from,
      sourceArn:
        email.sesIdentityArn ?? `arn:${Aws.PARTITION}:ses:${Aws.REGION}:${Aws.ACCOUNT_ID}:identity/${email.from}`,
    };
  }
};
