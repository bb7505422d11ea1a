import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AMPLIFY_MANAGED_SUPPRESSIONS } from '../custom/nag';
import { Assembly, isRecord, props } from './assembly';
import { VARIANTS, type VariantName } from './variants';

const variants = Object.keys(VARIANTS).filter((name): name is VariantName => name in VARIANTS);

/**
 * IAM statements on Resource "*" that AWS or CDK require, each named with its
 * reason. Everything else in every template must name its resources.
 */
const ALLOWED_STAR_STATEMENTS: Array<{ logicalId: RegExp; actions: string[]; reason: string }> = [
  {
    logicalId: /^LogRetention[0-9a-f]+ServiceRoleDefaultPolicy/,
    actions: ['logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy'],
    reason: "CDK's log-retention singleton, which sets the AppSync log group's retention, is scoped to '*' by CDK.",
  },
];

const statementsOf = (type: string, properties: Record<string, unknown>): unknown[] => {
  const documents =
    type === 'AWS::IAM::Role'
      ? (Array.isArray(properties.Policies) ? properties.Policies : []).map((p: unknown) =>
          isRecord(p) ? p.PolicyDocument : undefined,
        )
      : [properties.PolicyDocument];
  return documents.flatMap((d) => (isRecord(d) ? (Array.isArray(d.Statement) ? d.Statement : [d.Statement]) : []));
};

const resourcesOf = (statement: unknown): unknown[] => {
  if (!isRecord(statement)) return [];
  const resource = statement.Resource;
  return Array.isArray(resource) ? resource : [resource];
};

describe.each(variants)('IAM in the %s backend', (variant) => {
  const assembly = new Assembly(variant);

  it('puts no statement on Resource "*" except the named cases', () => {
    const offenders: string[] = [];
    for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role']) {
      for (const found of assembly.resources(type)) {
        for (const statement of statementsOf(type, props(found))) {
          if (!resourcesOf(statement).includes('*')) continue;
          const allowed = ALLOWED_STAR_STATEMENTS.find(
            (a) =>
              a.logicalId.test(found.logicalId) &&
              isRecord(statement) &&
              JSON.stringify(statement.Action) === JSON.stringify(a.actions),
          );
          if (!allowed) offenders.push(`${found.logicalId}: ${JSON.stringify(statement)}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('allows no Action "*" anywhere', () => {
    const all = ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role'].flatMap((type) =>
      assembly.resources(type).flatMap((found) => statementsOf(type, props(found))),
    );
    expect(all.length).toBeGreaterThan(10);
    const wildcards = all.filter(
      (s) => isRecord(s) && s.Effect === 'Allow' && (s.Action === '*' || JSON.stringify(s.Action) === '["*"]'),
    );
    expect(wildcards).toEqual([]);
  });
});

describe.each(variants)('cdk-nag AwsSolutions on the %s backend', (variant) => {
  const assembly = new Assembly(variant);

  it('ran and left no finding', () => {
    const report: unknown = JSON.parse(readFileSync(join(assembly.dir, 'validation-report.json'), 'utf8'));
    expect(isRecord(report) && Array.isArray(report.pluginReports) ? report.pluginReports : ['missing']).toEqual([]);
    // Written by the plugin itself: proof that the pack ran during this synthesis.
    expect(assembly.nagSuppressed().length).toBeGreaterThan(0);
  });

  it('suppressed findings only on Amplify- and CDK-managed constructs, each with a reason', () => {
    const ours =
      /MediaCdn|AccessLogs|NoteIndexing|MessagePush|Monitoring|PushNotifications|NotesSearch|ApiWaf|(indexer|search|push|post-confirmation)-lambda|TableAccess/;
    for (const entry of assembly.nagSuppressed()) {
      expect(entry.path, entry.finding).not.toMatch(ours);
      expect(entry.reason.length, entry.finding).toBeGreaterThan(40);
    }
  });
});

describe('cdk-nag suppressions', () => {
  it('are all still needed by one of the backends', () => {
    const used = new Set(variants.flatMap((v) => new Assembly(v).nagSuppressed().map((entry) => entry.reason)));
    for (const suppression of AMPLIFY_MANAGED_SUPPRESSIONS) {
      expect(used.has(suppression.reason), String(suppression.path)).toBe(true);
    }
  });
});

describe('Amplify-managed resources hardened by escape hatches', () => {
  const sandbox = new Assembly('sandbox');
  const codegen = () =>
    sandbox.resources('AWS::S3::Bucket').filter((b) => b.logicalId.startsWith('amplifyDataAmplifyCodegenAssets'));

  it("blocks public access to Amplify Data's codegen bucket, encrypts it and refuses plain HTTP", () => {
    expect(codegen()).toHaveLength(1);
    expect(props(codegen()[0])).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
    const policy = sandbox
      .resources('AWS::S3::BucketPolicy')
      .find((p) => JSON.stringify(props(p).Bucket).includes(codegen()[0]?.logicalId ?? '-'));
    expect(JSON.stringify(props(policy).PolicyDocument)).toContain('"aws:SecureTransport":"false"');
  });

  it("gives the API's logging role its own log group instead of an AWS-managed policy on '*'", () => {
    const role = sandbox
      .resources('AWS::IAM::Role')
      .find((r) => r.logicalId.startsWith('amplifyDataGraphQLAPIApiLogsRole'));
    expect(props(role).ManagedPolicyArns).toBeUndefined();
    const policy = sandbox
      .resources('AWS::IAM::Policy')
      .find((p) => JSON.stringify(props(p).Roles).includes(role?.logicalId ?? '-'));
    const document = JSON.stringify(props(policy).PolicyDocument);
    expect(document).toContain(':log-group:/aws/appsync/apis/');
    expect(document).not.toMatch(/"Resource":"\*"/);
  });
});
