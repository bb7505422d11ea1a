import { afterEach, describe, expect, it } from 'vitest';
import { authSettingsOf, userPoolOf } from './auth';
import { AmbiguousResourceError } from './resources';
import { cloudSearchOf } from './search';
import { syntheticAssembly } from './test-assembly';
import { UnsupportedFeatureError } from './unsupported';

const pool = (minimumLength: number) => ({
  Type: 'AWS::Cognito::UserPool',
  Properties: { Policies: { PasswordPolicy: { MinimumLength: minimumLength } } },
});
const group = (name: string, poolId: string) => ({
  Type: 'AWS::Cognito::UserPoolGroup',
  Properties: { GroupName: name, UserPoolId: { Ref: poolId }, Precedence: 3 },
});
const fn = (variables: Record<string, string>) => ({
  Type: 'AWS::Lambda::Function',
  Properties: { Handler: 'index.handler', Environment: { Variables: variables } },
});

describe('the local settings, read from the assembly', () => {
  const cleanups: Array<() => void> = [];
  const assemblyOf = (...args: Parameters<typeof syntheticAssembly>) => {
    const { assembly, remove } = syntheticAssembly(...args);
    cleanups.push(remove);
    return assembly;
  };
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('takes the user pool the userPoolId output names, through the nested auth stack, and only its groups', () => {
    // Prepare: a second pool (say, a custom stack's) comes first
    const assembly = assemblyOf(
      {
        Resources: { OtherPool: pool(20), OtherGroup: group('Others', 'OtherPool') },
        Outputs: { userPoolId: { Value: { 'Fn::GetAtt': ['auth', 'Outputs.authUserPoolRef'] } } },
      },
      {
        auth: {
          Resources: { AuthPool: pool(12), Admins: group('Admins', 'AuthPool') },
          Outputs: { authUserPoolRef: { Value: { Ref: 'AuthPool' } } },
        },
      },
    );
    // Act
    const settings = authSettingsOf(assembly);
    // Assess
    expect(userPoolOf(assembly)?.logicalId).toBe('AuthPool');
    expect(settings.passwordPolicy.minimumLength).toBe(12);
    expect(settings.groups).toEqual(['Admins']);
    expect(settings.groupRoles).toEqual({});
  });

  it("takes the pool the data API's user-pool mode names, through the parameter the root passes it", () => {
    // Prepare: Gen 2's shape: the auth stack outputs its pool, the root passes it to the data stack as a parameter
    const nested = {
      auth: { Resources: { AuthPool: pool(14) }, Outputs: { poolRef: { Value: { Ref: 'AuthPool' } } } },
      data: {
        Parameters: { referenceToPool: { Type: 'String' } },
        Resources: {
          Api: {
            Type: 'AWS::AppSync::GraphQLApi',
            Properties: {
              AuthenticationType: 'AMAZON_COGNITO_USER_POOLS',
              UserPoolConfig: { UserPoolId: { Ref: 'referenceToPool' } },
            },
          },
        },
      },
    };
    const parameters = { data: { referenceToPool: { 'Fn::GetAtt': ['auth', 'Outputs.poolRef'] } } };
    const assembly = assemblyOf({ Resources: { OtherPool: pool(20) } }, nested, parameters);
    const conflicting = assemblyOf(
      { Resources: { OtherPool: pool(20) }, Outputs: { userPoolId: { Value: { Ref: 'OtherPool' } } } },
      nested,
      parameters,
    );
    // Act / Assess
    expect(userPoolOf(assembly)?.logicalId).toBe('AuthPool');
    expect(authSettingsOf(assembly).passwordPolicy.minimumLength).toBe(14);
    expect(() => userPoolOf(conflicting)).toThrow(
      /name different user pools \(root\/OtherPool, root\/auth\/AuthPool\)/,
    );
  });

  it('takes the only user pool without an output, and none when there is none', () => {
    expect(userPoolOf(assemblyOf({ Resources: { Pool: pool(9) } }))?.logicalId).toBe('Pool');
    expect(userPoolOf(assemblyOf({ Resources: {} }))).toBeUndefined();
    expect(authSettingsOf(assemblyOf({ Resources: {} })).groups).toEqual([]);
  });

  it('refuses two user pools that no output tells apart, naming both', () => {
    const assembly = assemblyOf({ Resources: { PoolA: pool(8), PoolB: pool(8) } });
    expect(() => userPoolOf(assembly)).toThrow(AmbiguousResourceError);
    expect(() => authSettingsOf(assembly)).toThrow(/2 AWS::Cognito::UserPool resources \(root\/PoolA, root\/PoolB\)/);
  });

  it('runs no CloudSearch domain when no function uses one', () => {
    expect(cloudSearchOf(assemblyOf({ Resources: { Fn: fn({ TABLE: 't' }) } }))).toBeUndefined();
  });

  it("indexes the CloudSearch domain's text fields as the functions' environment declares them", () => {
    const fields = JSON.stringify([
      { name: 'owner', type: 'literal' },
      { name: 'title', type: 'text' },
      { name: 'tags', type: 'text-array' },
      { name: 'created', type: 'date' },
    ]);
    const assembly = assemblyOf({
      Resources: {
        Indexer: fn({ CLOUDSEARCH_DOCUMENT_ENDPOINT: 'doc-x', CLOUDSEARCH_INDEX_FIELDS: fields }),
        Search: fn({ CLOUDSEARCH_SEARCH_ENDPOINT: 'search-x' }),
      },
    });
    expect(cloudSearchOf(assembly)).toEqual({
      arn: 'arn:aws:cloudsearch:us-east-1:000000000000:domain/local',
      textFields: ['title', 'tags'],
    });
  });

  it('stops on a CloudSearch domain whose fields the assembly does not give, naming its functions', () => {
    const assembly = assemblyOf({ Resources: { Indexer: fn({ CLOUDSEARCH_DOCUMENT_ENDPOINT: 'doc-x' }) } });
    expect(() => cloudSearchOf(assembly)).toThrow(UnsupportedFeatureError);
    expect(() => cloudSearchOf(assembly)).toThrow(/CLOUDSEARCH_INDEX_FIELDS.*: root\/Indexer/);
  });
});
