import { describe, expect, it } from 'vitest';
import { OPENSEARCH_ENGINE_VERSION, OPENSEARCH_INDEX, OPENSEARCH_SIZING } from '../custom/opensearch-domain';
import { Assembly, type FoundResource, isRecord, props } from './assembly';

const sandbox = new Assembly('sandbox');
const configured = new Assembly('configured');

const lambda = (assembly: Assembly, name: string): FoundResource => {
  const found = assembly
    .resources('AWS::Lambda::Function')
    .find((f) => new RegExp(`^${name}lambda[0-9A-F]{8}$`).test(f.logicalId));
  if (!found) throw new Error(`no ${name} function`);
  return found;
};

const environment = (assembly: Assembly, name: string): Record<string, unknown> => {
  const env = props(lambda(assembly, name)).Environment;
  return isRecord(env) && isRecord(env.Variables) ? env.Variables : {};
};

const roleIdOf = (assembly: Assembly, name: string): string => {
  const role = props(lambda(assembly, name)).Role;
  return isRecord(role) && Array.isArray(role['Fn::GetAtt']) ? String(role['Fn::GetAtt'][0]) : '';
};

/** The statements of the policies attached to a function's role, as [action, resource text] pairs. */
const grants = (assembly: Assembly, name: string, service: string): Array<[string, string]> => {
  const roleId = roleIdOf(assembly, name);
  return assembly
    .resources('AWS::IAM::Policy')
    .filter((p) => JSON.stringify(props(p).Roles).includes(roleId))
    .flatMap((p) => {
      const document = props(p).PolicyDocument;
      return isRecord(document) && Array.isArray(document.Statement) ? document.Statement.filter(isRecord) : [];
    })
    .flatMap((s) => [s.Action].flat().map((action): [string, string] => [String(action), JSON.stringify(s.Resource)]))
    .filter(([action]) => action.startsWith(`${service}:`));
};

/** The last literal piece of an ARN built with Fn::Join. */
const arnTail = (resource: string): string => {
  const parsed: unknown = JSON.parse(resource);
  const parts = isRecord(parsed) && Array.isArray(parsed['Fn::Join']) ? parsed['Fn::Join'][1] : [];
  return Array.isArray(parts) ? String(parts.at(-1)) : '';
};

describe('search on a new account (no CloudSearch domain): OpenSearch Service', () => {
  const domains = sandbox.resources('AWS::OpenSearchService::Domain');
  const domain = () => props(domains[0]);

  it('creates one small domain, encrypted at rest and between nodes, HTTPS with TLS 1.2+ only', () => {
    expect(domains).toHaveLength(1);
    expect(domains[0]?.file).toMatch(/data[0-9A-F]{8}\.nested/);
    expect(domain()).toMatchObject({
      EngineVersion: OPENSEARCH_ENGINE_VERSION,
      ClusterConfig: {
        InstanceType: OPENSEARCH_SIZING.sandbox.instanceType,
        InstanceCount: 1,
        DedicatedMasterEnabled: false,
        ZoneAwarenessEnabled: false,
      },
      EBSOptions: { EBSEnabled: true, VolumeType: 'gp3', VolumeSize: OPENSEARCH_SIZING.sandbox.volumeGiB },
      EncryptionAtRestOptions: { Enabled: true },
      NodeToNodeEncryptionOptions: { Enabled: true },
      DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-PFS-2023-10' },
    });
    expect(String(domain().DomainName)).toMatch(/^[a-z][a-z0-9-]{2,27}$/);
    // A sandbox domain is disposable.
    expect(domains[0]?.resource.DeletionPolicy).toBe('Delete');
  });

  it('admits only the two function roles, each to the methods and paths it uses', () => {
    const policy = domain().AccessPolicies;
    const statements = isRecord(policy) && Array.isArray(policy.Statement) ? policy.Statement.filter(isRecord) : [];
    const name = String(domain().DomainName);
    const allowed = statements.map((s) => ({
      effect: s.Effect,
      principal: JSON.stringify(s.Principal),
      action: s.Action,
      path: arnTail(JSON.stringify(s.Resource)),
    }));
    const indexerRole = JSON.stringify({ AWS: { 'Fn::GetAtt': [roleIdOf(sandbox, 'indexer'), 'Arn'] } });
    const searchRole = JSON.stringify({ AWS: { 'Fn::GetAtt': [roleIdOf(sandbox, 'search'), 'Arn'] } });
    expect(allowed).toEqual([
      { effect: 'Allow', principal: indexerRole, action: 'es:ESHttpPut', path: `:domain/${name}/${OPENSEARCH_INDEX}` },
      {
        effect: 'Allow',
        principal: indexerRole,
        action: 'es:ESHttpPost',
        path: `:domain/${name}/${OPENSEARCH_INDEX}/_bulk`,
      },
      {
        effect: 'Allow',
        principal: searchRole,
        action: 'es:ESHttpPost',
        path: `:domain/${name}/${OPENSEARCH_INDEX}/_search`,
      },
    ]);
    expect(JSON.stringify(policy)).not.toMatch(/"\*"|es:\*|ESHttpDelete/);
  });

  it('gives the roles the same grants in their own policies, and nothing else on OpenSearch', () => {
    const name = String(domain().DomainName);
    expect(grants(sandbox, 'indexer', 'es').map(([a, r]) => [a, arnTail(r)])).toEqual([
      ['es:ESHttpPut', `:domain/${name}/${OPENSEARCH_INDEX}`],
      ['es:ESHttpPost', `:domain/${name}/${OPENSEARCH_INDEX}/_bulk`],
    ]);
    expect(grants(sandbox, 'search', 'es').map(([a, r]) => [a, arnTail(r)])).toEqual([
      ['es:ESHttpPost', `:domain/${name}/${OPENSEARCH_INDEX}/_search`],
    ]);
    expect(grants(sandbox, 'indexer', 'cloudsearch')).toEqual([]);
  });

  it('tells both functions the engine, the endpoint, the index and the signing region', () => {
    for (const name of ['indexer', 'search']) {
      expect(environment(sandbox, name), name).toMatchObject({
        SEARCH_ENGINE: 'opensearch',
        OPENSEARCH_ENDPOINT: {
          'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [domains[0]?.logicalId, 'DomainEndpoint'] }]],
        },
        OPENSEARCH_INDEX,
        SEARCH_REGION: { Ref: 'AWS::Region' },
      });
      expect(environment(sandbox, name), name).not.toHaveProperty('CLOUDSEARCH_DOCUMENT_ENDPOINT');
    }
  });

  it('publishes no logs from a sandbox domain (the account-wide limit of 10 log resource policies)', () => {
    expect(domain().LogPublishingOptions).toBeUndefined();
    expect(sandbox.resources('AWS::Logs::ResourcePolicy')).toHaveLength(0);
  });
});

describe('search on an account with a CloudSearch domain', () => {
  it('creates no OpenSearch domain', () => {
    expect(configured.resources('AWS::OpenSearchService::Domain')).toHaveLength(0);
  });

  it("grants each function its one action on the domain, in the domain's region (from its endpoints)", () => {
    expect(grants(configured, 'indexer', 'cloudsearch')).toEqual([
      ['cloudsearch:document', expect.stringContaining('":cloudsearch:eu-west-1:"')],
    ]);
    expect(grants(configured, 'search', 'cloudsearch')).toEqual([
      ['cloudsearch:search', expect.stringContaining('":cloudsearch:eu-west-1:"')],
    ]);
    for (const name of ['indexer', 'search']) {
      expect(environment(configured, name), name).toMatchObject({
        SEARCH_ENGINE: 'cloudsearch',
        SEARCH_REGION: 'eu-west-1',
      });
      expect(grants(configured, name, 'es'), name).toEqual([]);
    }
  });
});
