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
      search: { domainName: 'notes', documentEndpoint: '', searchEndpoint: '' },
      push: { apnsSecretName: undefined, fcmSecretName: undefined, apnsSandbox: false },
      cdn: { domainName: undefined, certificateArn: undefined },
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
    expect(config.search).toEqual({ domainName: 'notes', documentEndpoint: '', searchEndpoint: '' });
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
    expect(config.search.documentEndpoint).toBe(`https://${DOCUMENT_HOST}`);
    expect(config.search.searchEndpoint).toBe(`https://${DOCUMENT_HOST}`);
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
      domainName: 'my-notes',
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
    expect(() => parseBackendConfig({ CLOUDSEARCH_DOCUMENT_ENDPOINT: value })).toThrow(
      /^CLOUDSEARCH_DOCUMENT_ENDPOINT=".*" is not valid: expected a host name/,
    );
    expect(() => parseBackendConfig({ CLOUDSEARCH_SEARCH_ENDPOINT: value })).toThrow(
      /^CLOUDSEARCH_SEARCH_ENDPOINT=".*" is not valid/,
    );
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
    // Act & Assess
    expect(parseBackendConfig({ CLOUDSEARCH_DOMAIN_NAME: 'abc' }).search.domainName).toBe('abc');
    const longest = `n${'o'.repeat(27)}`;
    expect(parseBackendConfig({ CLOUDSEARCH_DOMAIN_NAME: longest }).search.domainName).toBe(longest);
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
