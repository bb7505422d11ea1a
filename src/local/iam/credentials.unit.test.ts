import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, describe, expect, it } from 'vitest';
import { type IssuedIdentity, LocalCredentials } from './credentials';
import type { PolicyDocument } from './policy';
import { SignedRequestError } from './principals';

const ROLE = 'arn:aws:iam::000000000000:role/authRole';
const POLICIES = new Map<string, PolicyDocument[]>([
  [
    ROLE,
    [
      {
        Statement: {
          Effect: 'Allow',
          Action: 's3:GetObject',
          // An IAM policy variable, not a template placeholder.
          Resource: `arn:aws:s3:::media/private/$\{cognito-identity.amazonaws.com:sub}/*`,
        },
      },
    ],
  ],
]);

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const open = (identities: Map<string, IssuedIdentity> = new Map()) => {
  const dir = mkdtempSync(join(tmpdir(), 'local-credentials-'));
  dirs.push(dir);
  const file = join(dir, 'admin-credentials.json');
  const credentials = new LocalCredentials({
    file,
    region: 'us-east-1',
    accountId: '000000000000',
    identityPoolId: 'us-east-1:pool',
    policies: () => POLICIES,
    identities: (accessKeyId) => identities.get(accessKeyId),
  });
  return { credentials, file, dir };
};

/** A request signed by the SDK's signer, as a local server receives it. */
const signedRequest = async (
  creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  service: string,
  body = '{"UserPoolId":"p"}',
) => {
  const signer = new SignatureV4({ credentials: creds, region: 'us-east-1', service, sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 9000,
    path: '/',
    headers: { host: '127.0.0.1:9000', 'x-amz-target': 'AWSCognitoIdentityProviderService.AdminAddUserToGroup' },
    body,
  });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = String(v);
  return { method: 'POST', url: '/', headers, body: Buffer.from(body) };
};

const refusal = (call: () => unknown) => {
  try {
    call();
  } catch (error) {
    if (error instanceof SignedRequestError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('the request was accepted');
};

describe('local credentials', () => {
  it('verifies a signature for any service and names the signer', async () => {
    // Prepare
    const { credentials } = open();
    // Act
    const principal = credentials.verify(await signedRequest(credentials.admin, 'cognito-idp'), 'cognito-idp');
    const request = await signedRequest(credentials.admin, 'dynamodb');
    // Assess
    expect(principal).toEqual({ accessKeyId: credentials.admin.accessKeyId, kind: 'admin', name: 'admin' });
    expect(refusal(() => credentials.verify(request, 'cognito-idp'))).toEqual({
      code: 'InvalidSignatureException',
      message: "Credential should be scoped to correct service: 'cognito-idp'.",
    });
  });

  it('refuses a body other than the one signed', async () => {
    // Prepare
    const { credentials } = open();
    const request = await signedRequest(credentials.admin, 'cognito-idp');
    // Act
    const swapped = refusal(() =>
      credentials.verify({ ...request, body: Buffer.from('{"UserPoolId":"q"}') }, 'cognito-idp'),
    );
    // Assess
    expect(swapped.code).toBe('InvalidSignatureException');
  });

  it("decides for an identity with its role's policies and the identity-pool context keys, until it expires", async () => {
    // Prepare
    const identities = new Map<string, IssuedIdentity>([
      [
        'ASIAIDENTITY',
        {
          identityId: 'us-east-1:ada',
          roleArn: ROLE,
          authenticated: true,
          secretAccessKey: 'identity-secret',
          sessionToken: 'identity-token',
        },
      ],
    ]);
    const { credentials } = open(identities);
    const principal = credentials.verify(
      await signedRequest(
        { accessKeyId: 'ASIAIDENTITY', secretAccessKey: 'identity-secret', sessionToken: 'identity-token' },
        's3',
      ),
      's3',
    );
    // Act
    const own = credentials.authorize(principal, {
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::media/private/us-east-1:ada/a',
    });
    const other = credentials.authorize(principal, {
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::media/private/us-east-1:bob/a',
    });
    identities.clear();
    const expired = credentials.authorize(principal, {
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::media/private/us-east-1:ada/a',
    });
    // Assess
    expect(principal).toMatchObject({ kind: 'identity', roleArn: ROLE, name: 'us-east-1:ada' });
    expect([own, other, expired]).toEqual(['Allow', 'ImplicitDeny', 'ImplicitDeny']);
    expect(credentials.arnOf(principal)).toBe(
      'arn:aws:sts::000000000000:assumed-role/authRole/CognitoIdentityCredentials',
    );
  });

  it('gives each function its own temporary key, stable for its name and role', () => {
    // Prepare
    const { credentials } = open();
    // Act
    const a = credentials.forFunction('indexer', ROLE);
    const b = credentials.forFunction('search', ROLE);
    const c = credentials.forFunction('indexer', 'arn:aws:iam::000000000000:role/other');
    // Assess
    expect(new Set([a.accessKeyId, b.accessKeyId, c.accessKeyId]).size).toBe(3);
    expect(a.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(credentials.forFunction('indexer', ROLE)).toEqual(a);
    expect(credentials.lookup(a.accessKeyId)?.principal).toEqual({
      accessKeyId: a.accessKeyId,
      kind: 'function',
      roleArn: ROLE,
      name: 'indexer',
    });
  });

  it('writes the admin credential privately, and replaces a torn file', () => {
    // Prepare
    const { file, credentials } = open();
    const first = credentials.admin;
    // Act
    writeFileSync(file, '{"accessKeyId":"AKIA', { mode: 0o644 });
    const again = new LocalCredentials({
      file,
      region: 'us-east-1',
      accountId: '000000000000',
      policies: () => POLICIES,
    });
    // Assess
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(again.admin.accessKeyId).not.toBe(first.accessKeyId);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ ...again.admin, region: 'us-east-1' });
  });
});
