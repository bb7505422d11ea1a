/**
 * Deploy-time configuration, read from the environment of `npx ampx sandbox`
 * or of the Amplify Hosting build. Every value is optional: a backend without
 * them synthesizes and deploys, and the feature that needs one says so.
 */
/** Which engine serves search: an existing CloudSearch domain, an OpenSearch domain this template creates, or none. */
export type SearchConfig =
  | {
      engine: 'cloudsearch';
      /** The existing CloudSearch domain's name (CloudFormation cannot create one). */
      domainName: string;
      /** The domain's region, read from its endpoints; undefined means the stack's own region. */
      region?: string;
      documentEndpoint: string;
      searchEndpoint: string;
    }
  | {
      engine: 'opensearch';
      /** Overrides the instance type chosen per deployment type. */
      instanceType?: string;
    }
  | { engine: 'none' };

export interface BackendConfig {
  search: SearchConfig;
  push: {
    /** Secrets Manager secret with the APNs token key: JSON {teamId, keyId, bundleId, tokenKey}. */
    apnsSecretName?: string;
    /** Secrets Manager secret with the FCM service-account JSON. */
    fcmSecretName?: string;
    /** Use the APNs sandbox (development builds) instead of production. */
    apnsSandbox: boolean;
  };
  cdn: {
    /** A custom domain and its us-east-1 ACM certificate, for TLS 1.2+ on the viewer side. */
    domainName?: string;
    certificateArn?: string;
    /** An existing CloudFront-scope (us-east-1) WAF web ACL for the distribution. */
    webAclArn?: string;
  };
  alarms: {
    /** An address subscribed to the alarm topic (it must confirm the subscription). */
    email?: string;
    /** An existing SNS topic that every alarm also notifies (chat, paging, a shared ops topic). */
    topicArn?: string;
  };
  /** A web ACL in front of the GraphQL API: AWS managed rules, a per-IP rate limit, and the sendMessage limit. */
  apiWaf: {
    enabled: boolean;
    /** sendMessage requests per user (Authorization header) per 5 minutes; undefined means no limit. */
    sendMessageLimit?: number;
  };
  authEmail: {
    /** Send Cognito's e-mail through SES from this address instead of Cognito's capped default sender. */
    from?: string;
    /** The verified SES identity (the address or its domain); default: the address, in the stack's region. */
    sesIdentityArn?: string;
  };
}

const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;
const DOMAIN_NAME = /^[a-z][a-z0-9-]{2,27}$/;
const CERT_ARN = /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]{36}$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const EMAIL = /^[A-Za-z0-9._%+-]+@[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const CLOUDFRONT_WEB_ACL_ARN =
  /^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/[A-Za-z0-9_-]{1,128}\/[0-9a-f-]{36}$/;
const SES_IDENTITY_ARN = /^arn:aws[a-z-]*:ses:[a-z]{2}(-[a-z]+)+-\d:\d{12}:identity\/[^\s]+$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9]*\.[a-z0-9]+\.search$/;
const POSITIVE_INT = /^[1-9]\d{0,8}$/;
// doc-<domain>-<id>.<region>.cloudsearch.amazonaws.com[.cn]
const CLOUDSEARCH_HOST =
  /^(?:doc|search)-([a-z][a-z0-9-]{2,27})-[a-z0-9]+\.([a-z]{2}(?:-[a-z]+)+-\d)\.cloudsearch\.amazonaws\.com(?:\.cn)?$/;
const SEARCH_ENGINES = ['cloudsearch', 'opensearch', 'none'] as const;

const optional = (env: Record<string, string | undefined>, name: string): string | undefined => {
  const value = env[name]?.trim();
  return value ? value : undefined;
};

const check = (value: string | undefined, pattern: RegExp, name: string, expected: string): string | undefined => {
  if (value !== undefined && !pattern.test(value)) {
    throw new Error(`${name}=${JSON.stringify(value)} is not valid: expected ${expected}.`);
  }
  return value;
};

/** Strips a scheme and trailing slash, so an endpoint may be given either way. */
const host = (value: string | undefined): string | undefined => value?.replace(/^https?:\/\//, '').replace(/\/+$/, '');

const parseSearch = (env: Record<string, string | undefined>): SearchConfig => {
  const documentEndpoint = check(
    host(optional(env, 'CLOUDSEARCH_DOCUMENT_ENDPOINT')),
    HOST,
    'CLOUDSEARCH_DOCUMENT_ENDPOINT',
    'a host name such as doc-notes-abc123.eu-west-1.cloudsearch.amazonaws.com',
  );
  const searchEndpoint = check(
    host(optional(env, 'CLOUDSEARCH_SEARCH_ENDPOINT')),
    HOST,
    'CLOUDSEARCH_SEARCH_ENDPOINT',
    'a host name such as search-notes-abc123.eu-west-1.cloudsearch.amazonaws.com',
  );
  const configuredName = check(
    optional(env, 'CLOUDSEARCH_DOMAIN_NAME'),
    DOMAIN_NAME,
    'CLOUDSEARCH_DOMAIN_NAME',
    'a CloudSearch domain name',
  );
  const engine = optional(env, 'SEARCH_ENGINE');
  if (engine !== undefined && !SEARCH_ENGINES.some((known) => known === engine)) {
    throw new Error(
      `SEARCH_ENGINE=${JSON.stringify(engine)} is not valid: expected one of ${SEARCH_ENGINES.join(', ')}.`,
    );
  }
  if ((documentEndpoint === undefined) !== (searchEndpoint === undefined)) {
    throw new Error('CLOUDSEARCH_DOCUMENT_ENDPOINT and CLOUDSEARCH_SEARCH_ENDPOINT go together: set both or neither.');
  }
  const chosen = engine ?? (documentEndpoint ? 'cloudsearch' : 'opensearch');
  if (chosen === 'none') return { engine: 'none' };
  if (chosen === 'opensearch') {
    const instanceType = check(
      optional(env, 'OPENSEARCH_INSTANCE_TYPE'),
      INSTANCE_TYPE,
      'OPENSEARCH_INSTANCE_TYPE',
      'an OpenSearch Service instance type such as t3.small.search',
    );
    return instanceType ? { engine: 'opensearch', instanceType } : { engine: 'opensearch' };
  }
  if (!documentEndpoint || !searchEndpoint) {
    throw new Error(
      "SEARCH_ENGINE=cloudsearch needs CLOUDSEARCH_DOCUMENT_ENDPOINT and CLOUDSEARCH_SEARCH_ENDPOINT (the domain's endpoints); unset SEARCH_ENGINE to use OpenSearch.",
    );
  }
  const parsed = CLOUDSEARCH_HOST.exec(documentEndpoint);
  const region = parsed?.[2];
  const searchRegion = CLOUDSEARCH_HOST.exec(searchEndpoint)?.[2];
  if (region && searchRegion && region !== searchRegion) {
    throw new Error(
      `CLOUDSEARCH_DOCUMENT_ENDPOINT is in ${region} but CLOUDSEARCH_SEARCH_ENDPOINT is in ${searchRegion}: give the endpoints of one domain.`,
    );
  }
  return {
    engine: 'cloudsearch',
    domainName: configuredName ?? parsed?.[1] ?? 'notes',
    ...(region && { region }),
    documentEndpoint: `https://${documentEndpoint}`,
    searchEndpoint: `https://${searchEndpoint}`,
  };
};

const positiveInt = (env: Record<string, string | undefined>, name: string): number | undefined => {
  const value = check(optional(env, name), POSITIVE_INT, name, 'a positive whole number');
  return value === undefined ? undefined : Number(value);
};

const flag = (env: Record<string, string | undefined>, name: string): boolean => optional(env, name) === 'true';

export const parseBackendConfig = (env: Record<string, string | undefined>): BackendConfig => {
  const cdnDomain = check(optional(env, 'CDN_DOMAIN_NAME'), HOST, 'CDN_DOMAIN_NAME', 'a host name');
  const certificateArn = check(
    optional(env, 'CDN_CERTIFICATE_ARN'),
    CERT_ARN,
    'CDN_CERTIFICATE_ARN',
    'an ACM certificate ARN in us-east-1',
  );
  if ((cdnDomain === undefined) !== (certificateArn === undefined)) {
    throw new Error('CDN_DOMAIN_NAME and CDN_CERTIFICATE_ARN go together: set both or neither.');
  }
  const sendMessageLimit = positiveInt(env, 'SEND_MESSAGE_RATE_LIMIT');
  if (sendMessageLimit !== undefined && sendMessageLimit < 10) {
    // WAF's smallest rate-based limit.
    throw new Error(
      `SEND_MESSAGE_RATE_LIMIT=${sendMessageLimit} is not valid: WAF's smallest limit is 10 requests per 5 minutes.`,
    );
  }
  const emailFrom = check(optional(env, 'AUTH_EMAIL_FROM'), EMAIL, 'AUTH_EMAIL_FROM', 'an e-mail address');
  const sesIdentityArn = check(
    optional(env, 'AUTH_SES_IDENTITY_ARN'),
    SES_IDENTITY_ARN,
    'AUTH_SES_IDENTITY_ARN',
    'an SES identity ARN such as arn:aws:ses:eu-west-1:123456789012:identity/example.com',
  );
  if (sesIdentityArn && !emailFrom) {
    throw new Error('AUTH_SES_IDENTITY_ARN needs AUTH_EMAIL_FROM: the address Cognito sends from.');
  }
  return {
    search: parseSearch(env),
    push: {
      apnsSecretName: check(
        optional(env, 'PUSH_APNS_SECRET_NAME'),
        SECRET_NAME,
        'PUSH_APNS_SECRET_NAME',
        'a secret name',
      ),
      fcmSecretName: check(optional(env, 'PUSH_FCM_SECRET_NAME'), SECRET_NAME, 'PUSH_FCM_SECRET_NAME', 'a secret name'),
      apnsSandbox: flag(env, 'PUSH_APNS_SANDBOX'),
    },
    cdn: {
      domainName: cdnDomain,
      certificateArn,
      webAclArn: check(
        optional(env, 'CDN_WEB_ACL_ARN'),
        CLOUDFRONT_WEB_ACL_ARN,
        'CDN_WEB_ACL_ARN',
        'a CloudFront-scope WAF web ACL ARN (arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>)',
      ),
    },
    alarms: {
      email: check(optional(env, 'ALARM_EMAIL'), EMAIL, 'ALARM_EMAIL', 'an e-mail address'),
      topicArn: check(optional(env, 'ALARM_TOPIC_ARN'), TOPIC_ARN, 'ALARM_TOPIC_ARN', 'an SNS topic ARN'),
    },
    // A sendMessage limit needs the web ACL, so it switches it on.
    apiWaf: { enabled: flag(env, 'API_WAF') || sendMessageLimit !== undefined, sendMessageLimit },
    authEmail: { from: emailFrom, sesIdentityArn },
  };
};
