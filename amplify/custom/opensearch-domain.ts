import { Aws, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Effect, type IRole, PolicyDocument, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnResourcePolicy, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnDomain } from 'aws-cdk-lib/aws-opensearchservice';
import { Construct } from 'constructs';
import type { DeploymentType } from './data-protection';

/** The one index the functions use; its mapping is created by the indexer (`PUT /notes`). */
export const OPENSEARCH_INDEX = 'notes';
export const OPENSEARCH_ENGINE_VERSION = 'OpenSearch_2.19';

/**
 * Per deployment type: a sandbox gets the cheapest single node; a branch
 * (production) deploy two nodes in two Availability Zones, so an AZ outage or
 * a blue/green update never takes search down. Prices: us-east-1 on-demand.
 */
export const OPENSEARCH_SIZING = {
  sandbox: { instanceType: 't3.small.search', instanceCount: 1, volumeGiB: 10 },
  branch: { instanceType: 'm7g.medium.search', instanceCount: 2, volumeGiB: 20 },
} as const;

export interface OpenSearchNotesProps {
  type: DeploymentType;
  /** The backend's root stack name, a plain string (nested stack names are tokens). */
  backendName: string;
  instanceType?: string;
  /** The indexer's role: may create the index and write to it through `_bulk`. */
  writer: IRole;
  /** The search function's role: may only run `_search` on the index. */
  reader: IRole;
}

/**
 * An Amazon OpenSearch Service domain for notes search. Access is IAM only:
 * the domain's resource policy names the two function roles and the exact
 * HTTP methods and paths each one uses, and nobody else (no anonymous or
 * account-wide access). HTTPS only with TLS 1.2+, node-to-node encryption,
 * encryption at rest, error and slow logs to CloudWatch.
 */
export class OpenSearchNotes extends Construct {
  readonly domain: CfnDomain;
  readonly endpoint: string;
  readonly domainArn: string;

  constructor(scope: Construct, id: string, props: OpenSearchNotesProps) {
    super(scope, id);
    const sizing = OPENSEARCH_SIZING[props.type];
    const multiAz = sizing.instanceCount > 1;
    // The resource policy must name the domain's ARN, which depends on the domain: build it from a fixed name.
    const domainName = domainNameFor(props.backendName);
    const domainArn = `arn:${Aws.PARTITION}:es:${Aws.REGION}:${Aws.ACCOUNT_ID}:domain/${domainName}`;
    const indexArn = `${domainArn}/${OPENSEARCH_INDEX}`;
    const grants = [
      { role: props.writer, actions: ['es:ESHttpPut'], resources: [indexArn] },
      { role: props.writer, actions: ['es:ESHttpPost'], resources: [`${indexArn}/_bulk`] },
      { role: props.reader, actions: ['es:ESHttpPost'], resources: [`${indexArn}/_search`] },
    ];

    // Logs only for branch deploys: every domain that publishes needs a CloudWatch Logs resource policy,
    // and an account has at most 10 per region, which a team's sandboxes would use up.
    const logPublishingOptions = props.type === 'branch' ? this.logPublishing(domainName, domainArn) : undefined;

    this.domain = new CfnDomain(this, 'Domain', {
      domainName,
      engineVersion: OPENSEARCH_ENGINE_VERSION,
      clusterConfig: {
        instanceType: props.instanceType ?? sizing.instanceType,
        instanceCount: sizing.instanceCount,
        dedicatedMasterEnabled: false,
        zoneAwarenessEnabled: multiAz,
        ...(multiAz && { zoneAwarenessConfig: { availabilityZoneCount: 2 } }),
      },
      ebsOptions: { ebsEnabled: true, volumeType: 'gp3', volumeSize: sizing.volumeGiB },
      encryptionAtRestOptions: { enabled: true },
      nodeToNodeEncryptionOptions: { enabled: true },
      domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: 'Policy-Min-TLS-1-2-PFS-2023-10' },
      advancedSecurityOptions: { enabled: false },
      // No IP-wide or anonymous access: only these roles, these methods, these paths.
      accessPolicies: new PolicyDocument({
        statements: grants.map(
          (grant) =>
            new PolicyStatement({
              effect: Effect.ALLOW,
              principals: [grant.role],
              actions: grant.actions,
              resources: grant.resources,
            }),
        ),
      }).toJSON(),
      logPublishingOptions: logPublishingOptions?.options,
      softwareUpdateOptions: { autoSoftwareUpdateEnabled: true },
    });
    if (logPublishingOptions) this.domain.addResourceDependency(logPublishingOptions.policy);
    // The index is rebuilt from the Note table's stream; a branch keeps it anyway, since a rebuild takes a replay.
    this.domain.applyRemovalPolicy(props.type === 'branch' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);

    for (const grant of grants) {
      grant.role.addToPrincipalPolicy(
        new PolicyStatement({ effect: Effect.ALLOW, actions: grant.actions, resources: grant.resources }),
      );
    }
    this.endpoint = `https://${this.domain.attrDomainEndpoint}`;
    this.domainArn = domainArn;

    Validations.of(this.domain).acknowledge(
      {
        id: 'AwsSolutions-OS1',
        reason:
          'A VPC domain would put both functions in the VPC with NAT or endpoints for every other service; access is IAM-only (SigV4), by the two function roles, over TLS 1.2+.',
      },
      {
        id: 'AwsSolutions-OS3',
        reason: 'Lambda has no fixed source addresses; the resource policy names the two roles, not IP ranges.',
      },
      {
        id: 'AwsSolutions-OS4',
        reason: 'Dedicated master nodes triple the cost of a one- or two-node domain that holds one small index.',
      },
      {
        id: 'AwsSolutions-OS5',
        reason:
          'No anonymous access: the resource policy allows only the indexer and search roles (fine-grained access control is not needed for one index).',
      },
    );
    if (!multiAz) {
      Validations.of(this.domain).acknowledge({
        id: 'AwsSolutions-OS7',
        reason: 'A sandbox is a single-node development domain; branch deploys use two nodes in two AZs.',
      });
    }
    if (!logPublishingOptions) {
      const reason =
        'Sandbox domains publish no logs: each publishing domain needs one of the 10 CloudWatch Logs resource policies an account has per region.';
      Validations.of(this.domain).acknowledge(
        { id: 'AwsSolutions-OS9[LogExport::SEARCH_SLOW_LOGS]', reason },
        { id: 'AwsSolutions-OS9[LogExport::INDEX_SLOW_LOGS]', reason },
      );
    }
  }

  private logPublishing(domainName: string, domainArn: string) {
    const group = (id: string) =>
      new LogGroup(this, id, { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const groups = {
      ES_APPLICATION_LOGS: group('ErrorLogs'),
      SEARCH_SLOW_LOGS: group('SearchSlowLogs'),
      INDEX_SLOW_LOGS: group('IndexSlowLogs'),
    };
    const document = new PolicyDocument({
      statements: [
        new PolicyStatement({
          principals: [new ServicePrincipal('es.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: Object.values(groups).map((g) => g.logGroupArn),
          conditions: {
            StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
            ArnLike: { 'aws:SourceArn': domainArn },
          },
        }),
      ],
    });
    const policy = new CfnResourcePolicy(this, 'LogPublishing', {
      policyName: `${domainName}-logs`,
      policyDocument: Stack.of(this).toJsonString(document.toJSON()),
    });
    const options = Object.fromEntries(
      Object.entries(groups).map(([kind, g]) => [kind, { enabled: true, cloudWatchLogsLogGroupArn: g.logGroupArn }]),
    );
    return { policy, options };
  }
}

/**
 * A deterministic domain name of at most 28 characters (OpenSearch's limit):
 * a readable prefix of the stack name and a hash of the whole name, so that
 * two backends never share a domain.
 */
export const domainNameFor = (stackName: string): string => {
  let hash = 0x811c9dc5;
  for (const char of stackName) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  const suffix = hash.toString(36).padStart(7, '0');
  const prefix = stackName
    .toLowerCase()
    .replace(/^amplify-/, '')
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 28 - suffix.length - 3)
    .replace(/-+$/, '');
  return prefix ? `n-${prefix}-${suffix}` : `n-${suffix}`;
};
