import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { MEDIA_PREFIX } from '../storage/resource';
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
