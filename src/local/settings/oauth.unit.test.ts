import { afterEach, describe, expect, it } from 'vitest';
import { oauthSettingsOf } from './oauth';
import { localOutputs } from './outputs';
import { unsupportedFeaturesOf } from './support';
import { syntheticAssembly } from './test-assembly';

/** The auth stack of a Gen 2 backend with `externalProviders`, as it synthesizes (trimmed). */
const authStack = (oauthFlows = true) => ({
  Resources: {
    Pool: { Type: 'AWS::Cognito::UserPool', Properties: {} },
    Domain: { Type: 'AWS::Cognito::UserPoolDomain', Properties: { Domain: 'ea941b8be5', UserPoolId: { Ref: 'Pool' } } },
    Fetcher: {
      Type: 'Custom::AmplifySecretFetcherResource',
      Properties: {
        ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:f',
        secretNames: ['GOOGLE_CLIENT_ID'],
      },
    },
    GoogleIdP: {
      Type: 'AWS::Cognito::UserPoolIdentityProvider',
      Properties: {
        ProviderName: 'Google',
        ProviderType: 'Google',
        UserPoolId: { Ref: 'Pool' },
        AttributeMapping: { email: 'email', name: 'name' },
        ProviderDetails: {
          client_id: { 'Fn::GetAtt': ['Fetcher', 'GOOGLE_CLIENT_ID'] },
          client_secret: { 'Fn::GetAtt': ['Fetcher', 'GOOGLE_CLIENT_SECRET'] },
          authorize_scopes: 'email profile',
        },
      },
    },
    Client: {
      Type: 'AWS::Cognito::UserPoolClient',
      Properties: {
        UserPoolId: { Ref: 'Pool' },
        AllowedOAuthFlowsUserPoolClient: oauthFlows,
        AllowedOAuthFlows: ['code'],
        AllowedOAuthScopes: ['openid', 'email'],
        CallbackURLs: ['https://127.0.0.1:20040/'],
        LogoutURLs: ['https://127.0.0.1:20040/out'],
        SupportedIdentityProviders: [{ Ref: 'GoogleIdP' }, 'COGNITO'],
      },
    },
  },
});

describe('the hosted UI settings of an assembly', () => {
  const cleanups: Array<() => void> = [];
  const assemblyOf = (template: Record<string, unknown>) => {
    const { assembly, remove } = syntheticAssembly(template);
    cleanups.push(remove);
    return assembly;
  };
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('reads the domain, each provider (name, type, mapping, scopes) and the client’s OAuth settings', () => {
    // Act
    const settings = oauthSettingsOf(assemblyOf(authStack()));
    // Assess
    expect(settings).toEqual({
      domainPrefix: 'ea941b8be5',
      providers: [
        {
          name: 'Google',
          type: 'Google',
          attributeMapping: { email: 'email', name: 'name' },
          scopes: ['email', 'profile'],
        },
      ],
      client: {
        callbackUrls: ['https://127.0.0.1:20040/'],
        logoutUrls: ['https://127.0.0.1:20040/out'],
        allowedFlows: ['code'],
        allowedScopes: ['openid', 'email'],
        supportedProviders: ['Google', 'COGNITO'],
      },
    });
  });

  it('has no hosted UI when the client allows no OAuth flows', () => {
    expect(oauthSettingsOf(assemblyOf(authStack(false)))).toBeUndefined();
  });

  it('runs the domain, the identity providers and the secret fetcher', () => {
    expect(unsupportedFeaturesOf(assemblyOf(authStack()))).toEqual([]);
  });

  it('points oauth.domain at the local hosted UI and keeps the rest of what ampx writes', () => {
    // Prepare
    const oauth = {
      identity_providers: ['GOOGLE' as const],
      domain: 'ea941b8be5.auth.us-east-1.amazoncognito.com',
      scopes: ['openid'],
      redirect_sign_in_uri: ['https://127.0.0.1:20040/'],
      redirect_sign_out_uri: ['https://127.0.0.1:20040/out'],
      response_type: 'code' as const,
    };
    const config = {
      version: '1.4' as const,
      auth: { aws_region: 'us-east-1', user_pool_id: 'p', user_pool_client_id: 'c', oauth },
    };
    const local = {
      graphqlUrl: 'https://127.0.0.1:20002/graphql',
      userPoolEndpoint: 'http://127.0.0.1:20003',
      identityPool: false,
      storageEndpoint: undefined,
      caFile: 'ca.pem',
      outbox: 'outbox.jsonl',
      adminCredentialsFile: 'admin.json',
    };
    // Act
    const outputs = localOutputs(config, { ...local, oauthDomain: '127.0.0.1:20003' });
    const withoutHostedUi = localOutputs(config, local);
    // Assess
    expect(outputs.auth).toEqual({ ...config.auth, oauth: { ...oauth, domain: '127.0.0.1:20003' } });
    expect(withoutHostedUi.auth).toEqual(config.auth);
  });
});
