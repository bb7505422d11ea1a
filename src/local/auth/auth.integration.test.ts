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
const IDENTITY_POOL_ID = 'us-east-1:00000000-0000-4000-8000-000000000000';
const ROLES = {
  authenticated: 'arn:aws:iam::000000000000:role/auth',
  unauthenticated: 'arn:aws:iam::000000000000:role/guest',
};

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
    preventUserExistenceErrors: true,
    identityPool: { identityPoolId: IDENTITY_POOL_ID, region: 'us-east-1', allowUnauthenticated: false, roles: ROLES },
  });
  configureFor(auth, false);
});

const configureFor = (target: LocalAuth, allowGuestAccess: boolean): void => {
  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: USER_POOL_ID,
        userPoolClientId: CLIENT_ID,
        userPoolEndpoint: target.url,
        identityPoolId: IDENTITY_POOL_ID,
        identityPoolEndpoint: target.url,
        allowGuestAccess,
        loginWith: { email: true },
      },
    },
  });
};

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

describe('local identity pool with the real aws-amplify client', () => {
  it('gives a signed-in user one stable identity and credentials recorded against it', async () => {
    // Prepare
    await register('ida@example.com');
    await signIn({ username: 'ida@example.com', password: PASSWORD });
    // Act
    const first = await fetchAuthSession();
    await signOut();
    await signIn({ username: 'ida@example.com', password: PASSWORD });
    const second = await fetchAuthSession();
    // Assess
    expect(first.identityId).toMatch(/^us-east-1:[0-9a-f-]{36}$/);
    expect(second.identityId).toBe(first.identityId);
    const keyId = second.credentials?.accessKeyId ?? '';
    const issued = auth.identityPool?.credentialsFor(keyId);
    expect(issued).toMatchObject({
      identityId: first.identityId,
      authenticated: true,
      roleArn: ROLES.authenticated,
      sub: second.userSub,
      secretAccessKey: second.credentials?.secretAccessKey,
      sessionToken: second.credentials?.sessionToken,
    });
    expect(second.credentials?.expiration?.getTime()).toBeGreaterThan(Date.now());
    await signOut();
  });

  it('refuses guests when the pool does not allow them, and credentials without a valid login', async () => {
    const pool = auth.identityPool;
    if (!pool) throw new Error('the identity pool did not start');
    await expect(pool.handle('GetId', { IdentityPoolId: IDENTITY_POOL_ID })).rejects.toMatchObject({
      type: 'NotAuthorizedException',
    });
    await signIn({ username: 'ida@example.com', password: PASSWORD });
    const session = await fetchAuthSession();
    const idToken = session.tokens?.idToken?.toString() ?? '';
    const provider = auth.issuer.replace('http://', '');
    const tampered = `${idToken.slice(0, -4)}AAAA`;
    await expect(
      pool.handle('GetCredentialsForIdentity', { IdentityId: session.identityId, Logins: { [provider]: tampered } }),
    ).rejects.toMatchObject({ type: 'NotAuthorizedException' });
    await expect(pool.handle('GetCredentialsForIdentity', { IdentityId: session.identityId })).rejects.toMatchObject({
      type: 'NotAuthorizedException',
    });
    await expect(
      pool.handle('GetId', { IdentityPoolId: 'us-east-1:someone-else', Logins: { [provider]: idToken } }),
    ).rejects.toMatchObject({ type: 'ResourceNotFoundException' });
    await signOut();
  });

  it('gives guests their own identity and the unauthenticated role where the pool allows them', async () => {
    // Prepare
    const open = await startLocalAuth({
      userPoolId: USER_POOL_ID,
      clientId: CLIENT_ID,
      passwordPolicy: PASSWORD_POLICY,
      identityPool: { identityPoolId: IDENTITY_POOL_ID, region: 'us-east-1', allowUnauthenticated: true, roles: ROLES },
    });
    try {
      configureFor(open, true);
      // Act
      const guest = await fetchAuthSession();
      // Assess
      expect(guest.tokens).toBeUndefined();
      expect(guest.identityId).toMatch(/^us-east-1:/);
      expect(open.identityPool?.credentialsFor(guest.credentials?.accessKeyId ?? '')).toMatchObject({
        identityId: guest.identityId,
        authenticated: false,
        roleArn: ROLES.unauthenticated,
        groups: [],
      });
    } finally {
      configureFor(auth, false);
      await open.close();
    }
  });
});
