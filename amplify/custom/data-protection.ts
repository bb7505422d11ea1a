import { RemovalPolicy } from 'aws-cdk-lib';
import type { CfnUserPool } from 'aws-cdk-lib/aws-cognito';
import type { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';

/** Old versions of media objects are kept this long after they are overwritten or deleted. */
export const NONCURRENT_VERSION_DAYS = 30;

/** How `ampx` names the deployment type in the CDK context: 'sandbox' or 'branch'. */
export type DeploymentType = 'sandbox' | 'branch';

export const deploymentTypeOf = (scope: IConstruct): DeploymentType =>
  scope.node.tryGetContext('amplify-backend-type') === 'sandbox' ? 'sandbox' : 'branch';

/** What `Custom::AmplifyDynamoDBTable`'s wrapper lets us set (see AmplifyDynamoDbTableWrapper). */
export interface ModelTable {
  applyRemovalPolicy(policy: RemovalPolicy): void;
  set deletionProtectionEnabled(enabled: boolean);
  set pointInTimeRecoveryEnabled(enabled: boolean);
}

export interface ProtectedResources {
  userPool: CfnUserPool;
  /** The model tables, by model name. */
  modelTables: Record<string, ModelTable>;
  /** Plain DynamoDB tables of the data stack (DataStore's DeltaSync table). */
  otherTables: Record<string, CfnTable>;
  mediaBucket: CfnBucket;
}

/**
 * Point-in-time recovery on every table, always. A branch deploy (production)
 * also keeps its users, data and media when the branch or the stack is
 * deleted: Retain policies, deletion protection, and a versioned bucket whose
 * old versions expire. A sandbox stays disposable: Gen 2 sets every resource
 * of a sandbox to Delete, and nothing here blocks that.
 */
export const protectData = (type: DeploymentType, resources: ProtectedResources): void => {
  for (const table of Object.values(resources.otherTables)) {
    table.pointInTimeRecoverySpecification = { pointInTimeRecoveryEnabled: true };
  }
  for (const table of Object.values(resources.modelTables)) table.pointInTimeRecoveryEnabled = true;
  if (type === 'sandbox') return;

  resources.userPool.deletionProtection = 'ACTIVE';
  resources.userPool.applyRemovalPolicy(RemovalPolicy.RETAIN);
  for (const table of Object.values(resources.modelTables)) {
    table.deletionProtectionEnabled = true;
    table.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
  for (const table of Object.values(resources.otherTables)) {
    table.deletionProtectionEnabled = true;
    table.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
  const bucket = resources.mediaBucket;
  bucket.versioningConfiguration = { status: 'Enabled' };
  bucket.applyRemovalPolicy(RemovalPolicy.RETAIN);
};

/** The lifecycle rule for old object versions; only a versioned (branch) bucket gets it. */
export const noncurrentVersionRule = (type: DeploymentType): CfnBucket.RuleProperty[] =>
  type === 'sandbox'
    ? []
    : [
        {
          id: 'expire-old-versions',
          status: 'Enabled',
          noncurrentVersionExpiration: { noncurrentDays: NONCURRENT_VERSION_DAYS },
          expiredObjectDeleteMarker: true,
        },
      ];
