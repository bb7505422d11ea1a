import { App, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { AwsSolutionsWithManagedSuppressions, ruleOf, suppressionFor } from './nag';

const validate = (app: App) =>
  new AwsSolutionsWithManagedSuppressions(app).validate({ appConstruct: app, templatePaths: [], stackTemplates: [] });

describe('the cdk-nag check', () => {
  it('fails on a non-compliant resource of our own', () => {
    // Prepare
    const app = new App();
    new Bucket(new Stack(app, 'Ours'), 'OpenBucket');
    // Act
    const report = validate(app);
    // Assess
    expect(report.success).toBe(false);
    expect(report.violations.map((v) => v.ruleName)).toEqual(
      expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']),
    );
  });

  it('suppresses a listed rule only under the listed Amplify path', () => {
    // Prepare: the same wildcard policy, once where Gen 2 storage puts it and once elsewhere.
    const app = new App();
    const stack = new Stack(app, 'amplify-app-sandbox');
    const storage = new Construct(stack, 'storage');
    for (const [scope, id] of [
      [storage, 'amplify-app-sandbox--storageAccess1'],
      [stack, 'OurPolicyRole'],
    ] as const) {
      const role = new Role(scope, id, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
      role.addToPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/media/*'] }));
    }
    // Act
    const report = validate(app);
    // Assess
    const iam5 = report.violations.filter((v) => ruleOf(v.ruleName) === 'AwsSolutions-IAM5');
    const paths = iam5.flatMap((v) => v.violatingResources.map((r) => r.constructPath ?? ''));
    expect(paths.some((p) => p.includes('OurPolicyRole'))).toBe(true);
    expect(paths.some((p) => p.includes('storageAccess1'))).toBe(false);
  });

  it('matches suppressions by rule family and ancestor path', () => {
    expect(ruleOf('AwsSolutions-IAM5[Resource::arn:aws:s3:::b/*]')).toBe('AwsSolutions-IAM5');
    expect(suppressionFor('AwsSolutions-L1', 'root/data/amplifyData/AmplifyTableManager/Fn/Resource')).toBeDefined();
    expect(suppressionFor('AwsSolutions-S1', 'root/data/amplifyData/AmplifyTableManager/Fn/Resource')).toBeUndefined();
    expect(suppressionFor('AwsSolutions-L1', 'root/data/indexer-lambda/Resource')).toBeUndefined();
  });
});
