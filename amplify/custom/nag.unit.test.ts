import { App, Stack } from 'aws-cdk-lib';
import { Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
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
    const stack = new Stack(app, 'amplify-app-dev-sandbox-0123456789');
    const storage = new Construct(stack, 'storage');
    const role = new Role(stack, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    for (const [scope, id] of [
      [storage, 'amplify-app-dev-sandbox-0123456789--storageAccess1'],
      [stack, 'OurPolicy'],
    ] as const) {
      new Policy(scope, id, {
        roles: [role],
        statements: [new PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/media/*'] })],
      });
    }
    // Act
    const report = validate(app);
    // Assess
    const iam5 = report.violations.filter((v) => ruleOf(v.ruleName) === 'AwsSolutions-IAM5');
    const paths = iam5.flatMap((v) => v.violatingResources.map((r) => r.constructPath ?? ''));
    expect(paths.some((p) => p.includes('OurPolicy'))).toBe(true);
    expect(paths.some((p) => p.includes('storageAccess1'))).toBe(false);
  });

  it('matches suppressions by rule family and the exact construct path, never an ancestor', () => {
    const root = 'amplify-app-main-branch-0123456789';
    expect(ruleOf('AwsSolutions-IAM5[Resource::arn:aws:s3:::b/*]')).toBe('AwsSolutions-IAM5');
    expect(
      suppressionFor(
        'AwsSolutions-IAM5',
        `${root}/data/amplifyData/AmplifyTableManager/AmplifyManagedTableOnEventRole/Resource`,
      ),
    ).toBeDefined();
    // A new resource below a listed construct, or beside it, is not covered.
    expect(
      suppressionFor(
        'AwsSolutions-IAM5',
        `${root}/data/amplifyData/AmplifyTableManager/AmplifyManagedTableOnEventRole/NewPolicy/Resource`,
      ),
    ).toBeUndefined();
    expect(
      suppressionFor('AwsSolutions-IAM5', `${root}/data/amplifyData/AmplifyTableManager/SomethingNew/Resource`),
    ).toBeUndefined();
    expect(suppressionFor('AwsSolutions-IAM5', `${root}/data/amplifyData/Note/NoteIAMRole/Resource`)).toBeDefined();
    expect(suppressionFor('AwsSolutions-IAM5', `${root}/data/amplifyData/Note/OtherRole/Resource`)).toBeUndefined();
    expect(suppressionFor('AwsSolutions-S1', `${root}/data/amplifyData/Note/NoteIAMRole/Resource`)).toBeUndefined();
    expect(suppressionFor('AwsSolutions-L1', `${root}/data/indexer-lambda/Resource`)).toBeUndefined();
    expect(suppressionFor('AwsSolutions-IAM5', `${root}/storage/${root}--storageAccess3/Resource`)).toBeDefined();
    expect(suppressionFor('AwsSolutions-IAM5', `${root}/storage/other--storageAccess3/Resource`)).toBeUndefined();
  });
});
