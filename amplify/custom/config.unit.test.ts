import { describe, expect, it } from 'vitest';
import { parseBackendConfig } from './config';

const CERTIFICATE_ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-90ab-cdef-1234-567890abcdef';
const DOCUMENT_HOST = 'doc-notes-abc123.eu-west-1.cloudsearch.amazonaws.com';
const SEARCH_HOST = 'search-notes-abc123.eu-west-1.cloudsearch.amazonaws.com';

describe('parseBackendConfig', () => {
  it('has working defaults for an empty environment', () => {
    // Act
    const config = parseBackendConfig({});

    // Assess
    expect(config).toEqual({
      search: { engine: 'opensearch' },
      push: { apnsSecretName: undefined, fcmSecretName: undefined, apnsSandbox: false },
      cdn: { domainName: undefined, certificateArn: undefined, webAclArn: undefined },
      alarms: { email: undefined, topicArn: undefined },
      apiWaf: { enabled: false, sendMessageLimit: undefined },
      authEmail: { from: undefined, sesIdentityArn: undefined },
    });
  });

  it('treats blank values as unset', () => {
    // Act
    const config = parseBackendConfig({
      CLOUDSEARCH_DOCUMENT_ENDPOINT: '   ',
      CLOUDSEARCH_DOMAIN_NAME: '',
      CDN_DOMAIN_NAME: ' ',
      PUSH_APNS_SECRET_NAME: '',
    });

    // Assess
    expect(config.search).toEqual({ engine: 'opensearch' });
    expect(config.cdn.domainName).toBeUndefined();
    expect(config.push.apnsSecretName).toBeUndefined();
  });

  it.each([
    ['a bare host', DOCUMENT_HOST],
    ['an https URL', `https://${DOCUMENT_HOST}`],
    ['an https URL with a trailing slash', `https://${DOCUMENT_HOST}/`],
    ['an http URL with trailing slashes', `http://${DOCUMENT_HOST}//`],
    ['a host with a trailing slash and spaces', `  ${DOCUMENT_HOST}/  `],
  ])('normalizes an endpoint given as %s to https://host', (_label, value) => {
    // Act
    const config = parseBackendConfig({ CLOUDSEARCH_DOCUMENT_ENDPOINT: value, CLOUDSEARCH_SEARCH_ENDPOINT: value });

    // Assess
    expect(config.search).toMatchObject({
      engine: 'cloudsearch',
      documentEndpoint: `https://${DOCUMENT_HOST}`,
      searchEndpoint: `https://${DOCUMENT_HOST}`,
    });
  });

  it('keeps the document and search endpoints apart', () => {
    // Act
    const config = parseBackendConfig({
      CLOUDSEARCH_DOCUMENT_ENDPOINT: DOCUMENT_HOST,
      CLOUDSEARCH_SEARCH_ENDPOINT: `https://${SEARCH_HOST}/`,
      CLOUDSEARCH_DOMAIN_NAME: 'my-notes',
    });

    // Assess
    expect(config.search).toEqual({
      engine: 'cloudsearch',
      domainName: 'my-notes',
      region: 'eu-west-1',
      documentEndpoint: `https://${DOCUMENT_HOST}`,
      searchEndpoint: `https://${SEARCH_HOST}`,
    });
  });

  it.each([
    ['a host with a space', 'doc notes.amazonaws.com'],
    ['a host without a dot', 'localhost'],
    ['a host with a path', `${DOCUMENT_HOST}/2013-01-01/documents/batch`],
    ['an upper-case host', 'DOC-NOTES.eu-west-1.cloudsearch.amazonaws.com'],
    ['a host with a port', `${DOCUMENT_HOST}:443`],
    ['a label starting with a hyphen', '-doc.amazonaws.com'],
  ])('rejects %s as an endpoint, naming the variable', (_label, value) => {
    // Act & Assess
    expect(() =>
      parseBackendConfig({ CLOUDSEARCH_DOCUMENT_ENDPOINT: value, CLOUDSEARCH_SEARCH_ENDPOINT: SEARCH_HOST }),
    ).toThrow(/^CLOUDSEARCH_DOCUMENT_ENDPOINT=".*" is not valid: expected a host name/);
    expect(() =>
      parseBackendConfig({ CLOUDSEARCH_SEARCH_ENDPOINT: value, CLOUDSEARCH_DOCUMENT_ENDPOINT: DOCUMENT_HOST }),
    ).toThrow(/^CLOUDSEARCH_SEARCH_ENDPOINT=".*" is not valid/);
  });

  it.each([
    ['upper case', 'Notes'],
    ['too short', 'ab'],
    ['too long', `n${'o'.repeat(28)}`],
    ['a leading digit', '1notes'],
    ['an underscore', 'my_notes'],
  ])('rejects a domain name with %s, naming the variable', (_label, value) => {
    // Act & Assess
    expect(() => parseBackendConfig({ CLOUDSEARCH_DOMAIN_NAME: value })).toThrow(
      `CLOUDSEARCH_DOMAIN_NAME=${JSON.stringify(value)} is not valid: expected a CloudSearch domain name.`,
    );
  });

  it('accepts domain names of 3 and 28 characters', () => {
    // Prepare
    const endpoints = { CLOUDSEARCH_DOCUMENT_ENDPOINT: DOCUMENT_HOST, CLOUDSEARCH_SEARCH_ENDPOINT: SEARCH_HOST };
    const longest = `n${'o'.repeat(27)}`;

    // Act & Assess
    expect(parseBackendConfig({ ...endpoints, CLOUDSEARCH_DOMAIN_NAME: 'abc' }).search).toMatchObject({
      domainName: 'abc',
    });
    expect(parseBackendConfig({ ...endpoints, CLOUDSEARCH_DOMAIN_NAME: longest }).search).toMatchObject({
      domainName: longest,
    });
  });

  it('accepts a custom CDN domain with its us-east-1 certificate', () => {
    // Act
    const config = parseBackendConfig({ CDN_DOMAIN_NAME: 'media.example.com', CDN_CERTIFICATE_ARN: CERTIFICATE_ARN });

    // Assess
    expect(config.cdn).toEqual({ domainName: 'media.example.com', certificateArn: CERTIFICATE_ARN });
  });

  it.each([
    ['in another region', CERTIFICATE_ARN.replace('us-east-1', 'eu-west-1')],
    ['of another service', CERTIFICATE_ARN.replace(':acm:', ':iam:')],
    ['with a short account id', CERTIFICATE_ARN.replace('123456789012', '12345')],
    ['with a malformed certificate id', `${CERTIFICATE_ARN}0`],
  ])('rejects a certificate ARN %s, naming the variable', (_label, value) => {
    // Act & Assess
    expect(() => parseBackendConfig({ CDN_DOMAIN_NAME: 'media.example.com', CDN_CERTIFICATE_ARN: value })).toThrow(
      `CDN_CERTIFICATE_ARN=${JSON.stringify(value)} is not valid: expected an ACM certificate ARN in us-east-1.`,
    );
  });

  it('accepts a certificate ARN in another partition', () => {
    // Prepare
    const arn = CERTIFICATE_ARN.replace('arn:aws:', 'arn:aws-us-gov:');

    // Act & Assess
    expect(
      parseBackendConfig({ CDN_DOMAIN_NAME: 'media.example.com', CDN_CERTIFICATE_ARN: arn }).cdn.certificateArn,
    ).toBe(arn);
  });

  it('rejects an invalid CDN domain, naming the variable', () => {
    // Act & Assess
    expect(() =>
      parseBackendConfig({ CDN_DOMAIN_NAME: 'https://media.example.com', CDN_CERTIFICATE_ARN: CERTIFICATE_ARN }),
    ).toThrow(/^CDN_DOMAIN_NAME=/);
  });

  it('rejects CDN_DOMAIN_NAME without CDN_CERTIFICATE_ARN', () => {
    // Act & Assess
    expect(() => parseBackendConfig({ CDN_DOMAIN_NAME: 'media.example.com' })).toThrow(
      'CDN_DOMAIN_NAME and CDN_CERTIFICATE_ARN go together: set both or neither.',
    );
  });

  it('rejects CDN_CERTIFICATE_ARN without CDN_DOMAIN_NAME', () => {
    // Act & Assess
    expect(() => parseBackendConfig({ CDN_CERTIFICATE_ARN: CERTIFICATE_ARN })).toThrow(
      /CDN_DOMAIN_NAME and CDN_CERTIFICATE_ARN go together/,
    );
  });

  it.each([
    ['true', true],
    [' true ', true],
    ['false', false],
    ['1', false],
    ['yes', false],
  ])('reads PUSH_APNS_SANDBOX=%j as %s', (value, expected) => {
    // Act & Assess
    expect(parseBackendConfig({ PUSH_APNS_SANDBOX: value }).push.apnsSandbox).toBe(expected);
  });

  it('reads the push secret names', () => {
    // Act
    const config = parseBackendConfig({
      PUSH_APNS_SECRET_NAME: 'push/apns-key',
      PUSH_FCM_SECRET_NAME: 'push/fcm_sa.json',
    });

    // Assess
    expect(config.push).toEqual({
      apnsSecretName: 'push/apns-key',
      fcmSecretName: 'push/fcm_sa.json',
      apnsSandbox: false,
    });
  });

  it.each(['PUSH_APNS_SECRET_NAME', 'PUSH_FCM_SECRET_NAME'])('rejects an invalid %s, naming it', (name) => {
    // Act & Assess
    expect(() => parseBackendConfig({ [name]: 'my secret!' })).toThrow(
      `${name}="my secret!" is not valid: expected a secret name.`,
    );
  });
});

describe('parseBackendConfig: the search engine', () => {
  const endpoints = { CLOUDSEARCH_DOCUMENT_ENDPOINT: DOCUMENT_HOST, CLOUDSEARCH_SEARCH_ENDPOINT: SEARCH_HOST };

  it('uses CloudSearch when its endpoints are set, with the domain name and region read from them', () => {
    // Act
    const config = parseBackendConfig(endpoints);

    // Assess
    expect(config.search).toEqual({
      engine: 'cloudsearch',
      domainName: 'notes',
      region: 'eu-west-1',
      documentEndpoint: `https://${DOCUMENT_HOST}`,
      searchEndpoint: `https://${SEARCH_HOST}`,
    });
  });

  it('reads the region of a domain in another region and partition', () => {
    // Act
    const config = parseBackendConfig({
      CLOUDSEARCH_DOCUMENT_ENDPOINT: 'doc-my-notes-x1y2z3.cn-north-1.cloudsearch.amazonaws.com.cn',
      CLOUDSEARCH_SEARCH_ENDPOINT: 'search-my-notes-x1y2z3.cn-north-1.cloudsearch.amazonaws.com.cn',
    });

    // Assess
    expect(config.search).toMatchObject({ engine: 'cloudsearch', domainName: 'my-notes', region: 'cn-north-1' });
  });

  it('leaves the region to the stack when the endpoints are not CloudSearch host names', () => {
    // Act
    const config = parseBackendConfig({
      CLOUDSEARCH_DOCUMENT_ENDPOINT: 'search.internal.example.com',
      CLOUDSEARCH_SEARCH_ENDPOINT: 'search.internal.example.com',
    });

    // Assess
    expect(config.search).toEqual({
      engine: 'cloudsearch',
      domainName: 'notes',
      documentEndpoint: 'https://search.internal.example.com',
      searchEndpoint: 'https://search.internal.example.com',
    });
  });

  it('rejects endpoints of domains in two regions', () => {
    // Act & Assess
    expect(() =>
      parseBackendConfig({ ...endpoints, CLOUDSEARCH_SEARCH_ENDPOINT: SEARCH_HOST.replace('eu-west-1', 'us-east-1') }),
    ).toThrow(/is in eu-west-1 but CLOUDSEARCH_SEARCH_ENDPOINT is in us-east-1/);
  });

  it.each([
    ['CLOUDSEARCH_DOCUMENT_ENDPOINT', { CLOUDSEARCH_DOCUMENT_ENDPOINT: DOCUMENT_HOST }],
    ['CLOUDSEARCH_SEARCH_ENDPOINT', { CLOUDSEARCH_SEARCH_ENDPOINT: SEARCH_HOST }],
  ])('rejects %s alone', (_name, env) => {
    // Act & Assess
    expect(() => parseBackendConfig(env)).toThrow(
      'CLOUDSEARCH_DOCUMENT_ENDPOINT and CLOUDSEARCH_SEARCH_ENDPOINT go together: set both or neither.',
    );
  });

  it('creates OpenSearch by default, with an optional instance type', () => {
    // Act & Assess
    expect(parseBackendConfig({}).search).toEqual({ engine: 'opensearch' });
    expect(parseBackendConfig({ OPENSEARCH_INSTANCE_TYPE: 'm7g.large.search' }).search).toEqual({
      engine: 'opensearch',
      instanceType: 'm7g.large.search',
    });
    expect(() => parseBackendConfig({ OPENSEARCH_INSTANCE_TYPE: 't3.small' })).toThrow(
      /^OPENSEARCH_INSTANCE_TYPE="t3.small" is not valid/,
    );
  });

  it('follows SEARCH_ENGINE over the endpoints, and rejects an unknown engine', () => {
    // Act & Assess
    expect(parseBackendConfig({ ...endpoints, SEARCH_ENGINE: 'opensearch' }).search).toEqual({ engine: 'opensearch' });
    expect(parseBackendConfig({ ...endpoints, SEARCH_ENGINE: 'none' }).search).toEqual({ engine: 'none' });
    expect(parseBackendConfig({ SEARCH_ENGINE: 'none' }).search).toEqual({ engine: 'none' });
    expect(() => parseBackendConfig({ SEARCH_ENGINE: 'elastic' })).toThrow(
      'SEARCH_ENGINE="elastic" is not valid: expected one of cloudsearch, opensearch, none.',
    );
    expect(() => parseBackendConfig({ SEARCH_ENGINE: 'cloudsearch' })).toThrow(
      /SEARCH_ENGINE=cloudsearch needs CLOUDSEARCH_DOCUMENT_ENDPOINT and CLOUDSEARCH_SEARCH_ENDPOINT/,
    );
  });
});

describe('parseBackendConfig: alarms and optional protections', () => {
  const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ops-alerts';
  const WEB_ACL = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/media/a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

  it('reads the alarm address and topic', () => {
    // Act & Assess
    expect(parseBackendConfig({ ALARM_EMAIL: ' ops@example.com ', ALARM_TOPIC_ARN: TOPIC }).alarms).toEqual({
      email: 'ops@example.com',
      topicArn: TOPIC,
    });
  });

  it.each([
    ['ALARM_EMAIL', 'ops@'],
    ['ALARM_EMAIL', 'ops example.com'],
    ['ALARM_TOPIC_ARN', 'arn:aws:sqs:eu-west-1:123456789012:queue'],
    ['ALARM_TOPIC_ARN', 'ops-alerts'],
    ['CDN_WEB_ACL_ARN', WEB_ACL.replace('us-east-1', 'eu-west-1')],
    ['CDN_WEB_ACL_ARN', WEB_ACL.replace('global/', 'regional/')],
    ['AUTH_EMAIL_FROM', 'no-reply'],
    ['SEND_MESSAGE_RATE_LIMIT', '1.5'],
    ['SEND_MESSAGE_RATE_LIMIT', '-3'],
  ])('rejects %s=%j, naming it', (name, value) => {
    // Act & Assess
    expect(() => parseBackendConfig({ [name]: value })).toThrow(new RegExp(`^${name}=`));
  });

  it('switches the API web ACL on with API_WAF=true or a sendMessage limit', () => {
    // Act & Assess
    expect(parseBackendConfig({ API_WAF: 'true' }).apiWaf).toEqual({ enabled: true, sendMessageLimit: undefined });
    expect(parseBackendConfig({ SEND_MESSAGE_RATE_LIMIT: '100' }).apiWaf).toEqual({
      enabled: true,
      sendMessageLimit: 100,
    });
    expect(parseBackendConfig({ API_WAF: 'yes' }).apiWaf.enabled).toBe(false);
  });

  it("rejects a sendMessage limit below WAF's minimum of 10", () => {
    // Act & Assess
    expect(() => parseBackendConfig({ SEND_MESSAGE_RATE_LIMIT: '9' })).toThrow(/smallest limit is 10/);
  });

  it('reads the CloudFront web ACL', () => {
    // Act & Assess
    expect(parseBackendConfig({ CDN_WEB_ACL_ARN: WEB_ACL }).cdn.webAclArn).toBe(WEB_ACL);
  });

  it('reads the SES sender, and wants the address with an identity ARN', () => {
    // Prepare
    const identity = 'arn:aws:ses:eu-west-1:123456789012:identity/example.com';

    // Act & Assess
    expect(parseBackendConfig({ AUTH_EMAIL_FROM: 'no-reply@example.com' }).authEmail).toEqual({
      from: 'no-reply@example.com',
      sesIdentityArn: undefined,
    });
    expect(
      parseBackendConfig({ AUTH_EMAIL_FROM: 'no-reply@example.com', AUTH_SES_IDENTITY_ARN: identity }).authEmail,
    ).toEqual({ from: 'no-reply@example.com', sesIdentityArn: identity });
    expect(() => parseBackendConfig({ AUTH_SES_IDENTITY_ARN: identity })).toThrow(
      'AUTH_SES_IDENTITY_ARN needs AUTH_EMAIL_FROM: the address Cognito sends from.',
    );
    expect(() =>
      parseBackendConfig({ AUTH_EMAIL_FROM: 'a@example.com', AUTH_SES_IDENTITY_ARN: 'example.com' }),
    ).toThrow(/^AUTH_SES_IDENTITY_ARN=/);
  });
});
