import { request } from 'node:http';
import { Amplify } from 'aws-amplify';
import { confirmSignUp, resetPassword, signUp } from 'aws-amplify/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD_POLICY } from '../../../amplify/custom/auth-hardening';
import { type LocalAuth, startLocalAuth } from './server';

/**
 * Issue 13: the codes endpoint (Firebase's `oobCodes`), on the user pool's
 * port, read with plain HTTP as a test or tool reads it; and every way a web
 * page or a stranger is refused.
 */
const USER_POOL_ID = 'us-east-1_CodesPool';
const CLIENT_ID = 'codesclient000000000000000';
const SECRET = 'the-local-admin-secret/with+base64=';
const PASSWORD = 'Correct-Horse-9-Battery';

let auth: LocalAuth;
let closed: LocalAuth;
const logged: string[] = [];
let adaSub = '';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request, so that the Host and Origin headers are exactly what the test says. */
const call = (target: LocalAuth, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const url = new URL(target.url);
    const req = request(
      { host: '127.0.0.1', port: url.port, path, method, headers: { host: url.host, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });

const bearer = { authorization: `Bearer ${SECRET}` };

const codesOf = async (target: LocalAuth, query = ''): Promise<Array<Record<string, string>>> => {
  const answer = await call(target, `/_local/codes${query}`, bearer);
  expect(answer.status).toBe(200);
  const parsed: { codes: Array<Record<string, string>> } = JSON.parse(answer.body);
  return parsed.codes;
};

beforeAll(async () => {
  auth = await startLocalAuth({
    userPoolId: USER_POOL_ID,
    clientId: CLIENT_ID,
    passwordPolicy: PASSWORD_POLICY,
    codesSecret: () => SECRET,
    log: (line) => logged.push(line),
  });
  // A pool started without the secret: the endpoint answers nobody.
  closed = await startLocalAuth({ userPoolId: USER_POOL_ID, clientId: CLIENT_ID, passwordPolicy: PASSWORD_POLICY });
  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: USER_POOL_ID,
        userPoolClientId: CLIENT_ID,
        userPoolEndpoint: auth.url,
        loginWith: { email: true },
      },
    },
  });
});

afterAll(async () => {
  await auth?.close();
  await closed?.close();
});

describe('GET /_local/codes', () => {
  it('returns the codes sent, per user, and a sign-up confirms with the one it lists', async () => {
    // Prepare
    adaSub = (await signUp({ username: 'ada@example.com', password: PASSWORD })).userId ?? '';
    await signUp({ username: 'bob@example.com', password: PASSWORD });
    // Act
    const all = await codesOf(auth);
    const ada = await codesOf(auth, '?username=Ada%40example.com');
    // Assess
    expect(all.map((c) => c.to)).toEqual(['ada@example.com', 'bob@example.com']);
    expect(ada).toHaveLength(1);
    expect(ada[0]).toMatchObject({ to: 'ada@example.com', kind: 'verification' });
    expect(ada[0]?.code).toMatch(/^\d{6}$/);
    expect(ada[0]?.code).toBe(auth.outbox.latestCode('ada@example.com'));
    const { isSignUpComplete } = await confirmSignUp({
      username: 'ada@example.com',
      confirmationCode: ada[0]?.code ?? '',
    });
    expect(isSignUpComplete).toBe(true);
  });

  it('finds a user by the internal username too, and lists password-reset codes', async () => {
    // Prepare
    await resetPassword({ username: 'ada@example.com' });
    expect(adaSub).not.toBe('');
    // Act: the pool's username is the sub (email is an alias)
    const codes = await codesOf(auth, `?username=${encodeURIComponent(adaSub)}`);
    // Assess
    expect(codes.map((c) => c.kind)).toEqual(['verification', 'password-reset']);
    expect(await codesOf(auth, '?username=nobody%40example.com')).toEqual([]);
  });

  it('sends no CORS header, not even on a preflight, and is never cached', async () => {
    const ok = await call(auth, '/_local/codes', bearer);
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(Object.keys(ok.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    const preflight = await call(
      auth,
      '/_local/codes',
      {
        origin: 'https://evil.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
      'OPTIONS',
    );
    expect(preflight.status).toBe(403);
    expect(Object.keys(preflight.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it.each([
    ['no Authorization', {}, 401, 'Unauthorized'],
    ['a wrong secret', { authorization: 'Bearer not-the-secret' }, 401, 'Unauthorized'],
    ['the secret as Basic', { authorization: `Basic ${SECRET}` }, 401, 'Unauthorized'],
    ['a rebinding Host', { ...bearer, host: 'evil.example' }, 403, 'ForbiddenHost'],
    ['a page’s Origin', { ...bearer, origin: 'http://127.0.0.1:5173' }, 403, 'ForbiddenOrigin'],
  ])('refuses a request with %s', async (_, headers, status, error) => {
    const answer = await call(auth, '/_local/codes', headers);
    expect(answer.status).toBe(status);
    expect(JSON.parse(answer.body)).toMatchObject({ error });
    expect(answer.body).not.toMatch(/\d{6}/);
    expect(Object.keys(answer.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect(logged.at(-1)).toContain(`codes endpoint: refused GET /_local/codes: ${error}`);
  });

  it('refuses another host on the right port, other methods, other paths, and a pool without the secret', async () => {
    const port = new URL(auth.url).port;
    expect((await call(auth, '/_local/codes', { ...bearer, host: `localhost:${port}` })).status).toBe(200);
    expect((await call(auth, '/_local/codes', { ...bearer, host: `127.0.0.2:${port}` })).status).toBe(403);
    expect((await call(auth, '/_local/codes', bearer, 'POST')).status).toBe(405);
    expect((await call(auth, '/_local/codes/all', bearer)).status).toBe(404);
    const refused = await call(closed, '/_local/codes', { authorization: 'Bearer ' });
    expect(refused.status).toBe(401);
    // The pool still serves Cognito after all of these.
    const jwks = await call(auth, `/${USER_POOL_ID}/.well-known/jwks.json`);
    expect(jwks.status).toBe(200);
  });
});
