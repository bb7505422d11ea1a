import { Aws, Stack, Validations } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  Function as EdgeFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HttpVersion,
  type IOrigin,
  type IOriginAccessControl,
  type OriginBindConfig,
  type OriginBindOptions,
  OriginRequestHeaderBehavior,
  OriginRequestPolicy,
  S3OriginAccessControl,
  SecurityPolicyProtocol,
  Signing,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PUBLISHED_PREFIX } from '../storage/resource';
import type { BackendConfig } from './config';

/**
 * Rejects viewers below TLS 1.2 when CloudFront tells us the negotiated
 * version. It runs only with the default *.cloudfront.net certificate, whose
 * security policy CloudFront fixes at TLSv1; with a custom domain the
 * distribution's own TLSv1.2_2021 policy does the job.
 */
export const TLS_GUARD_CODE = `function handler(event) {
  var tls = event.request.headers['cloudfront-viewer-tls'];
  if (tls) {
    var version = tls.value.split(':')[0];
    if (version !== 'TLSv1.2' && version !== 'TLSv1.3') {
      return { statusCode: 426, statusDescription: 'Upgrade Required', headers: { upgrade: { value: 'TLS/1.2' } } };
    }
  }
  return event.request;
}`;

/**
 * An S3 origin reached through Origin Access Control that leaves the bucket
 * policy to us, so the grant can name the published prefix alone (CDK's
 * S3BucketOrigin.withOriginAccessControl grants the whole bucket).
 */
class PrefixOacOrigin implements IOrigin {
  constructor(
    private readonly bucket: IBucket,
    private readonly originPath: string,
    private readonly oac: IOriginAccessControl,
  ) {}

  bind(_scope: Construct, options: OriginBindOptions): OriginBindConfig {
    return {
      originProperty: {
        id: options.originId,
        domainName: this.bucket.bucketRegionalDomainName,
        originPath: this.originPath,
        originAccessControlId: this.oac.originAccessControlId,
        // An empty identity: the origin uses OAC, not a legacy origin access identity.
        s3OriginConfig: { originAccessIdentity: '' },
      },
    };
  }
}

/**
 * A CloudFront distribution over the published prefix only, reaching the
 * bucket through Origin Access Control. It lives in the storage stack, because
 * the bucket policy that admits it must name it.
 */
export class MediaCdn extends Construct {
  readonly distribution: Distribution;
  /** What apps use: the custom domain when there is one, else the distribution's own. */
  readonly url: string;

  constructor(
    scope: Construct,
    id: string,
    props: { bucket: IBucket; logBucket: IBucket; config: BackendConfig['cdn'] },
  ) {
    super(scope, id);
    const { bucket, logBucket, config } = props;
    const oac = new S3OriginAccessControl(this, 'OriginAccessControl', { signing: Signing.SIGV4_ALWAYS });
    const certificate = config.certificateArn
      ? Certificate.fromCertificateArn(this, 'Certificate', config.certificateArn)
      : undefined;
    const guard = certificate
      ? undefined
      : new EdgeFunction(this, 'RequireTls12', {
          code: FunctionCode.fromInline(TLS_GUARD_CODE),
          runtime: FunctionRuntime.JS_2_0,
          comment: 'Reject viewers below TLS 1.2',
        });
    const viewerTls = new OriginRequestPolicy(this, 'ViewerTls', {
      comment: 'Expose the negotiated TLS version to the edge function',
      headerBehavior: OriginRequestHeaderBehavior.allowList('CloudFront-Viewer-TLS'),
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Published user media',
      defaultBehavior: {
        origin: new PrefixOacOrigin(bucket, `/${PUBLISHED_PREFIX.replace(/\/$/, '')}`, oac),
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        originRequestPolicy: viewerTls,
        functionAssociations: guard ? [{ function: guard, eventType: FunctionEventType.VIEWER_REQUEST }] : [],
      },
      certificate,
      domainNames: config.domainName ? [config.domainName] : undefined,
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket,
      logFilePrefix: 'cdn/',
      webAclId: config.webAclArn,
    });

    this.url = `https://${config.domainName ?? this.distribution.distributionDomainName}`;

    // Read access to the published prefix only, and only for this distribution.
    bucket.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudfront.amazonaws.com')],
        actions: ['s3:GetObject'],
        resources: [bucket.arnForObjects(`${PUBLISHED_PREFIX}*`)],
        conditions: {
          StringEquals: {
            'AWS:SourceArn': `arn:${Aws.PARTITION}:cloudfront::${Stack.of(this).account}:distribution/${this.distribution.distributionId}`,
          },
        },
      }),
    );

    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason: 'A mobile app serves its users worldwide; there is no country to exclude.',
    });
    if (!config.webAclArn) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR2',
        reason:
          'Read-only, cache-optimised delivery of published media; set CDN_WEB_ACL_ARN to attach a CloudFront web ACL (it must live in us-east-1).',
      });
    }
    if (!certificate) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          'With the default *.cloudfront.net certificate CloudFront fixes the policy at TLSv1; the RequireTls12 edge function rejects older viewers. Set CDN_DOMAIN_NAME and CDN_CERTIFICATE_ARN for the TLSv1.2_2021 policy.',
      });
    }
  }
}
