/**
 * Deploy-time configuration, read from the environment of `npx ampx sandbox`
 * or of the Amplify Hosting build. Every value is optional: a backend without
 * them synthesizes and deploys, and the feature that needs one says so.
 */
export interface BackendConfig {
  search: {
    /** The existing CloudSearch domain's name (CloudFormation cannot create one). */
    domainName: string;
    documentEndpoint: string;
    searchEndpoint: string;
  };
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
  };
}

const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;
const DOMAIN_NAME = /^[a-z][a-z0-9-]{2,27}$/;
const CERT_ARN = /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]{36}$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

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

export const parseBackendConfig = (env: Record<string, string | undefined>): BackendConfig => {
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
  const domainName =
    check(
      optional(env, 'CLOUDSEARCH_DOMAIN_NAME'),
      DOMAIN_NAME,
      'CLOUDSEARCH_DOMAIN_NAME',
      'a CloudSearch domain name',
    ) ?? 'notes';
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
  return {
    search: {
      domainName,
      // An unconfigured endpoint reaches the functions as an empty value; they fail at cold start naming it.
      documentEndpoint: documentEndpoint ? `https://${documentEndpoint}` : '',
      searchEndpoint: searchEndpoint ? `https://${searchEndpoint}` : '',
    },
    push: {
      apnsSecretName: check(
        optional(env, 'PUSH_APNS_SECRET_NAME'),
        SECRET_NAME,
        'PUSH_APNS_SECRET_NAME',
        'a secret name',
      ),
      fcmSecretName: check(optional(env, 'PUSH_FCM_SECRET_NAME'), SECRET_NAME, 'PUSH_FCM_SECRET_NAME', 'a secret name'),
      apnsSandbox: optional(env, 'PUSH_APNS_SANDBOX') === 'true',
    },
    cdn: { domainName: cdnDomain, certificateArn },
  };
};
