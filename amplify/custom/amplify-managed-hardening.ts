import { Aws, Stack } from 'aws-cdk-lib';
import type { IGraphqlApi } from 'aws-cdk-lib/aws-appsync';
import { AnyPrincipal, CfnRole, Effect, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { Bucket, CfnBucket } from 'aws-cdk-lib/aws-s3';

/**
 * Escape hatches on resources that Amplify Data creates for us, for the
 * cdk-nag findings that can be fixed rather than acknowledged:
 * - its codegen bucket (the model schema `ampx generate` reads) gets a public
 *   access block, encryption at rest and a TLS-only policy;
 * - the API's logging role gets an inline policy on the API's own log group
 *   instead of the AWS-managed AWSAppSyncPushToCloudWatchLogs (Resource '*').
 * Each throws if Amplify moved the resource, so that a framework update cannot
 * silently undo it.
 */
export const hardenAmplifyManaged = (graphqlApi: IGraphqlApi): void => {
  const dataConstruct = graphqlApi.node.scope;
  const codegen = dataConstruct?.node
    .tryFindChild('AmplifyCodegenAssets')
    ?.node.tryFindChild('AmplifyCodegenAssetsBucket');
  if (!(codegen instanceof Bucket) || !(codegen.node.defaultChild instanceof CfnBucket)) {
    throw new Error(
      'Amplify Data has no AmplifyCodegenAssets/AmplifyCodegenAssetsBucket any more: update amplify-managed-hardening.ts',
    );
  }
  const cfnCodegen = codegen.node.defaultChild;
  cfnCodegen.publicAccessBlockConfiguration = {
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  };
  cfnCodegen.bucketEncryption = {
    serverSideEncryptionConfiguration: [{ serverSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
  };
  codegen.addToResourcePolicy(
    new PolicyStatement({
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['s3:*'],
      resources: [codegen.bucketArn, codegen.arnForObjects('*')],
      conditions: { Bool: { 'aws:SecureTransport': 'false' } },
    }),
  );

  const logsRole = dataConstruct?.node.tryFindChild('GraphQLAPI')?.node.tryFindChild('ApiLogsRole');
  if (!(logsRole instanceof Role) || !(logsRole.node.defaultChild instanceof CfnRole)) {
    throw new Error('Amplify Data has no GraphQLAPI/ApiLogsRole any more: update amplify-managed-hardening.ts');
  }
  logsRole.node.defaultChild.managedPolicyArns = undefined;
  const logGroup = `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Stack.of(logsRole).account}:log-group:/aws/appsync/apis/${graphqlApi.apiId}`;
  logsRole.addToPrincipalPolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup, `${logGroup}:log-stream:*`],
    }),
  );
};
