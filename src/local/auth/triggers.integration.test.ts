import { Amplify } from 'aws-amplify';
import { fetchAuthSession, signIn, signOut, signUp, updateUserAttributes } from 'aws-amplify/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostConfirmationEvent, PreSignUpEvent, PreTokenGenerationEvent } from './cognito';
import { type LocalAuth, startLocalAuth } from './server';

/**
 * The user pool's Lambda triggers, as Cognito runs them, with the real
 * aws-amplify client: pre sign-up (refuse, or confirm and verify),
 * post confirmation after an automatic confirmation, and pre token generation
 * (the V2_0 event: ID and access token claims, scopes, groups) at sign-in and
 * at refresh; and the pool's custom attributes.
 */

const USER_POOL_ID = 'us-east-1_TriggerPool';
const CLIENT_ID = 'triggerclient000000000000';
const PASSWORD = 'Correct-Horse-9-Battery';

let auth: LocalAuth;
const preSignUps: PreSignUpEvent[] = [];
const confirmations: PostConfirmationEvent[] = [];
const tokenEvents: PreTokenGenerationEvent[] = [];
/** What the pre token generation trigger answers next; a function answers per event. */
let tokenAnswer: (event: PreTokenGenerationEvent) => unknown = (event) => event;

beforeAll(async () => {
  auth = await startLocalAuth({
    userPoolId: USER_POOL_ID,
    clientId: CLIENT_ID,
    passwordPolicy: {
      minimumLength: 8,
      requireLowercase: false,
      requireUppercase: false,
      requireNumbers: false,
      requireSymbols: false,
    },
    groups: ['Buyers'],
    customAttributes: {
      'custom:plan': { mutable: true, type: 'String', maxLength: 8 },
      'custom:tenant': { mutable: false, type: 'String' },
    },
    preSignUp: async (event) => {
      preSignUps.push(structuredClone(event));
      const email = event.request.userAttributes.email ?? '';
      if (email.endsWith('@closed.example')) throw new Error('this domain is closed');
      if (email.endsWith('@auto.example')) {
        event.response.autoConfirmUser = true;
        event.response.autoVerifyEmail = true;
      }
      return event;
    },
    postConfirmation: async (event) => {
      confirmations.push(event);
      return event;
    },
    preTokenGeneration: {
      version: '2',
      invoke: async (event) => {
        tokenEvents.push(structuredClone(event));
        return tokenAnswer(event);
      },
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
  await signOut().catch(() => {});
  await auth.close();
});

describe('user-pool Lambda triggers', () => {
  it('refuses a sign-up its pre sign-up trigger throws on, with Cognito’s error, and keeps no user', async () => {
    const refused = await signUp({ username: 'al@closed.example', password: PASSWORD }).catch((e: Error) => e);
    expect(refused).toMatchObject({
      name: 'UserLambdaValidationException',
      message: 'PreSignUp failed with error this domain is closed.',
    });
    expect(preSignUps.at(-1)).toMatchObject({
      triggerSource: 'PreSignUp_SignUp',
      userPoolId: USER_POOL_ID,
      callerContext: { clientId: CLIENT_ID },
      request: { userAttributes: { email: 'al@closed.example' } },
    });
    const signIn_ = await signIn({ username: 'al@closed.example', password: PASSWORD }).catch((e: Error) => e);
    expect(signIn_).toMatchObject({ name: 'UserNotFoundException' });
  });

  it('confirms and verifies a sign-up its trigger confirms, sends no code, and runs post confirmation at once', async () => {
    const result = await signUp({
      username: 'bea@auto.example',
      password: PASSWORD,
      options: { userAttributes: { 'custom:plan': 'gold', 'custom:tenant': 't-1' } },
    });
    expect(result).toMatchObject({ isSignUpComplete: true, nextStep: { signUpStep: 'DONE' } });
    expect(auth.outbox.latestCode('bea@auto.example', 'verification')).toBeUndefined();
    expect(confirmations.at(-1)?.request.userAttributes).toMatchObject({
      email: 'bea@auto.example',
      email_verified: 'true',
      'custom:plan': 'gold',
      'custom:tenant': 't-1',
    });
  });

  it('lets the V2_0 pre token trigger change both tokens, their scopes and groups, at sign-in and at refresh', async () => {
    tokenAnswer = (event) => ({
      ...event,
      response: {
        claimsAndScopeOverrideDetails: {
          idTokenGeneration: {
            claimsToAddOrOverride: { tier: 'gold', sub: 'forged' },
            claimsToSuppress: ['custom:tenant'],
          },
          accessTokenGeneration: { claimsToAddOrOverride: { tenant: 't-1' }, scopesToAdd: ['orders/read'] },
          groupOverrideDetails: { groupsToOverride: ['Buyers'] },
        },
      },
    });
    await signIn({ username: 'bea@auto.example', password: PASSWORD });
    const first = await fetchAuthSession();
    const refreshed = await fetchAuthSession({ forceRefresh: true });
    await signOut();
    const id = first.tokens?.idToken?.payload;
    const access = first.tokens?.accessToken?.payload;
    expect(id).toMatchObject({ tier: 'gold', 'custom:plan': 'gold', 'cognito:groups': ['Buyers'] });
    // A reserved claim stays Cognito's; a suppressed one is gone.
    expect(id?.sub).not.toBe('forged');
    expect(id).not.toHaveProperty('custom:tenant');
    expect(access).toMatchObject({ tenant: 't-1', scope: 'aws.cognito.signin.user.admin orders/read' });
    expect(refreshed.tokens?.idToken?.payload.tier).toBe('gold');
    expect(tokenEvents.map((e) => e.triggerSource)).toEqual([
      'TokenGeneration_Authentication',
      'TokenGeneration_RefreshTokens',
    ]);
    expect(tokenEvents[0]).toMatchObject({
      version: '2',
      request: {
        userAttributes: { email: 'bea@auto.example', 'custom:plan': 'gold' },
        groupConfiguration: { groupsToOverride: [] },
        scopes: ['aws.cognito.signin.user.admin'],
      },
    });
  });

  it('refuses the sign-in when the pre token trigger fails or answers no event', async () => {
    tokenAnswer = () => {
      throw new Error('no tokens today');
    };
    const failed = await signIn({ username: 'bea@auto.example', password: PASSWORD }).catch((e: Error) => e);
    tokenAnswer = () => 'not an event';
    const invalid = await signIn({ username: 'bea@auto.example', password: PASSWORD }).catch((e: Error) => e);
    tokenAnswer = (event) => event;
    expect(failed).toMatchObject({
      name: 'UserLambdaValidationException',
      message: 'PreTokenGeneration failed with error no tokens today.',
    });
    expect(invalid).toMatchObject({ name: 'InvalidLambdaResponseException' });
  });

  it('checks custom attributes against the schema: unknown, too long, and non-mutable after sign-up are refused', async () => {
    const unknown = await signUp({
      username: 'cy@auto.example',
      password: PASSWORD,
      options: { userAttributes: { 'custom:nope': 'x' } },
    }).catch((e: Error) => e);
    const tooLong = await signUp({
      username: 'cy@auto.example',
      password: PASSWORD,
      options: { userAttributes: { 'custom:plan': 'platinum+' } },
    }).catch((e: Error) => e);
    await signIn({ username: 'bea@auto.example', password: PASSWORD });
    try {
      const plan = await updateUserAttributes({ userAttributes: { 'custom:plan': 'silver' } });
      const tenant = await updateUserAttributes({ userAttributes: { 'custom:tenant': 't-2' } }).catch((e: Error) => e);
      expect(plan['custom:plan']?.isUpdated).toBe(true);
      expect(tenant).toMatchObject({
        name: 'NotAuthorizedException',
        message: 'Cannot modify the non-mutable attribute custom:tenant',
      });
    } finally {
      await signOut();
    }
    expect(unknown).toMatchObject({
      name: 'InvalidParameterException',
      message: 'Attribute does not exist in the schema: custom:nope',
    });
    expect(tooLong).toMatchObject({ name: 'InvalidParameterException' });
  });
});
