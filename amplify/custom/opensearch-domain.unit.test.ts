import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import type { DeploymentType } from './data-protection';
import { domainNameFor, OPENSEARCH_SIZING, OpenSearchNotes } from './opensearch-domain';

const synth = (type: DeploymentType, instanceType?: string): Template => {
  const stack = new Stack(new App(), 'Search');
  const role = (id: string) => new Role(stack, id, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  new OpenSearchNotes(stack, 'Notes', {
    type,
    backendName: 'amplify-mobilebackend-main-branch-0713c880f9',
    instanceType,
    writer: role('Writer'),
    reader: role('Reader'),
  });
  return Template.fromStack(stack);
};

describe('OpenSearchNotes', () => {
  // The first synthesis loads aws-cdk-lib.
  it('gives a branch deploy two nodes in two Availability Zones, retained, with logs', { timeout: 30_000 }, () => {
    // Act
    const template = synth('branch');

    // Assess
    template.hasResource('AWS::OpenSearchService::Domain', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        ClusterConfig: {
          InstanceType: OPENSEARCH_SIZING.branch.instanceType,
          InstanceCount: 2,
          DedicatedMasterEnabled: false,
          ZoneAwarenessEnabled: true,
          ZoneAwarenessConfig: { AvailabilityZoneCount: 2 },
        },
        LogPublishingOptions: {
          ES_APPLICATION_LOGS: Match.objectLike({ Enabled: true }),
          SEARCH_SLOW_LOGS: Match.objectLike({ Enabled: true }),
          INDEX_SLOW_LOGS: Match.objectLike({ Enabled: true }),
        },
      }),
    });
    const policies = template.findResources('AWS::Logs::ResourcePolicy');
    expect(Object.keys(policies)).toHaveLength(1);
    const document = JSON.stringify(Object.values(policies)[0]?.Properties?.PolicyDocument);
    expect(document).toContain('es.amazonaws.com');
    expect(document).toContain('aws:SourceArn');
  });

  it('takes an instance type from configuration', () => {
    // Act & Assess
    synth('sandbox', 'm7g.large.search').hasResourceProperties('AWS::OpenSearchService::Domain', {
      ClusterConfig: Match.objectLike({ InstanceType: 'm7g.large.search', InstanceCount: 1 }),
    });
  });
});

describe('domainNameFor', () => {
  it.each([
    'amplify-mobilebackend-local-sandbox-969bba2eb4',
    'amplify-mobilebackend-main-branch-0713c880f9',
    'amplify-x',
    `amplify-${'verylongappname'.repeat(6)}-branch-0123456789`,
    'AMPLIFY_Weird.Name',
  ])('gives a valid OpenSearch domain name for %s', (stackName) => {
    // Act
    const name = domainNameFor(stackName);

    // Assess
    expect(name).toMatch(/^[a-z][a-z0-9-]{2,27}$/);
    expect(domainNameFor(stackName)).toBe(name);
  });

  it('tells apart backends whose names share a long prefix', () => {
    // Prepare
    const base = `amplify-${'sharedprefix'.repeat(3)}`;

    // Act & Assess
    expect(domainNameFor(`${base}-main-branch-0001`)).not.toBe(domainNameFor(`${base}-main-branch-0002`));
  });
});
