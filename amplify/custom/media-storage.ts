import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { type IRole, Policy, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { MEDIA_PREFIX, OWNED_PREFIXES } from '../storage/resource';
import { type DeploymentType, noncurrentVersionRule } from './data-protection';

export const ARCHIVE_AFTER_DAYS = 180;
export const ARCHIVE_STORAGE_CLASS = 'GLACIER_IR';
export const ACCESS_LOG_PREFIX = 'media-bucket/';

/**
 * Hardens the Gen 2 storage bucket: all public access blocked, SSL only,
 * encryption at rest, server access logs, and old private media archived to
 * Glacier Instant Retrieval (still readable by the app, at a lower price).
 * A branch deploy's versioned bucket also expires old object versions.
 * Returns the log bucket, which the CDN also writes to.
 */
export const hardenMediaBucket = (bucket: IBucket, cfnBucket: CfnBucket, type: DeploymentType): Bucket => {
  const stack = Stack.of(bucket);
  const logs = new Bucket(stack, 'AccessLogs', {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    encryption: BucketEncryption.S3_MANAGED,
    // CloudFront standard logging writes with ACLs.
    objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
    lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(90) }],
    removalPolicy: RemovalPolicy.RETAIN,
  });
  logs.addToResourcePolicy(
    new PolicyStatement({
      principals: [new ServicePrincipal('logging.s3.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [logs.arnForObjects(`${ACCESS_LOG_PREFIX}*`)],
      conditions: {
        ArnLike: { 'aws:SourceArn': bucket.bucketArn },
        StringEquals: { 'aws:SourceAccount': stack.account },
      },
    }),
  );

  cfnBucket.publicAccessBlockConfiguration = {
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  };
  cfnBucket.bucketEncryption = {
    serverSideEncryptionConfiguration: [{ serverSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
  };
  cfnBucket.loggingConfiguration = { destinationBucketName: logs.bucketName, logFilePrefix: ACCESS_LOG_PREFIX };
  cfnBucket.lifecycleConfiguration = {
    rules: [
      {
        id: 'archive-old-media',
        status: 'Enabled',
        prefix: MEDIA_PREFIX,
        transitions: [{ storageClass: ARCHIVE_STORAGE_CLASS, transitionInDays: ARCHIVE_AFTER_DAYS }],
      },
      { id: 'abort-incomplete-uploads', status: 'Enabled', abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } },
      ...noncurrentVersionRule(type),
    ],
  };
  return logs;
};

/** The id of each group's owner-access policy, after the group's name. */
export const GROUP_OWNER_ACCESS = 'GroupOwnerAccess';

// biome-ignore lint/suspicious/noTemplateCurlyInString: the text IAM evaluates per caller
const CALLER_FOLDER = '${cognito-identity.amazonaws.com:sub}/';

/**
 * Gives each user-pool group's role what `allow.entity('identity')` gives the
 * authenticated role: the caller's own folders. The identity pool hands a group
 * member the group's role instead of the authenticated one, and Gen 2 attaches
 * entity rules to the authenticated role only (aws-amplify/amplify-backend#1771),
 * so without this an Admin could not read or write their own media.
 */
export const keepOwnerAccessInGroups = (bucket: IBucket, groupRoles: Record<string, IRole>): void => {
  const folders = OWNED_PREFIXES.map((prefix) => `${prefix}${CALLER_FOLDER}`);
  const statements = [
    new PolicyStatement({
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      resources: folders.map((folder) => bucket.arnForObjects(`${folder}*`)),
    }),
    new PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': folders.flatMap((folder) => [`${folder}*`, folder]) } },
    }),
  ];
  // cdk-nag's IAM5 finding on these wildcards is acknowledged in nag.ts (GROUP_OWNER_ACCESS).
  for (const [group, role] of Object.entries(groupRoles))
    new Policy(Stack.of(bucket), `${group}${GROUP_OWNER_ACCESS}`, { statements, roles: [role] });
};
