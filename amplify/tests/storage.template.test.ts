import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { TLS_GUARD_CODE } from '../custom/media-cdn';
import { ARCHIVE_AFTER_DAYS } from '../custom/media-storage';
import { Assembly, props } from './assembly';

const sandbox = new Assembly('sandbox');
const configured = new Assembly('configured');
const storage = sandbox.assert('storage');

const mediaBucket = () => {
  const found = sandbox.resources('AWS::S3::Bucket').find((b) => b.logicalId.startsWith('userMediaBucket'));
  return props(found);
};

describe('user media bucket', () => {
  it('blocks all public access and encrypts at rest', () => {
    expect(mediaBucket().PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(mediaBucket().BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
  });

  it('refuses every request that is not over TLS', () => {
    storage.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^userMediaBucket') },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('archives old private media to Glacier Instant Retrieval', () => {
    expect(mediaBucket().LifecycleConfiguration).toEqual({
      Rules: expect.arrayContaining([
        {
          Id: 'archive-old-media',
          Status: 'Enabled',
          Prefix: 'media/',
          Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: ARCHIVE_AFTER_DAYS }],
        },
      ]),
    });
  });

  it('writes server access logs to a locked-down log bucket', () => {
    expect(mediaBucket().LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: expect.stringMatching(/^AccessLogs/) },
      LogFilePrefix: 'media-bucket/',
    });
    storage.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true, RestrictPublicBuckets: true }),
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90 })] },
    });
  });
});

// An IAM policy variable, not a template literal.
// biome-ignore lint/suspicious/noTemplateCurlyInString: the text IAM evaluates per caller
const CALLER = '${cognito-identity.amazonaws.com:sub}';

describe('per-user isolation', () => {
  const authenticatedPolicy = () => {
    const policies = sandbox
      .resources('AWS::IAM::Policy')
      .filter(
        (p) =>
          p.file.includes('storage') &&
          p.logicalId.includes('storageAccess') &&
          JSON.stringify(props(p)).includes('/media/'),
      );
    expect(policies).toHaveLength(1);
    return JSON.stringify(props(policies[0]).PolicyDocument);
  };

  it("scopes private media to the caller's own identity for read, write and delete", () => {
    const document = authenticatedPolicy();
    expect(document).toContain(`/media/${CALLER}/*`);
    expect(document).not.toMatch(/\/media\/\*/);
    expect(document).not.toMatch(/"Resource":"\*"/);
  });

  it('lets a user write and delete only their own published media, while any signed-in user reads it', () => {
    const document = authenticatedPolicy();
    expect(document).toContain(`/published/${CALLER}/*`);
    expect(document).toMatch(/"Action":"s3:GetObject","Effect":"Allow","Resource":\[.*"\/published\/\*"\]\]\}\]\}/);
  });
});

describe('group members', () => {
  it("keep their own folders: each group's role gets the caller-scoped grants of the authenticated role", () => {
    const groupPolicies = sandbox
      .resources('AWS::IAM::Policy')
      .filter((p) => p.logicalId.startsWith('AdminsGroupOwnerAccess'));
    expect(groupPolicies).toHaveLength(1);
    const policy = props(groupPolicies[0]);
    expect(JSON.stringify(policy.Roles)).toContain('AdminsGroupRole');
    const document = JSON.stringify(policy.PolicyDocument);
    for (const folder of [`/media/${CALLER}/*`, `/published/${CALLER}/*`]) expect(document).toContain(folder);
    expect(document).toContain('"s3:GetObject","s3:PutObject","s3:DeleteObject"');
    // Only the caller's own folders: no prefix-wide grant rides along.
    expect(document).not.toMatch(/\/media\/\*/);
    expect(document).not.toMatch(/"Resource":"\*"/);
  });
});

describe('CDN for published media', () => {
  const cdn = (assembly: Assembly) => props(assembly.resources('AWS::CloudFront::Distribution')[0]).DistributionConfig;

  it('serves only the published prefix through Origin Access Control, over HTTPS only', () => {
    expect(cdn(sandbox)).toMatchObject({
      Origins: [
        {
          OriginPath: '/published',
          OriginAccessControlId: { 'Fn::GetAtt': [expect.stringMatching(/OriginAccessControl/), 'Id'] },
          S3OriginConfig: { OriginAccessIdentity: '' },
        },
      ],
      DefaultCacheBehavior: { ViewerProtocolPolicy: 'https-only', AllowedMethods: ['GET', 'HEAD'] },
      Logging: { Prefix: 'cdn/' },
    });
    storage.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: {
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      },
    });
  });

  it('lets only this distribution read, and only the published prefix', () => {
    storage.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: 's3:GetObject',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Resource: { 'Fn::Join': ['', [Match.anyValue(), '/published/*']] },
            Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } },
          },
        ]),
      },
    });
  });

  it('requires TLS 1.2 or higher: by security policy with a custom domain', () => {
    expect(cdn(configured)).toMatchObject({
      Aliases: ['media.example.com'],
      ViewerCertificate: { MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' },
    });
  });

  it('requires TLS 1.2 or higher: by edge function with the default certificate', () => {
    expect(cdn(sandbox)).toMatchObject({
      DefaultCacheBehavior: { FunctionAssociations: [{ EventType: 'viewer-request' }] },
    });
    storage.hasResourceProperties('AWS::CloudFront::Function', { FunctionCode: TLS_GUARD_CODE });
    storage.hasResourceProperties('AWS::CloudFront::OriginRequestPolicy', {
      OriginRequestPolicyConfig: Match.objectLike({
        HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['CloudFront-Viewer-TLS'] },
      }),
    });
  });
});

describe('the TLS guard', () => {
  // The guard's own source, compiled and called the way CloudFront Functions call a handler.
  const compiled: unknown = new Function(`${TLS_GUARD_CODE}; return handler;`)();
  const guard = (event: unknown): { statusCode?: unknown } => {
    if (typeof compiled !== 'function') throw new Error('the guard does not define handler()');
    const result: unknown = compiled(event);
    return typeof result === 'object' && result !== null ? result : {};
  };
  const request = (tls?: string) => ({
    request: { uri: '/a.jpg', headers: tls ? { 'cloudfront-viewer-tls': { value: tls } } : {} },
  });

  it('passes TLS 1.2 and 1.3 and rejects older versions with 426', () => {
    expect(guard(request('TLSv1.3:TLS_AES_128_GCM_SHA256')).statusCode).toBeUndefined();
    expect(guard(request('TLSv1.2:ECDHE-RSA-AES128-GCM-SHA256')).statusCode).toBeUndefined();
    expect(guard(request('TLSv1.1:ECDHE-RSA-AES128-SHA')).statusCode).toBe(426);
    expect(guard(request('TLSv1:ECDHE-RSA-AES128-SHA')).statusCode).toBe(426);
  });
});
