import { describe, expect, it } from 'vitest';
import { API_RATE_LIMIT_PER_IP } from '../custom/api-waf';
import { NONCURRENT_VERSION_DAYS } from '../custom/data-protection';
import { PUSH_APP_NAME_MAX } from '../custom/push-notifications';
import { Assembly, type FoundResource, isRecord, props } from './assembly';
import { VARIANTS } from './variants';

const sandbox = new Assembly('sandbox');
const configured = new Assembly('configured');

const MODELS = ['Note', 'UserProfile', 'Device', 'Message'];

const one = (assembly: Assembly, type: string, logicalId: RegExp): FoundResource => {
  const found = assembly.resources(type).filter((r) => logicalId.test(r.logicalId));
  if (found.length !== 1) throw new Error(`expected one ${type} ${logicalId}, found ${found.length}`);
  return found[0] as FoundResource;
};

const userPool = (a: Assembly) => one(a, 'AWS::Cognito::UserPool', /^amplifyAuthUserPool/);
const modelTable = (a: Assembly, model: string) =>
  one(a, 'Custom::AmplifyDynamoDBTable', new RegExp(`^${model}Table$`));
const deltaSyncTable = (a: Assembly) => one(a, 'AWS::DynamoDB::Table', /^amplifyDataDataStore/);
const mediaBucket = (a: Assembly) => one(a, 'AWS::S3::Bucket', /^userMediaBucket/);

const policiesOf = (found: FoundResource) => [found.resource.DeletionPolicy, found.resource.UpdateReplacePolicy];

describe('a branch deploy keeps its users, data and media', () => {
  it('retains the user pool, with deletion protection', () => {
    expect(policiesOf(userPool(configured))).toEqual(['Retain', 'Retain']);
    expect(props(userPool(configured)).DeletionProtection).toBe('ACTIVE');
  });

  it('retains every model table and the DeltaSync table, with deletion protection and point-in-time recovery', () => {
    for (const model of MODELS) {
      const table = modelTable(configured, model);
      expect(policiesOf(table), model).toEqual(['Retain', 'Retain']);
      expect(props(table), model).toMatchObject({
        deletionProtectionEnabled: true,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      });
    }
    expect(policiesOf(deltaSyncTable(configured))).toEqual(['Retain', 'Retain']);
    expect(props(deltaSyncTable(configured))).toMatchObject({
      DeletionProtectionEnabled: true,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('retains a versioned media bucket that no custom resource empties, and expires old versions', () => {
    const bucket = mediaBucket(configured);
    expect(policiesOf(bucket)).toEqual(['Retain', 'Retain']);
    expect(props(bucket).VersioningConfiguration).toEqual({ Status: 'Enabled' });
    const rules = isRecord(props(bucket).LifecycleConfiguration) ? props(bucket).LifecycleConfiguration : {};
    expect(isRecord(rules) ? rules.Rules : undefined).toContainEqual({
      Id: 'expire-old-versions',
      Status: 'Enabled',
      NoncurrentVersionExpiration: { NoncurrentDays: NONCURRENT_VERSION_DAYS },
      ExpiredObjectDeleteMarker: true,
    });
    const emptiers = configured
      .resources('Custom::S3AutoDeleteObjects')
      .filter((r) => JSON.stringify(props(r)).includes('userMediaBucket'));
    expect(emptiers).toEqual([]);
  });
});

describe('a sandbox stays disposable', () => {
  it('deletes the user pool, the tables and the bucket with the stack, and protects none from deletion', () => {
    expect(policiesOf(userPool(sandbox))).toEqual(['Delete', 'Delete']);
    expect(props(userPool(sandbox)).DeletionProtection).toBeUndefined();
    for (const model of MODELS) {
      const table = modelTable(sandbox, model);
      expect(policiesOf(table), model).toEqual(['Delete', 'Delete']);
      expect(props(table).deletionProtectionEnabled, model).not.toBe(true);
    }
    expect(policiesOf(deltaSyncTable(sandbox))).toEqual(['Delete', 'Delete']);
    expect(props(deltaSyncTable(sandbox)).DeletionProtectionEnabled).toBeUndefined();
    expect(policiesOf(mediaBucket(sandbox))).toEqual(['Delete', 'Delete']);
    expect(props(mediaBucket(sandbox)).VersioningConfiguration).toBeUndefined();
    // Gen 2 empties a sandbox bucket before deleting it.
    const emptiers = sandbox
      .resources('Custom::S3AutoDeleteObjects')
      .filter((r) => JSON.stringify(props(r)).includes('userMediaBucket'));
    expect(emptiers).toHaveLength(1);
  });

  it('still has point-in-time recovery on every table, DeltaSync included', () => {
    for (const model of MODELS) {
      expect(props(modelTable(sandbox, model)).pointInTimeRecoverySpecification, model).toEqual({
        pointInTimeRecoveryEnabled: true,
      });
    }
    expect(props(deltaSyncTable(sandbox)).PointInTimeRecoverySpecification).toEqual({
      PointInTimeRecoveryEnabled: true,
    });
  });
});

describe('alarm notifications', () => {
  const alarmActions = (a: Assembly) =>
    a.resources('AWS::CloudWatch::Alarm').map((alarm) => JSON.stringify(props(alarm).AlarmActions));

  it('subscribe the configured address to the alarm topic', () => {
    const subscriptions = configured.resources('AWS::SNS::Subscription').map((s) => props(s));
    expect(subscriptions).toEqual([
      {
        Protocol: 'email',
        Endpoint: VARIANTS.configured.env.ALARM_EMAIL,
        TopicArn: { Ref: expect.stringMatching(/AlarmTopic/) },
      },
    ]);
    expect(sandbox.resources('AWS::SNS::Subscription')).toHaveLength(0);
  });

  it('send every alarm to the existing topic as well when one is configured', () => {
    const actions = alarmActions(configured);
    expect(actions.length).toBeGreaterThan(10);
    for (const action of actions) {
      expect(JSON.parse(action)).toEqual([
        { Ref: expect.stringMatching(/AlarmTopic/) },
        VARIANTS.configured.env.ALARM_TOPIC_ARN,
      ]);
    }
    for (const action of alarmActions(sandbox)) expect(action).not.toContain('arn:aws:sns');
  });
});

describe('optional protections', () => {
  const webAcl = () => props(one(configured, 'AWS::WAFv2::WebACL', /^ApiWafWebAcl/));
  const rule = (name: string) => {
    const rules = Array.isArray(webAcl().Rules) ? webAcl().Rules : [];
    return (Array.isArray(rules) ? rules : []).filter(isRecord).find((r) => r.Name === name);
  };

  it('put a regional web ACL on the GraphQL API, with managed rules and a per-IP rate limit', () => {
    expect(webAcl()).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
    expect(rule('AWSManagedRulesCommonRuleSet')).toMatchObject({
      OverrideAction: { None: {} },
      Statement: {
        ManagedRuleGroupStatement: {
          VendorName: 'AWS',
          RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }],
        },
      },
    });
    expect(rule('AWSManagedRulesKnownBadInputsRuleSet')).toBeDefined();
    expect(rule('RateLimitPerIp')).toMatchObject({
      Action: { Block: {} },
      Statement: { RateBasedStatement: { Limit: API_RATE_LIMIT_PER_IP, AggregateKeyType: 'IP' } },
    });
    const association = props(one(configured, 'AWS::WAFv2::WebACLAssociation', /^ApiWafApiAssociation/));
    expect(JSON.stringify(association.ResourceArn)).toMatch(/GraphQLAPI/);
    expect(association.WebACLArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ApiWafWebAcl/), 'Arn'] });
  });

  it('limit sendMessage per caller (Authorization header) when SEND_MESSAGE_RATE_LIMIT is set', () => {
    expect(rule('SendMessageRateLimit')).toMatchObject({
      Action: { Block: {} },
      Statement: {
        RateBasedStatement: {
          Limit: Number(VARIANTS.configured.env.SEND_MESSAGE_RATE_LIMIT),
          AggregateKeyType: 'CUSTOM_KEYS',
          CustomKeys: [{ Header: { Name: 'authorization', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } }],
          ScopeDownStatement: {
            ByteMatchStatement: {
              SearchString: 'sendMessage',
              PositionalConstraint: 'CONTAINS',
              FieldToMatch: { Body: {} },
            },
          },
        },
      },
    });
  });

  it('attach the configured CloudFront web ACL to the CDN', () => {
    const distribution = props(one(configured, 'AWS::CloudFront::Distribution', /^MediaCdnDistribution/));
    expect(isRecord(distribution.DistributionConfig) && distribution.DistributionConfig.WebACLId).toBe(
      VARIANTS.configured.env.CDN_WEB_ACL_ARN,
    );
  });

  it('send Cognito e-mail through the configured SES identity', () => {
    expect(props(userPool(configured)).EmailConfiguration).toEqual({
      EmailSendingAccount: 'DEVELOPER',
      From: VARIANTS.configured.env.AUTH_EMAIL_FROM,
      SourceArn: VARIANTS.configured.env.AUTH_SES_IDENTITY_ARN,
    });
  });

  it('are all off in a bare sandbox', () => {
    expect(sandbox.resources('AWS::WAFv2::WebACL')).toHaveLength(0);
    expect(sandbox.resources('AWS::WAFv2::WebACLAssociation')).toHaveLength(0);
    expect(props(userPool(sandbox)).EmailConfiguration).toBeUndefined();
    const distribution = props(one(sandbox, 'AWS::CloudFront::Distribution', /^MediaCdnDistribution/));
    expect(isRecord(distribution.DistributionConfig) && distribution.DistributionConfig.WebACLId).toBeFalsy();
  });
});

describe('the push application', () => {
  it.each([
    ['sandbox', sandbox],
    ['branch', configured],
  ])('has a plain-text name of at most 64 characters in a %s', (_label, assembly) => {
    const name = props(one(assembly, 'AWS::Pinpoint::App', /^PushNotificationsApp/)).Name;
    expect(typeof name).toBe('string');
    expect(String(name).length).toBeLessThanOrEqual(PUSH_APP_NAME_MAX);
    expect(String(name)).toMatch(/push/i);
  });

  it('differs between backends', () => {
    const names = [sandbox, configured].map((a) => props(one(a, 'AWS::Pinpoint::App', /^PushNotificationsApp/)).Name);
    expect(new Set(names).size).toBe(2);
  });
});
