import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Amplify } from 'aws-amplify';
import { confirmSignUp, fetchAuthSession, signIn, signOut, signUp } from 'aws-amplify/auth';
import { generateClient } from 'aws-amplify/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Schema } from '../../amplify/data/resource';
import { withLocalEndpoints } from '../client/local';
import { TEST_TLS_DIR } from '../test/e2e.global-setup';
import { createLocalBackend, type LocalBackend } from './backend';

const PASSWORD = 'Correct-Horse-9-Battery';
let backend: LocalBackend;

const register = async (email: string): Promise<{ sub: string; idToken: string; accessToken: string }> => {
  await signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } });
  await confirmSignUp({ username: email, confirmationCode: backend.outbox.latestCode(email, 'verification') ?? '' });
  await signIn({ username: email, password: PASSWORD });
  const session = await fetchAuthSession();
  const tokens = session.tokens;
  if (!tokens?.idToken) throw new Error('no tokens');
  const result = {
    sub: String(tokens.idToken.payload.sub),
    idToken: tokens.idToken.toString(),
    accessToken: tokens.accessToken.toString(),
  };
  await signOut();
  return result;
};

beforeAll(async () => {
  backend = await createLocalBackend({
    dataDir: resolve('.amplify/test-local/e2e'),
    reset: true,
    tlsDir: TEST_TLS_DIR,
    outputsFile: resolve('.amplify/test-local/e2e/amplify_outputs.json'),
  });
  const outputs = JSON.parse(readFileSync(resolve('.amplify/test-local/e2e/amplify_outputs.json'), 'utf8'));
  Amplify.configure(withLocalEndpoints(outputs));
});

afterAll(async () => {
  await backend?.dispose();
});

describe('the local backend with the real aws-amplify client', () => {
  it('creates, reads, lists by owner, updates and deletes a note', async () => {
    const ada = await register('ada@example.com');
    await signIn({ username: 'ada@example.com', password: PASSWORD });
    const client = generateClient<Schema>();
    const created = await client.models.Note.create({ headline: 'First note', text: 'hello' });
    expect(created.errors).toBeUndefined();
    const id = created.data?.id ?? '';
    expect(created.data).toMatchObject({ headline: 'First note', text: 'hello' });
    const got = await client.models.Note.get({ id });
    expect(got.data?.headline).toBe('First note');
    const mine = await client.models.Note.listNotesByOwner({ owner: `${ada.sub}::${ada.sub}` });
    expect(mine.errors).toBeUndefined();
    expect(mine.data.map((n) => n.id)).toEqual([id]);
    await signOut();
  });
});
