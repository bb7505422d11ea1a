import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { PASSWORD_POLICY, REFRESH_TOKEN_DAYS } from '../custom/auth-hardening';
import { Assembly, props } from './assembly';

const sandbox = new Assembly('sandbox');
const configured = new Assembly('configured');

describe('Cognito user pool', () => {
  const auth = sandbox.assert('auth');

  it('signs in with a required, verified email', () => {
    auth.hasResourceProperties('AWS::Cognito::UserPool', {
      UsernameAttributes: ['email'],
      AutoVerifiedAttributes: ['email'],
      Schema: Match.arrayWith([Match.objectLike({ Name: 'email', Required: true })]),
      UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
    });
  });

  it('has a password policy that satisfies cdk-nag COG1', () => {
    auth.hasResourceProperties('AWS::Cognito::UserPool', {
      Policies: {
        PasswordPolicy: {
          MinimumLength: PASSWORD_POLICY.minimumLength,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        },
      },
    });
    expect(PASSWORD_POLICY.minimumLength).toBeGreaterThanOrEqual(8);
  });

  it('offers optional TOTP MFA and no SMS', () => {
    auth.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
    });
    auth.resourceCountIs('AWS::SNS::Topic', 0);
  });

  it('recovers accounts by email only', () => {
    auth.hasResourceProperties('AWS::Cognito::UserPool', {
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
    });
  });

  it('issues 30-day refresh tokens to an SRP client that hides whether a user exists', () => {
    expect(REFRESH_TOKEN_DAYS).toBe(30);
    auth.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      RefreshTokenValidity: 30,
      TokenValidityUnits: Match.objectLike({ RefreshToken: 'days' }),
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']),
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
    });
    const flows = props(sandbox.resources('AWS::Cognito::UserPoolClient')[0]).ExplicitAuthFlows;
    expect(flows).not.toContain('ALLOW_USER_PASSWORD_AUTH');
  });

  it('has an Admins group', () => {
    auth.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'Admins' });
  });

  it('runs the post-confirmation trigger', () => {
    auth.hasResourceProperties('AWS::Cognito::UserPool', {
      LambdaConfig: { PostConfirmation: { 'Fn::GetAtt': [Match.stringLikeRegexp('^postconfirmationlambda'), 'Arn'] } },
    });
  });

  it('hands out no guest credentials', () => {
    auth.hasResourceProperties('AWS::Cognito::IdentityPool', { AllowUnauthenticatedIdentities: false });
  });
});

describe('social sign-in', () => {
  it('is absent without configuration, so the backend deploys without its secrets', () => {
    expect(sandbox.resources('AWS::Cognito::UserPoolIdentityProvider')).toHaveLength(0);
  });

  it('adds Google, Apple and Facebook when configured, with secrets resolved at deploy time', () => {
    const providers = configured.resources('AWS::Cognito::UserPoolIdentityProvider').map((found) => props(found));
    expect(providers.map((p) => p.ProviderType).sort()).toEqual(['Facebook', 'Google', 'SignInWithApple']);
    for (const provider of providers) {
      // No literal client secret in the template: each comes from a secret resolved by a custom resource.
      expect(JSON.stringify(provider.ProviderDetails)).toMatch(/Fn::GetAtt/);
    }
    const client = props(configured.resources('AWS::Cognito::UserPoolClient')[0]);
    expect(client.CallbackURLs).toEqual(['myapp://callback/']);
    expect(client.LogoutURLs).toEqual(['myapp://signout/']);
  });
});
