import { Amplify } from 'aws-amplify';
import {
  confirmSignIn,
  confirmSignUp,
  fetchAuthSession,
  setUpTOTP,
  signIn,
  signOut,
  signUp,
  updateMFAPreference,
  verifyTOTPSetup,
} from 'aws-amplify/auth';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD_POLICY } from '../../../amplify/custom/auth-hardening';
import type { PostConfirmationEvent } from './cognito';
import { type LocalAuth, startLocalAuth } from './server';
import { totpCode } from './totp';

const USER_POOL_ID = 'us-east-1_LocalPool';
const CLIENT_ID = 'localclient0000000000000000';
const PASSWORD = 'Correct-Horse-9-Battery';

let auth: LocalAuth;
const confirmed: PostConfirmationEvent[] = [];

beforeAll(async () => {
  auth = await startLocalAuth({
    userPoolId: USER_POOL_ID,
    clientId: CLIENT_ID,
    passwordPolicy: PASSWORD_POLICY,
    postConfirmation: async (event) => {
      confirmed.push(event);
    },
  });
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
  await auth.close();
});

const register = async (email: string): Promise<void> => {
  const result = await signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } });
  expect(result.nextStep.signUpStep).toBe('CONFIRM_SIGN_UP');
  const code = auth.outbox.latestCode(email, 'verification');
  expect(code).toMatch(/^\d{6}$/);
  await confirmSignUp({ username: email, confirmationCode: code ?? '' });
};

describe('local Cognito with the real aws-amplify client', () => {
  it('signs up, confirms with the emailed code, runs the post-confirmation trigger, and signs in with SRP', async () => {
    // Prepare
    await register('ada@example.com');
    // Act
    const result = await signIn({ username: 'ada@example.com', password: PASSWORD });
    const session = await fetchAuthSession();
    // Assess
    expect(result.isSignedIn).toBe(true);
    expect(confirmed.map((e) => e.request.userAttributes.email)).toContain('ada@example.com');
    const id = session.tokens?.idToken?.toString() ?? '';
    const access = session.tokens?.accessToken?.toString() ?? '';
    const jwks = createRemoteJWKSet(new URL(`${auth.issuer}/.well-known/jwks.json`));
    const { payload: idClaims, protectedHeader } = await jwtVerify(id, jwks, {
      issuer: auth.issuer,
      audience: CLIENT_ID,
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(idClaims).toMatchObject({ token_use: 'id', email: 'ada@example.com', email_verified: true });
    expect(idClaims['cognito:username']).toBe(idClaims.sub);
    const { payload: accessClaims } = await jwtVerify(access, jwks, { issuer: auth.issuer });
    expect(accessClaims).toMatchObject({ token_use: 'access', client_id: CLIENT_ID, sub: idClaims.sub });
    await signOut();
  });

  it('rejects a wrong password and an unknown user alike', async () => {
    await expect(signIn({ username: 'ada@example.com', password: 'Wrong-Horse-9-Battery' })).rejects.toMatchObject({
      name: 'NotAuthorizedException',
    });
    await expect(signIn({ username: 'nobody@example.com', password: PASSWORD })).rejects.toMatchObject({
      name: 'NotAuthorizedException',
    });
  });

  it('enforces the password policy of amplify/ and refuses a wrong confirmation code', async () => {
    await expect(
      signUp({
        username: 'weak@example.com',
        password: 'short',
        options: { userAttributes: { email: 'weak@example.com' } },
      }),
    ).rejects.toMatchObject({ name: 'InvalidPasswordException' });
    await signUp({
      username: 'bob@example.com',
      password: PASSWORD,
      options: { userAttributes: { email: 'bob@example.com' } },
    });
    await expect(
      confirmSignUp({
        username: 'bob@example.com',
        confirmationCode: '000000' === auth.outbox.latestCode('bob@example.com') ? '111111' : '000000',
      }),
    ).rejects.toMatchObject({
      name: 'CodeMismatchException',
    });
  });

  it('refreshes tokens, and a global sign-out revokes the refresh token', async () => {
    await signIn({ username: 'ada@example.com', password: PASSWORD });
    const before = await fetchAuthSession();
    const refreshed = await fetchAuthSession({ forceRefresh: true });
    expect(refreshed.tokens?.accessToken.toString()).not.toBe(before.tokens?.accessToken.toString());
    await signOut({ global: true });
    await expect(
      auth.pool.handle('GetUser', { AccessToken: refreshed.tokens?.accessToken.toString() }),
    ).rejects.toMatchObject({
      type: 'NotAuthorizedException',
    });
  });

  it('sets up TOTP MFA and then asks for the code at sign-in', async () => {
    // Prepare
    await register('mfa@example.com');
    await signIn({ username: 'mfa@example.com', password: PASSWORD });
    const setup = await setUpTOTP();
    await verifyTOTPSetup({ code: totpCode(setup.sharedSecret) });
    await updateMFAPreference({ totp: 'PREFERRED' });
    await signOut();
    // Act
    const first = await signIn({ username: 'mfa@example.com', password: PASSWORD });
    // Assess
    expect(first.nextStep.signInStep).toBe('CONFIRM_SIGN_IN_WITH_TOTP_CODE');
    await expect(confirmSignIn({ challengeResponse: '000000' })).rejects.toMatchObject({
      name: 'CodeMismatchException',
    });
    const again = await signIn({ username: 'mfa@example.com', password: PASSWORD });
    expect(again.nextStep.signInStep).toBe('CONFIRM_SIGN_IN_WITH_TOTP_CODE');
    const done = await confirmSignIn({ challengeResponse: totpCode(setup.sharedSecret) });
    expect(done.isSignedIn).toBe(true);
    await signOut();
  });
});
