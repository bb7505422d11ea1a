import { Amplify } from 'aws-amplify';
import {
  confirmSignIn,
  confirmSignUp,
  confirmUserAttribute,
  deleteUser,
  fetchAuthSession,
  fetchUserAttributes,
  resendSignUpCode,
  resetPassword,
  sendUserAttributeVerificationCode,
  setUpTOTP,
  signIn,
  signOut,
  signUp,
  updateMFAPreference,
  updatePassword,
  updateUserAttributes,
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
const logged: string[] = [];
/** The pool's clock: ahead of the real one by an offset, or stopped, so that lockouts pass without sleeping. */
const clock: { offsetMs: number; frozenAt?: number } = { offsetMs: 0 };

beforeAll(async () => {
  auth = await startLocalAuth({
    userPoolId: USER_POOL_ID,
    clientId: CLIENT_ID,
    passwordPolicy: PASSWORD_POLICY,
    postConfirmation: async (event) => {
      confirmed.push(event);
    },
    preventUserExistenceErrors: true,
    verifyBeforeUpdate: ['email'],
    log: (line) => logged.push(line),
    now: () => (clock.frozenAt ?? Date.now()) + clock.offsetMs,
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

/** The user pool alone: these tests need no identity pool credentials. */
const userPoolOnly = async (): Promise<void> => {
  await signOut();
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
};

describe('account operations an app calls, with the real aws-amplify client', () => {
  beforeAll(userPoolOnly);
  it('changes the password: the old one stops working, a wrong previous password is refused', async () => {
    // Prepare
    await register('change@example.com');
    await signIn({ username: 'change@example.com', password: PASSWORD });
    // Act
    await expect(
      updatePassword({ oldPassword: 'Wrong-Horse-9-Battery', newPassword: 'Next-Horse-8-Battery' }),
    ).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Incorrect username or password.',
    });
    await expect(updatePassword({ oldPassword: PASSWORD, newPassword: 'short' })).rejects.toMatchObject({
      name: 'InvalidPasswordException',
    });
    await updatePassword({ oldPassword: PASSWORD, newPassword: 'Next-Horse-8-Battery' });
    await signOut();
    // Assess
    await expect(signIn({ username: 'change@example.com', password: PASSWORD })).rejects.toMatchObject({
      name: 'NotAuthorizedException',
    });
    expect((await signIn({ username: 'change@example.com', password: 'Next-Horse-8-Battery' })).isSignedIn).toBe(true);
    await signOut();
  });

  it('updates attributes; a new email waits for its code, then signs in', async () => {
    // Prepare
    await register('old@example.com');
    await signIn({ username: 'old@example.com', password: PASSWORD });
    // Act
    const result = await updateUserAttributes({ userAttributes: { name: 'Ada L', email: 'new@example.com' } });
    // Assess
    expect(result.name?.isUpdated).toBe(true);
    expect(result.email?.nextStep.updateAttributeStep).toBe('CONFIRM_ATTRIBUTE_WITH_CODE');
    expect(result.email?.nextStep.codeDeliveryDetails?.destination).toBe('n***@example.com');
    const pending = await fetchUserAttributes();
    expect(pending).toMatchObject({ email: 'old@example.com', email_verified: 'true', name: 'Ada L' });
    const code = auth.outbox.latestCode('new@example.com', 'attribute-verification') ?? '';
    expect(logged).toContain(`code ${code} sent to new@example.com (email verification)`);
    await expect(
      confirmUserAttribute({ userAttributeKey: 'email', confirmationCode: code === '000000' ? '111111' : '000000' }),
    ).rejects.toMatchObject({ name: 'CodeMismatchException' });
    await confirmUserAttribute({ userAttributeKey: 'email', confirmationCode: code });
    expect(await fetchUserAttributes()).toMatchObject({ email: 'new@example.com', email_verified: 'true' });
    const refreshed = await fetchAuthSession({ forceRefresh: true });
    expect(refreshed.tokens?.idToken?.payload).toMatchObject({ name: 'Ada L' });
    await signOut();
    expect((await signIn({ username: 'new@example.com', password: PASSWORD })).isSignedIn).toBe(true);
    await expect(updateUserAttributes({ userAttributes: { email: 'ada@example.com' } })).rejects.toMatchObject({
      name: 'AliasExistsException',
    });
    await expect(updateUserAttributes({ userAttributes: { 'custom:shoe': '9' } })).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    await signOut();
  });

  it('sends a new attribute verification code on request', async () => {
    await signIn({ username: 'new@example.com', password: PASSWORD });
    const sent = await sendUserAttributeVerificationCode({ userAttributeKey: 'email' });
    expect(sent.destination).toBe('n***@example.com');
    const code = auth.outbox.latestCode('new@example.com', 'attribute-verification') ?? '';
    await confirmUserAttribute({ userAttributeKey: 'email', confirmationCode: code });
    // A code is used once.
    await expect(confirmUserAttribute({ userAttributeKey: 'email', confirmationCode: code })).rejects.toMatchObject({
      name: 'CodeMismatchException',
    });
    await signOut();
  });

  it('deletes the signed-in user: their tokens and sign-in stop working', async () => {
    await register('leaving@example.com');
    await signIn({ username: 'leaving@example.com', password: PASSWORD });
    const access = (await fetchAuthSession()).tokens?.accessToken.toString();
    await deleteUser();
    await expect(auth.pool.handle('GetUser', { AccessToken: access })).rejects.toMatchObject({
      type: 'NotAuthorizedException',
    });
    await expect(signIn({ username: 'leaving@example.com', password: PASSWORD })).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Incorrect username or password.',
    });
  });
});

describe('lockout and attempt limits, on an injected clock', () => {
  beforeAll(userPoolOnly);
  it('locks a user out after 5 wrong passwords, for 1 s, then 2 s after one more', async () => {
    // Prepare
    await register('locked@example.com');
    // Stopped: SRP sign-ins take a while on a busy machine, the lock must not pass meanwhile.
    clock.frozenAt = Date.now();
    const wrong = () => signIn({ username: 'locked@example.com', password: 'Wrong-Horse-9-Battery' });
    for (let i = 0; i < 5; i++)
      await expect(wrong()).rejects.toMatchObject({ message: 'Incorrect username or password.' });
    try {
      // Act, Assess: even the right password is refused during the lock
      await expect(signIn({ username: 'locked@example.com', password: PASSWORD })).rejects.toMatchObject({
        name: 'NotAuthorizedException',
        message: 'Password attempts exceeded',
      });
      clock.offsetMs += 1100;
      await expect(wrong()).rejects.toMatchObject({ message: 'Incorrect username or password.' });
      clock.offsetMs += 1100;
      await expect(signIn({ username: 'locked@example.com', password: PASSWORD })).rejects.toMatchObject({
        message: 'Password attempts exceeded',
      });
      clock.offsetMs += 1000;
      expect((await signIn({ username: 'locked@example.com', password: PASSWORD })).isSignedIn).toBe(true);
      await signOut();
      // A success forgets the failures: one wrong password is just wrong again.
      await expect(wrong()).rejects.toMatchObject({ message: 'Incorrect username or password.' });
      expect((await signIn({ username: 'locked@example.com', password: PASSWORD })).isSignedIn).toBe(true);
      await signOut();
    } finally {
      clock.offsetMs = 0;
      clock.frozenAt = undefined;
    }
  });

  it('limits wrong confirmation codes: after 5, even the right code waits, and a resent code does not reset it', async () => {
    await signUp({
      username: 'guess@example.com',
      password: PASSWORD,
      options: { userAttributes: { email: 'guess@example.com' } },
    });
    const right = auth.outbox.latestCode('guess@example.com', 'verification') ?? '';
    const wrongCode = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++)
      await expect(confirmSignUp({ username: 'guess@example.com', confirmationCode: wrongCode })).rejects.toMatchObject(
        {
          name: 'CodeMismatchException',
        },
      );
    try {
      await expect(confirmSignUp({ username: 'guess@example.com', confirmationCode: right })).rejects.toMatchObject({
        name: 'LimitExceededException',
        message: 'Attempt limit exceeded, please try after some time.',
      });
      await resendSignUpCode({ username: 'guess@example.com' });
      const resent = auth.outbox.latestCode('guess@example.com', 'verification') ?? '';
      await expect(confirmSignUp({ username: 'guess@example.com', confirmationCode: resent })).rejects.toMatchObject({
        name: 'LimitExceededException',
      });
      clock.offsetMs += 15 * 60 * 1000 + 1000;
      const done = await confirmSignUp({ username: 'guess@example.com', confirmationCode: resent });
      expect(done.isSignUpComplete).toBe(true);
    } finally {
      clock.offsetMs = 0;
    }
  });

  it('answers an expired code with ExpiredCodeException', async () => {
    await signUp({
      username: 'slow@example.com',
      password: PASSWORD,
      options: { userAttributes: { email: 'slow@example.com' } },
    });
    const code = auth.outbox.latestCode('slow@example.com', 'verification') ?? '';
    clock.offsetMs = 25 * 3600 * 1000;
    try {
      await expect(confirmSignUp({ username: 'slow@example.com', confirmationCode: code })).rejects.toMatchObject({
        name: 'ExpiredCodeException',
      });
    } finally {
      clock.offsetMs = 0;
    }
  });

  it('ends an MFA session after 3 wrong TOTP codes', async () => {
    // Sign in to the TOTP step, then miss three times in the same session.
    const first = await signIn({ username: 'mfa@example.com', password: PASSWORD });
    expect(first.nextStep.signInStep).toBe('CONFIRM_SIGN_IN_WITH_TOTP_CODE');
    for (let i = 0; i < 2; i++)
      await expect(confirmSignIn({ challengeResponse: '000000' })).rejects.toMatchObject({
        name: 'CodeMismatchException',
      });
    await expect(confirmSignIn({ challengeResponse: '000000' })).rejects.toMatchObject({
      name: 'CodeMismatchException',
    });
    await expect(confirmSignIn({ challengeResponse: '000000' })).rejects.toMatchObject({
      name: 'NotAuthorizedException',
    });
  });
});

describe('user existence errors', () => {
  beforeAll(userPoolOnly);
  const call = (target: LocalAuth, operation: string, body: Record<string, unknown>) =>
    fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`,
      },
      body: JSON.stringify({ ClientId: CLIENT_ID, ...body }),
    }).then(async (r) => ({ status: r.status, body: await r.json() }));

  it('with PreventUserExistenceErrors ENABLED, answers for an unknown user as for a known one', async () => {
    const nobody = { Username: 'nobody@example.com' };
    expect(await call(auth, 'ConfirmSignUp', { ...nobody, ConfirmationCode: '123456' })).toEqual({
      status: 400,
      body: { __type: 'CodeMismatchException', message: 'Invalid verification code provided, please try again.' },
    });
    const delivery = { Destination: 'n***@example.com', DeliveryMedium: 'EMAIL', AttributeName: 'email' };
    expect(await call(auth, 'ResendConfirmationCode', nobody)).toEqual({
      status: 200,
      body: { CodeDeliveryDetails: delivery },
    });
    expect(await call(auth, 'ForgotPassword', nobody)).toEqual({
      status: 200,
      body: { CodeDeliveryDetails: delivery },
    });
    expect(
      (await call(auth, 'ConfirmForgotPassword', { ...nobody, ConfirmationCode: '123456', Password: PASSWORD })).body
        .__type,
    ).toBe('CodeMismatchException');
    const srp = { AuthFlow: 'USER_SRP_AUTH', AuthParameters: { USERNAME: 'nobody@example.com', SRP_A: 'abcdef' } };
    const one = await call(auth, 'InitiateAuth', srp);
    const two = await call(auth, 'InitiateAuth', srp);
    expect(one.body.ChallengeParameters.SALT).toBe(two.body.ChallengeParameters.SALT);
    expect(one.body.ChallengeParameters.USER_ID_FOR_SRP).toBe(two.body.ChallengeParameters.USER_ID_FOR_SRP);
    await expect(signIn({ username: 'nobody@example.com', password: PASSWORD })).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Incorrect username or password.',
    });
    expect((await resetPassword({ username: 'nobody@example.com' })).nextStep.resetPasswordStep).toBe(
      'CONFIRM_RESET_PASSWORD_WITH_CODE',
    );
    expect(auth.outbox.list('nobody@example.com')).toEqual([]);
  });

  it('with LEGACY (the API default), answers UserNotFoundException', async () => {
    const legacy = await startLocalAuth({
      userPoolId: USER_POOL_ID,
      clientId: CLIENT_ID,
      passwordPolicy: PASSWORD_POLICY,
    });
    try {
      const nobody = { Username: 'nobody@example.com' };
      for (const [operation, body] of [
        ['ConfirmSignUp', { ...nobody, ConfirmationCode: '123456' }],
        ['ResendConfirmationCode', nobody],
        ['ForgotPassword', nobody],
        ['ConfirmForgotPassword', { ...nobody, ConfirmationCode: '123456', Password: PASSWORD }],
        [
          'InitiateAuth',
          { AuthFlow: 'USER_SRP_AUTH', AuthParameters: { USERNAME: 'nobody@example.com', SRP_A: 'ab' } },
        ],
      ] as const)
        expect((await call(legacy, operation, body)).body.__type).toBe('UserNotFoundException');
    } finally {
      await legacy.close();
    }
  });
});
