import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  UpdateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCredentials } from '../iam/credentials';
import type { PolicyDocument } from '../iam/policy';
import { NAMES } from '../settings/names';
import { syntheticAssembly } from '../settings/test-assembly';
import { secretArn } from './arn';
import { LocalSecretsManagerState } from './local';
import { PUNCTUATION } from './password';
import { type LocalSecretsManager, startLocalSecretsManager } from './server';
import { secretsManagerFileOf } from './store';

/**
 * The local Secrets Manager through the real `@aws-sdk/client-secrets-manager`
 * (and Powertools' `getSecret`): every operation, versions and staging labels,
 * the template's generated secrets kept across a restart, Secrets Manager's
 * own errors for bad input, and SigV4 plus the caller's role policies.
 */

const { region, accountId } = NAMES;
const ROLE = `arn:aws:iam::${accountId}:role/readerRole`;
const POLICIES = new Map<string, PolicyDocument[]>([
  [
    ROLE,
    [
      {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: `arn:aws:secretsmanager:${region}:${accountId}:secret:app/granted-??????`,
          },
          {
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: `arn:aws:secretsmanager:${region}:${accountId}:secret:existing/api-key-??????`,
          },
        ],
      },
    ],
  ],
]);

let dir: string;
let credentials: LocalCredentials;
let state: LocalSecretsManagerState;
let server: LocalSecretsManager;
let admin: SecretsManagerClient;
let reader: SecretsManagerClient;

const start = async () => {
  state = new LocalSecretsManagerState(secretsManagerFileOf(dir), NAMES);
  server = await startLocalSecretsManager({
    engine: state.engine,
    verify: credentials.verify,
    authorize: credentials.authorize,
    deniedMessage: (principal, action, resource) =>
      credentials.deniedMessage(principal, action, resource, 'ImplicitDeny'),
  });
  const client = (c: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) =>
    new SecretsManagerClient({ region, endpoint: server.url, credentials: c, maxAttempts: 1 });
  admin = client(credentials.admin);
  reader = client(credentials.forFunction('reader', ROLE));
};

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => ({
      name: error.name,
      message: error.message,
      status: error.$metadata?.httpStatusCode,
    }),
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'secretsmanager-'));
  credentials = new LocalCredentials({
    file: join(dir, 'admin.json'),
    accountId,
    region,
    policies: () => POLICIES,
  });
  await start();
});
afterAll(async () => {
  admin.destroy();
  reader.destroy();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('secrets and their versions', () => {
  it('creates a secret and reads it by name, ARN and partial ARN', async () => {
    // Act
    const created = await admin.send(
      new CreateSecretCommand({ Name: 'app/db', SecretString: '{"password":"one"}', Description: 'db' }),
    );
    const byName = await admin.send(new GetSecretValueCommand({ SecretId: 'app/db' }));
    const byArn = await admin.send(new GetSecretValueCommand({ SecretId: created.ARN }));
    const byPartial = await admin.send(
      new GetSecretValueCommand({ SecretId: `arn:aws:secretsmanager:${region}:${accountId}:secret:app/db` }),
    );
    // Assess
    expect(created.ARN).toMatch(
      new RegExp(`^arn:aws:secretsmanager:${region}:${accountId}:secret:app/db-[A-Za-z0-9]{6}$`),
    );
    for (const value of [byName, byArn, byPartial]) {
      expect(value).toMatchObject({ ARN: created.ARN, Name: 'app/db', SecretString: '{"password":"one"}' });
      expect(value.VersionStages).toEqual(['AWSCURRENT']);
      expect(value.VersionId).toBe(created.VersionId);
      expect(value.CreatedDate).toBeInstanceOf(Date);
    }
    expect(statSync(secretsManagerFileOf(dir)).mode & 0o777).toBe(0o600);
  });

  it('moves AWSCURRENT to each new value and keeps the one before as AWSPREVIOUS', async () => {
    // Act
    const first = await admin.send(new GetSecretValueCommand({ SecretId: 'app/db' }));
    const second = await admin.send(new PutSecretValueCommand({ SecretId: 'app/db', SecretString: 'two' }));
    const third = await admin.send(
      new UpdateSecretCommand({ SecretId: 'app/db', SecretString: 'three', Description: 'db v3' }),
    );
    const current = await admin.send(new GetSecretValueCommand({ SecretId: 'app/db' }));
    const previous = await admin.send(new GetSecretValueCommand({ SecretId: 'app/db', VersionStage: 'AWSPREVIOUS' }));
    const oldest = await admin.send(new GetSecretValueCommand({ SecretId: 'app/db', VersionId: first.VersionId }));
    const described = await admin.send(new DescribeSecretCommand({ SecretId: 'app/db' }));
    // Assess
    expect(second.VersionStages).toEqual(['AWSCURRENT']);
    expect(current).toMatchObject({ SecretString: 'three', VersionId: third.VersionId });
    expect(previous).toMatchObject({
      SecretString: 'two',
      VersionId: second.VersionId,
      VersionStages: ['AWSPREVIOUS'],
    });
    expect(oldest).toMatchObject({ SecretString: '{"password":"one"}', VersionStages: [] });
    expect(described.Description).toBe('db v3');
    expect(described.VersionIdsToStages).toEqual({
      [String(second.VersionId)]: ['AWSPREVIOUS'],
      [String(third.VersionId)]: ['AWSCURRENT'],
    });
  });

  it('is idempotent for a retried token, and refuses the token with another value', async () => {
    // Prepare
    const token = 'a'.repeat(32);
    // Act
    const once = await admin.send(
      new PutSecretValueCommand({ SecretId: 'app/db', SecretString: 'four', ClientRequestToken: token }),
    );
    const again = await admin.send(
      new PutSecretValueCommand({ SecretId: 'app/db', SecretString: 'four', ClientRequestToken: token }),
    );
    const changed = await errorOf(
      admin.send(new PutSecretValueCommand({ SecretId: 'app/db', SecretString: 'five', ClientRequestToken: token })),
    );
    // Assess
    expect(again.VersionId).toBe(once.VersionId);
    expect(changed).toMatchObject({ name: 'ResourceExistsException', status: 400 });
  });

  it('keeps binary values, lists with filters and pages', async () => {
    // Prepare
    await admin.send(
      new CreateSecretCommand({
        Name: 'bin/key',
        SecretBinary: new Uint8Array([0, 1, 2, 255]),
        Tags: [{ Key: 'team', Value: 'red' }],
      }),
    );
    for (let i = 0; i < 3; i++)
      await admin.send(new CreateSecretCommand({ Name: `page/s${i}`, SecretString: String(i) }));
    // Act
    const binary = await admin.send(new GetSecretValueCommand({ SecretId: 'bin/key' }));
    const tagged = await admin.send(new ListSecretsCommand({ Filters: [{ Key: 'tag-value', Values: ['red'] }] }));
    const paged: string[] = [];
    let next: string | undefined;
    for (let pages = 0; pages < 5; pages++) {
      const page = await admin.send(
        new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['page/'] }], MaxResults: 2, NextToken: next }),
      );
      paged.push(...(page.SecretList ?? []).map((s) => String(s.Name)));
      next = page.NextToken;
      if (!next) break;
    }
    // Assess
    expect([...(binary.SecretBinary ?? [])]).toEqual([0, 1, 2, 255]);
    expect(binary.SecretString).toBeUndefined();
    expect(tagged.SecretList?.map((s) => s.Name)).toEqual(['bin/key']);
    expect(paged.sort()).toEqual(['page/s0', 'page/s1', 'page/s2']);
  });

  it('deletes with a recovery window, restores, and deletes without recovery', async () => {
    // Act
    const scheduled = await admin.send(new DeleteSecretCommand({ SecretId: 'page/s0', RecoveryWindowInDays: 7 }));
    const whileMarked = await errorOf(admin.send(new GetSecretValueCommand({ SecretId: 'page/s0' })));
    const recreate = await errorOf(admin.send(new CreateSecretCommand({ Name: 'page/s0', SecretString: 'x' })));
    const listed = await admin.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['page/s0'] }] }));
    const listedAll = await admin.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['page/s0'] }], IncludePlannedDeletion: true }),
    );
    await admin.send(new RestoreSecretCommand({ SecretId: 'page/s0' }));
    const restored = await admin.send(new GetSecretValueCommand({ SecretId: 'page/s0' }));
    await admin.send(new DeleteSecretCommand({ SecretId: 'page/s1', ForceDeleteWithoutRecovery: true }));
    const gone = await errorOf(admin.send(new GetSecretValueCommand({ SecretId: 'page/s1' })));
    const again = await admin.send(new CreateSecretCommand({ Name: 'page/s1', SecretString: 'new' }));
    // Assess
    const days = ((scheduled.DeletionDate?.getTime() ?? 0) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThan(7.1);
    expect(whileMarked).toMatchObject({
      name: 'InvalidRequestException',
      message: expect.stringContaining('marked for deletion'),
    });
    expect(recreate).toMatchObject({
      name: 'InvalidRequestException',
      message: expect.stringContaining('scheduled for deletion'),
    });
    expect(listed.SecretList).toEqual([]);
    expect(listedAll.SecretList?.[0]?.DeletedDate).toBeInstanceOf(Date);
    expect(restored.SecretString).toBe('0');
    expect(gone).toMatchObject({
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });
    expect(again.Name).toBe('page/s1');
  });

  it('reads several secrets at once, with an error for each one it cannot read', async () => {
    // Act
    const batch = await admin.send(new BatchGetSecretValueCommand({ SecretIdList: ['page/s2', 'no/such'] }));
    const filtered = await admin.send(
      new BatchGetSecretValueCommand({ Filters: [{ Key: 'name', Values: ['page/s2'] }] }),
    );
    // Assess
    expect(batch.SecretValues?.map((v) => [v.Name, v.SecretString])).toEqual([['page/s2', '2']]);
    expect(batch.Errors).toEqual([
      expect.objectContaining({ SecretId: 'no/such', ErrorCode: 'ResourceNotFoundException' }),
    ]);
    expect(filtered.SecretValues?.map((v) => v.Name)).toEqual(['page/s2']);
  });

  it('generates random passwords with the requested characters', async () => {
    // Act
    const plain = await admin.send(new GetRandomPasswordCommand({}));
    const shaped = await admin.send(
      new GetRandomPasswordCommand({
        PasswordLength: 64,
        ExcludePunctuation: true,
        ExcludeCharacters: 'abc',
        IncludeSpace: true,
      }),
    );
    const impossible = await errorOf(
      admin.send(new GetRandomPasswordCommand({ PasswordLength: 2, ExcludeNumbers: false, IncludeSpace: true })),
    );
    // Assess
    expect(plain.RandomPassword).toHaveLength(32);
    const password = String(shaped.RandomPassword);
    expect(password).toHaveLength(64);
    expect([...password].some((c) => PUNCTUATION.includes(c) || 'abc'.includes(c))).toBe(false);
    // RequireEachIncludedType: lower, upper, digit and space each appear.
    for (const type of [/[d-z]/, /[A-Z]/, /[0-9]/, / /]) expect(password).toMatch(type);
    expect(impossible).toMatchObject({ name: 'InvalidRequestException' });
  });
});

describe('bad input', () => {
  it("answers Secrets Manager's own 4xx errors and keeps serving", async () => {
    // Act
    const cases = await Promise.all([
      errorOf(admin.send(new GetSecretValueCommand({ SecretId: undefined }))),
      errorOf(admin.send(new GetSecretValueCommand({ SecretId: 'app/db', VersionStage: 'NOPE' }))),
      errorOf(admin.send(new GetSecretValueCommand({ SecretId: 'app/db', VersionId: 'x'.repeat(32) }))),
      errorOf(admin.send(new CreateSecretCommand({ Name: 'app/db', SecretString: 'dup' }))),
      errorOf(admin.send(new CreateSecretCommand({ Name: 'bad name!', SecretString: 'x' }))),
      errorOf(
        admin.send(new CreateSecretCommand({ Name: 'both', SecretString: 'x', SecretBinary: new Uint8Array([1]) })),
      ),
      errorOf(
        admin.send(new CreateSecretCommand({ Name: 'short-token', SecretString: 'x', ClientRequestToken: 'short' })),
      ),
      errorOf(admin.send(new DeleteSecretCommand({ SecretId: 'app/db', RecoveryWindowInDays: 3 }))),
      errorOf(
        admin.send(
          new DeleteSecretCommand({ SecretId: 'app/db', RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true }),
        ),
      ),
      errorOf(admin.send(new PutSecretValueCommand({ SecretId: 'app/db' }))),
      errorOf(admin.send(new ListSecretsCommand({ MaxResults: 0 }))),
      errorOf(admin.send(new ListSecretsCommand({ NextToken: 'garbage' }))),
      errorOf(admin.send(new BatchGetSecretValueCommand({}))),
    ]);
    // Assess
    expect(cases.map((c) => c?.name)).toEqual([
      'ValidationException',
      'ResourceNotFoundException',
      'ResourceNotFoundException',
      'ResourceExistsException',
      'InvalidParameterException',
      'InvalidParameterException',
      'ValidationException',
      'InvalidParameterException',
      'InvalidParameterException',
      'InvalidParameterException',
      'ValidationException',
      'InvalidParameterException',
      'InvalidParameterException',
    ]);
    expect(cases.every((c) => c?.status === 400)).toBe(true);
    expect(cases[1]?.message).toBe("Secrets Manager can't find the specified secret value for staging label: NOPE");
    expect((await admin.send(new GetSecretValueCommand({ SecretId: 'app/db' }))).SecretString).toBe('four');
  });

  it('refuses malformed bodies and unknown operations in its JSON error format', async () => {
    // Prepare: correctly signed raw requests, so the body itself is what is wrong.
    const signer = new SignatureV4({
      credentials: credentials.admin,
      region,
      service: 'secretsmanager',
      sha256: Sha256,
    });
    const raw = async (target: string, body: string) => {
      const url = new URL(server.url);
      const signed = await signer.sign({
        method: 'POST',
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: '/',
        headers: { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
        body,
      });
      const response = await fetch(server.url, { method: 'POST', headers: signed.headers, body });
      return { status: response.status, body: await response.json() };
    };
    // Act
    const notJson = await raw('secretsmanager.GetSecretValue', '{not json');
    const array = await raw('secretsmanager.GetSecretValue', '[1]');
    const wrongType = await raw('secretsmanager.GetSecretValue', '{"SecretId": 5}');
    const unknown = await raw('secretsmanager.RotateSecret', '{}');
    const big = await raw(
      'secretsmanager.CreateSecret',
      JSON.stringify({ Name: 'big', SecretString: 'x'.repeat(70_000) }),
    );
    // Assess
    expect(notJson).toEqual({ status: 400, body: { __type: 'SerializationException', Message: expect.any(String) } });
    expect(array.body.__type).toBe('SerializationException');
    expect(wrongType.body.__type).toBe('SerializationException');
    expect(unknown).toMatchObject({ status: 400, body: { __type: 'UnknownOperationException' } });
    expect(big).toMatchObject({ status: 400, body: { __type: 'ValidationException' } });
  });
});

describe('authentication and authorization', () => {
  it('refuses unsigned, forged and unknown-key requests', async () => {
    // Prepare
    const forged = new SecretsManagerClient({
      region,
      endpoint: server.url,
      credentials: { ...credentials.admin, secretAccessKey: 'forged-secret-forged-secret-forged-secret' },
      maxAttempts: 1,
    });
    const stranger = new SecretsManagerClient({
      region,
      endpoint: server.url,
      credentials: { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x'.repeat(40) },
      maxAttempts: 1,
    });
    // Act
    const unsigned = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
      body: JSON.stringify({ SecretId: 'app/db' }),
    });
    const forgedError = await errorOf(forged.send(new GetSecretValueCommand({ SecretId: 'app/db' })));
    const strangerError = await errorOf(stranger.send(new GetSecretValueCommand({ SecretId: 'app/db' })));
    // Assess
    expect(unsigned.status).toBe(400);
    expect((await unsigned.json()).__type).toBe('MissingAuthenticationTokenException');
    expect(forgedError?.name).toBe('InvalidSignatureException');
    expect(strangerError?.name).toBe('UnrecognizedClientException');
    forged.destroy();
    stranger.destroy();
  });

  it('lets a function read the secret its role grants and nothing else, wildcard suffix and all', async () => {
    // Prepare
    await admin.send(new CreateSecretCommand({ Name: 'app/granted', SecretString: 'yes' }));
    await admin.send(new CreateSecretCommand({ Name: 'app/other', SecretString: 'no' }));
    // Act
    const granted = await reader.send(new GetSecretValueCommand({ SecretId: 'app/granted' }));
    const other = await errorOf(reader.send(new GetSecretValueCommand({ SecretId: 'app/other' })));
    const put = await errorOf(reader.send(new PutSecretValueCommand({ SecretId: 'app/granted', SecretString: 'x' })));
    const list = await errorOf(reader.send(new ListSecretsCommand({})));
    const batch = await reader
      .send(new BatchGetSecretValueCommand({ SecretIdList: ['app/granted'] }))
      .catch((e: Error) => e.name);
    // Assess
    expect(granted.SecretString).toBe('yes');
    expect(other).toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining(
        'is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:',
      ),
    });
    expect(other?.message).toContain(':secret:app/other-');
    expect(put?.name).toBe('AccessDeniedException');
    expect(list?.name).toBe('AccessDeniedException');
    expect(batch).toBe('AccessDeniedException');
  });

  it('tells a function how to set a referenced secret that exists only in the account', async () => {
    // Prepare: a template whose function's policy names existing/api-key, which it does not create.
    const { assembly, remove } = syntheticAssembly({ Resources: {} });
    // Act
    const unset = state.apply(assembly, POLICIES);
    const missing = await errorOf(reader.send(new GetSecretValueCommand({ SecretId: 'existing/api-key' })));
    // Assess
    expect(unset).toEqual(['existing/api-key']);
    expect(missing).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(missing?.message).toContain('npm run local:secret -- set --secrets-manager existing/api-key');
    remove();
  });
});

describe('secrets from the template', () => {
  it('generates a secret once, as its GenerateSecretString says, and serves the same value after a restart', async () => {
    // Prepare
    const template = {
      Resources: {
        dbSecret: {
          Type: 'AWS::SecretsManager::Secret',
          Properties: {
            Name: 'tpl/db',
            GenerateSecretString: {
              PasswordLength: 20,
              ExcludeCharacters: '"@/\\',
              SecretStringTemplate: '{"username":"admin"}',
              GenerateStringKey: 'password',
            },
          },
        },
        plain: { Type: 'AWS::SecretsManager::Secret', Properties: { SecretString: 'literal' } },
        noPunctuation: {
          Type: 'AWS::SecretsManager::Secret',
          Properties: { GenerateSecretString: { ExcludePunctuation: true, PasswordLength: 40 } },
        },
      },
    };
    const { assembly, remove } = syntheticAssembly(template);
    // Act
    state.apply(assembly, new Map());
    const before = await admin.send(new GetSecretValueCommand({ SecretId: 'tpl/db' }));
    const plain = await admin.send(new GetSecretValueCommand({ SecretId: 'plain' }));
    const generated = await admin.send(new GetSecretValueCommand({ SecretId: 'noPunctuation' }));
    admin.destroy();
    reader.destroy();
    await server.close();
    await start();
    state.apply(assembly, new Map());
    const after = await admin.send(new GetSecretValueCommand({ SecretId: 'tpl/db' }));
    // Assess
    const value: unknown = JSON.parse(String(before.SecretString));
    expect(value).toEqual({ username: 'admin', password: expect.stringMatching(/^[^"@/\\]{20}$/) });
    expect(after.SecretString).toBe(before.SecretString);
    expect(after.VersionId).toBe(before.VersionId);
    // The ARN a template's Ref resolves to is the one the service answers with.
    expect(before.ARN).toBe(secretArn(region, accountId, 'tpl/db'));
    expect(assembly.root.resolve({ Ref: 'dbSecret' })).toBe(before.ARN);
    expect(plain.SecretString).toBe('literal');
    expect(String(generated.SecretString)).toMatch(/^[A-Za-z0-9]{40}$/);
    remove();
  });
});

describe('Powertools getSecret', () => {
  it("reads a granted secret with the function's environment and fails on an ungranted one", async () => {
    // Prepare: the environment a local function has.
    const own = credentials.forFunction('reader', ROLE);
    Object.assign(process.env, {
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: own.accessKeyId,
      AWS_SECRET_ACCESS_KEY: own.secretAccessKey,
      AWS_SESSION_TOKEN: own.sessionToken,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: server.url,
    });
    const { getSecret } = await import('@aws-lambda-powertools/parameters/secrets');
    // Act
    const value = await getSecret('app/granted');
    const denied = await getSecret('app/other').then(
      () => 'read',
      (error: Error) => `${error.name}: ${error.message}`,
    );
    // Assess
    expect(value).toBe('yes');
    expect(denied).toMatch(/AccessDeniedException|not authorized/);
  });
});
