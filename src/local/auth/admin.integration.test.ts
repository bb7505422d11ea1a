import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import {
  AdminAddUserToGroupCommand,
  AdminConfirmSignUpCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminResetUserPasswordCommand,
  AdminSetUserPasswordCommand,
  AdminUpdateUserAttributesCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
  ListGroupsCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { SignatureV4 } from '@smithy/signature-v4';
import { Amplify } from 'aws-amplify';
import {
  confirmResetPassword,
  confirmSignIn,
  confirmSignUp,
  fetchAuthSession,
  fetchUserAttributes,
  signIn,
  signOut,
  signUp,
} from 'aws-amplify/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD_POLICY } from '../../../amplify/custom/auth-hardening';
import {
  type LocalPrincipal,
  type PrincipalAuthorizer,
  SignedRequestError,
  type SignedRequestVerifier,
} from '../iam/principals';
import { Outbox } from '../outbox';
import { SignatureError, verifySigV4 } from '../storage/sigv4';
import type { PostConfirmationEvent } from './cognito';
import { type LocalAuth, startLocalAuth } from './server';
import { OPERATION_FIELDS } from './wire';

const USER_POOL_ID = 'us-east-1_LocalPool';
const CLIENT_ID = 'localclient0000000000000000';
const PASSWORD = 'Correct-Horse-9-Battery';
const REGION = 'us-east-1';
const ADMIN = { accessKeyId: 'AKIDLOCALADMINTEST00', secretAccessKey: 'admin-secret-for-tests-only' };
const READER = { accessKeyId: 'AKIDLOCALREADERTEST0', secretAccessKey: 'reader-secret-for-tests-only' };
const KEYS: Record<string, { secret: string; principal: LocalPrincipal }> = {
  [ADMIN.accessKeyId]: {
    secret: ADMIN.secretAccessKey,
    principal: { accessKeyId: ADMIN.accessKeyId, kind: 'admin', name: 'admin' },
  },
  [READER.accessKeyId]: {
    secret: READER.secretAccessKey,
    principal: {
      accessKeyId: READER.accessKeyId,
      kind: 'function',
      name: 'reader',
      roleArn: 'arn:aws:iam::000000000000:role/reader',
    },
  },
};

/** A tiny verifier over the project's SigV4 check, with the JSON services' error codes. */
const verifySigned: SignedRequestVerifier = (request, service) => {
  const at = request.url.indexOf('?');
  const bodyHash = createHash('sha256').update(request.body).digest('hex');
  try {
    const verified = verifySigV4(
      {
        method: request.method,
        path: at < 0 ? request.url : request.url.slice(0, at),
        query: at < 0 ? '' : request.url.slice(at + 1),
        headers: request.headers,
        bodyHash,
      },
      (id) => (KEYS[id] ? { secretAccessKey: KEYS[id].secret } : undefined),
      { region: REGION, service },
    );
    const key = KEYS[verified.accessKeyId];
    if (verified.payloadHash !== bodyHash || !key)
      throw new SignedRequestError('InvalidSignatureException', 'The request signature we calculated does not match.');
    return key.principal;
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    if (error.message.startsWith('Anonymous'))
      throw new SignedRequestError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    if (error.code === 'InvalidAccessKeyId')
      throw new SignedRequestError(
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      );
    throw new SignedRequestError(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided.',
    );
  }
};

/** The admin may do anything; the reader only ListUsers on this pool. */
const authorizePrincipal: PrincipalAuthorizer = (principal, { action, resource }) =>
  principal.kind === 'admin' ||
  (action === 'cognito-idp:ListUsers' &&
    resource === `arn:aws:cognito-idp:${REGION}:000000000000:userpool/${USER_POOL_ID}`)
    ? 'Allow'
    : 'ImplicitDeny';

/** What the SigV4 signer hashes: strings and byte buffers. */
type Data = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: Data): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

/** node:crypto behind the Checksum interface the SigV4 signer wants. */
class Sha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: Data) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.secret));
  }
  update(data: Data): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

let auth: LocalAuth;
const logged: string[] = [];
const confirmed: PostConfirmationEvent[] = [];
const clock = { offsetMs: 0 };
let admin: CognitoIdentityProviderClient;

beforeAll(async () => {
  auth = await startLocalAuth({
    userPoolId: USER_POOL_ID,
    clientId: CLIENT_ID,
    passwordPolicy: { ...PASSWORD_POLICY, temporaryPasswordValidityDays: 3 },
    groups: ['Admins'],
    preventUserExistenceErrors: true,
    verifySigned,
    authorizePrincipal,
    postConfirmation: async (event) => {
      confirmed.push(event);
    },
    log: (line) => logged.push(line),
    now: () => Date.now() + clock.offsetMs,
  });
  admin = new CognitoIdentityProviderClient({ region: REGION, endpoint: auth.url, credentials: ADMIN });
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
  admin.destroy();
  await auth.close();
});

/** A raw request, signed when credentials are given (the body is signed as sent unless `tamper` changes it). */
const raw = async (
  operation: string,
  body: unknown,
  options: {
    credentials?: { accessKeyId: string; secretAccessKey: string };
    tamper?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Response> => {
  const url = new URL(auth.url);
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  let headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`,
    host: url.host,
    ...options.headers,
  };
  if (options.credentials) {
    const signer = new SignatureV4({
      credentials: options.credentials,
      region: REGION,
      service: 'cognito-idp',
      sha256: Sha256,
    });
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      query: {},
      headers,
      body: text,
    });
    headers = signed.headers;
  }
  const { host: _, ...sent } = headers;
  return fetch(`${auth.url}/`, { method: 'POST', headers: sent, body: options.tamper ?? text });
};

const errorOf = async (response: Response) => ({ status: response.status, body: await response.json() });

const register = async (email: string): Promise<void> => {
  await signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } });
  await confirmSignUp({ username: email, confirmationCode: auth.outbox.latestCode(email, 'verification') ?? '' });
};

describe('admin operations need SigV4 and an IAM allow', () => {
  it('refuses an unsigned AdminAddUserToGroup, gives a browser no CORS answer, and changes nothing', async () => {
    // Prepare
    await register('victim@example.com');
    // Act
    const response = await raw('AdminAddUserToGroup', {
      UserPoolId: USER_POOL_ID,
      Username: 'victim@example.com',
      GroupName: 'Admins',
    });
    // Assess
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(await errorOf(response)).toEqual({
      status: 400,
      body: { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' },
    });
    const user = await admin.send(
      new AdminGetUserCommand({ UserPoolId: USER_POOL_ID, Username: 'victim@example.com' }),
    );
    const members = await admin.send(new ListUsersInGroupCommand({ UserPoolId: USER_POOL_ID, GroupName: 'Admins' }));
    expect(members.Users?.map((u) => u.Username)).not.toContain(user.Username);
    expect(logged).toContain('user pool: refused AdminAddUserToGroup: MissingAuthenticationTokenException');
  });

  it('answers an unknown key, a wrong secret and a body changed after signing as Cognito does', async () => {
    const body = { UserPoolId: USER_POOL_ID, Username: 'victim@example.com', GroupName: 'Admins' };
    const stranger = await raw('AdminAddUserToGroup', body, {
      credentials: { accessKeyId: 'AKIDNOBODY0000000000', secretAccessKey: 'x' },
    });
    expect((await errorOf(stranger)).body.__type).toBe('UnrecognizedClientException');
    const wrongSecret = await raw('AdminAddUserToGroup', body, {
      credentials: { accessKeyId: ADMIN.accessKeyId, secretAccessKey: 'not-the-secret' },
    });
    expect((await errorOf(wrongSecret)).body.__type).toBe('InvalidSignatureException');
    const tampered = await raw('AdminAddUserToGroup', body, {
      credentials: ADMIN,
      tamper: JSON.stringify({ ...body, Username: 'someone-else@example.com' }),
    });
    expect((await errorOf(tampered)).body.__type).toBe('InvalidSignatureException');
    const sdk = new CognitoIdentityProviderClient({
      region: REGION,
      endpoint: auth.url,
      credentials: { accessKeyId: ADMIN.accessKeyId, secretAccessKey: 'wrong' },
    });
    await expect(sdk.send(new AdminAddUserToGroupCommand(body))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
    });
    sdk.destroy();
  });

  it('authorizes cognito-idp:<Operation> on the pool ARN: the reader may list users but not add to groups', async () => {
    const reader = new CognitoIdentityProviderClient({ region: REGION, endpoint: auth.url, credentials: READER });
    try {
      const listed = await reader.send(new ListUsersCommand({ UserPoolId: USER_POOL_ID }));
      expect(listed.Users?.length).toBeGreaterThan(0);
      await expect(
        reader.send(
          new AdminAddUserToGroupCommand({
            UserPoolId: USER_POOL_ID,
            Username: 'victim@example.com',
            GroupName: 'Admins',
          }),
        ),
      ).rejects.toMatchObject({
        name: 'AccessDeniedException',
        message: `User: arn:aws:sts::000000000000:assumed-role/reader/reader is not authorized to perform: cognito-idp:AdminAddUserToGroup on resource: ${auth.userPoolArn} because no identity-based policy allows the cognito-idp:AdminAddUserToGroup action`,
      });
      // Another pool's ARN is another resource: the reader's allow does not reach it.
      await expect(reader.send(new ListUsersCommand({ UserPoolId: 'us-east-1_Other' }))).rejects.toMatchObject({
        name: 'AccessDeniedException',
      });
      await expect(admin.send(new ListUsersCommand({ UserPoolId: 'us-east-1_Other' }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    } finally {
      reader.destroy();
    }
  });

  it('refuses every admin operation when started without a verifier', async () => {
    const closed = await startLocalAuth({
      userPoolId: USER_POOL_ID,
      clientId: CLIENT_ID,
      passwordPolicy: PASSWORD_POLICY,
    });
    const sdk = new CognitoIdentityProviderClient({ region: REGION, endpoint: closed.url, credentials: ADMIN });
    try {
      await expect(sdk.send(new ListUsersCommand({ UserPoolId: USER_POOL_ID }))).rejects.toMatchObject({
        name: 'UnrecognizedClientException',
      });
      const unsigned = await fetch(closed.url, {
        method: 'POST',
        headers: { 'x-amz-target': 'AWSCognitoIdentityProviderService.AdminCreateUser' },
        body: JSON.stringify({ UserPoolId: USER_POOL_ID, Username: 'x@example.com' }),
      });
      expect((await errorOf(unsigned)).body.__type).toBe('MissingAuthenticationTokenException');
    } finally {
      sdk.destroy();
      await closed.close();
    }
  });

  it('lets browsers preflight the public operations but not signed requests', async () => {
    const preflight = (headers: string) =>
      fetch(auth.url, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://localhost:5173',
          'access-control-request-method': 'POST',
          'access-control-request-headers': headers,
        },
      });
    const publicOne = await preflight('content-type,x-amz-target,x-amz-user-agent,cache-control');
    expect(publicOne.status).toBe(204);
    expect(publicOne.headers.get('access-control-allow-origin')).toBe('*');
    expect(publicOne.headers.get('access-control-allow-headers')).toContain('x-amz-target');
    const signedOne = await preflight('authorization,content-type,x-amz-date,x-amz-target');
    expect(signedOne.status).toBe(403);
    expect(signedOne.headers.get('access-control-allow-origin')).toBeNull();
    const signUpAnswer = await raw('InitiateAuth', { ClientId: CLIENT_ID, AuthFlow: 'USER_SRP_AUTH' });
    expect(signUpAnswer.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('admin operations with the AWS SDK', () => {
  it('creates a user with a temporary password, who must choose a new one at sign-in', async () => {
    // Act
    const created = await admin.send(
      new AdminCreateUserCommand({
        UserPoolId: USER_POOL_ID,
        Username: 'temp@example.com',
        TemporaryPassword: 'Temporary-Pass-1',
        UserAttributes: [
          { Name: 'email_verified', Value: 'true' },
          { Name: 'name', Value: 'Tempo' },
        ],
      }),
    );
    // Assess
    expect(created.User).toMatchObject({ UserStatus: 'FORCE_CHANGE_PASSWORD', Enabled: true });
    expect(created.User?.Username).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.User?.Attributes).toEqual(
      expect.arrayContaining([
        { Name: 'email', Value: 'temp@example.com' },
        { Name: 'email_verified', Value: 'true' },
        { Name: 'name', Value: 'Tempo' },
      ]),
    );
    expect(auth.outbox.latestCode('temp@example.com', 'temporary-password')).toBe('Temporary-Pass-1');
    expect(logged).toContain('temporary password Temporary-Pass-1 sent to temp@example.com (invitation)');
    const first = await signIn({ username: 'temp@example.com', password: 'Temporary-Pass-1' });
    expect(first.nextStep.signInStep).toBe('CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED');
    await expect(confirmSignIn({ challengeResponse: 'weak' })).rejects.toMatchObject({
      name: 'InvalidPasswordException',
    });
    const done = await confirmSignIn({ challengeResponse: 'Chosen-Password-2' });
    expect(done.isSignedIn).toBe(true);
    await signOut();
    const got = await admin.send(new AdminGetUserCommand({ UserPoolId: USER_POOL_ID, Username: 'temp@example.com' }));
    expect(got).toMatchObject({ UserStatus: 'CONFIRMED', Enabled: true, Username: created.User?.Username });
    expect(got.UserCreateDate).toBeInstanceOf(Date);
    await expect(
      admin.send(new AdminCreateUserCommand({ UserPoolId: USER_POOL_ID, Username: 'temp@example.com' })),
    ).rejects.toMatchObject({ name: 'UsernameExistsException' });
    await expect(
      admin.send(new AdminCreateUserCommand({ UserPoolId: USER_POOL_ID, Username: 'not-an-email' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException', message: 'Username should be an email.' });
    await expect(
      admin.send(
        new AdminCreateUserCommand({ UserPoolId: USER_POOL_ID, Username: 'weak@example.com', TemporaryPassword: 'x' }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidPasswordException' });
  });

  it('expires a temporary password after the pool’s validity days; a suppressed invitation sends nothing', async () => {
    await admin.send(
      new AdminCreateUserCommand({
        UserPoolId: USER_POOL_ID,
        Username: 'late@example.com',
        TemporaryPassword: 'Temporary-Pass-1',
        MessageAction: 'SUPPRESS',
      }),
    );
    expect(auth.outbox.list('late@example.com')).toEqual([]);
    clock.offsetMs = 3 * 24 * 3600 * 1000 + 1000;
    try {
      await expect(signIn({ username: 'late@example.com', password: 'Temporary-Pass-1' })).rejects.toMatchObject({
        name: 'NotAuthorizedException',
        message: 'Temporary password has expired and must be reset by an administrator.',
      });
    } finally {
      clock.offsetMs = 0;
    }
  });

  it('confirms a sign-up as an administrator and runs the post-confirmation trigger', async () => {
    await signUp({
      username: 'pending@example.com',
      password: PASSWORD,
      options: { userAttributes: { email: 'pending@example.com' } },
    });
    const before = await admin.send(
      new AdminGetUserCommand({ UserPoolId: USER_POOL_ID, Username: 'pending@example.com' }),
    );
    expect(before.UserStatus).toBe('UNCONFIRMED');
    await admin.send(new AdminConfirmSignUpCommand({ UserPoolId: USER_POOL_ID, Username: 'pending@example.com' }));
    const after = await admin.send(
      new AdminGetUserCommand({ UserPoolId: USER_POOL_ID, Username: 'pending@example.com' }),
    );
    expect(after.UserStatus).toBe('CONFIRMED');
    expect(confirmed.map((e) => e.request.userAttributes.email)).toContain('pending@example.com');
    await expect(
      admin.send(new AdminConfirmSignUpCommand({ UserPoolId: USER_POOL_ID, Username: 'pending@example.com' })),
    ).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'User cannot be confirmed. Current status is CONFIRMED',
    });
    expect((await signIn({ username: 'pending@example.com', password: PASSWORD })).isSignedIn).toBe(true);
    await signOut();
  });

  it('lists users with a filter, a limit and pagination tokens', async () => {
    // Prepare
    for (let i = 0; i < 7; i++)
      await admin.send(
        new AdminCreateUserCommand({
          UserPoolId: USER_POOL_ID,
          Username: `list-${i}@example.com`,
          MessageAction: 'SUPPRESS',
        }),
      );
    // Act
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await admin.send(
        new ListUsersCommand({
          UserPoolId: USER_POOL_ID,
          Filter: 'email ^= "list-"',
          Limit: 3,
          PaginationToken: token,
        }),
      );
      pages.push((page.Users ?? []).map((u) => u.Attributes?.find((a) => a.Name === 'email')?.Value ?? ''));
      token = page.PaginationToken;
    } while (token && pages.length < 10);
    // Assess
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(Array.from({ length: 7 }, (_, i) => `list-${i}@example.com`));
    const exact = await admin.send(
      new ListUsersCommand({ UserPoolId: USER_POOL_ID, Filter: 'email = "list-4@example.com"' }),
    );
    expect(exact.Users).toHaveLength(1);
    const forced = await admin.send(
      new ListUsersCommand({ UserPoolId: USER_POOL_ID, Filter: 'cognito:user_status = "FORCE_CHANGE_PASSWORD"' }),
    );
    expect(forced.Users?.every((u) => u.UserStatus === 'FORCE_CHANGE_PASSWORD')).toBe(true);
    expect(forced.Users?.length).toBeGreaterThanOrEqual(7);
    const some = await admin.send(
      new ListUsersCommand({
        UserPoolId: USER_POOL_ID,
        Filter: 'email = "list-1@example.com"',
        AttributesToGet: ['email'],
      }),
    );
    expect(some.Users?.[0]?.Attributes).toEqual([{ Name: 'email', Value: 'list-1@example.com' }]);
    for (const bad of [
      { Filter: 'email == list' },
      { Filter: 'shoe_size = "9"' },
      { Limit: 61 },
      { PaginationToken: 'not-a-token' },
    ])
      await expect(admin.send(new ListUsersCommand({ UserPoolId: USER_POOL_ID, ...bad }))).rejects.toMatchObject({
        name: 'InvalidParameterException',
      });
  });

  it('disables and enables a user: a disabled user cannot sign in and loses their sessions', async () => {
    await register('off@example.com');
    await signIn({ username: 'off@example.com', password: PASSWORD });
    await admin.send(new AdminDisableUserCommand({ UserPoolId: USER_POOL_ID, Username: 'off@example.com' }));
    const got = await admin.send(new AdminGetUserCommand({ UserPoolId: USER_POOL_ID, Username: 'off@example.com' }));
    expect(got.Enabled).toBe(false);
    await signOut();
    await expect(signIn({ username: 'off@example.com', password: PASSWORD })).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'User is disabled.',
    });
    const disabled = await admin.send(
      new ListUsersCommand({ UserPoolId: USER_POOL_ID, Filter: 'status = "Disabled"' }),
    );
    expect(disabled.Users?.map((u) => u.Username)).toEqual([got.Username]);
    await admin.send(new AdminEnableUserCommand({ UserPoolId: USER_POOL_ID, Username: 'off@example.com' }));
    expect((await signIn({ username: 'off@example.com', password: PASSWORD })).isSignedIn).toBe(true);
    await signOut();
  });

  it('adds to, lists and removes from a group; an unknown group or user is refused', async () => {
    await register('member@example.com');
    const user = await admin.send(
      new AdminGetUserCommand({ UserPoolId: USER_POOL_ID, Username: 'member@example.com' }),
    );
    const group = { UserPoolId: USER_POOL_ID, Username: 'member@example.com', GroupName: 'Admins' };
    await admin.send(new AdminAddUserToGroupCommand(group));
    const members = await admin.send(new ListUsersInGroupCommand({ UserPoolId: USER_POOL_ID, GroupName: 'Admins' }));
    expect(members.Users?.map((u) => u.Username)).toContain(user.Username);
    await admin.send(new AdminRemoveUserFromGroupCommand(group));
    const after = await admin.send(new ListUsersInGroupCommand({ UserPoolId: USER_POOL_ID, GroupName: 'Admins' }));
    expect(after.Users?.map((u) => u.Username)).not.toContain(user.Username);
    await expect(admin.send(new AdminAddUserToGroupCommand({ ...group, GroupName: 'Editors' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(
      admin.send(new ListUsersInGroupCommand({ UserPoolId: USER_POOL_ID, GroupName: 'Editors' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(
      admin.send(new AdminAddUserToGroupCommand({ ...group, Username: 'nobody@example.com' })),
    ).rejects.toMatchObject({ name: 'UserNotFoundException' });
  });

  it('sets a permanent or a temporary password', async () => {
    await register('setpw@example.com');
    const target = { UserPoolId: USER_POOL_ID, Username: 'setpw@example.com' };
    await admin.send(new AdminSetUserPasswordCommand({ ...target, Password: 'Permanent-Pass-3', Permanent: true }));
    expect((await signIn({ username: 'setpw@example.com', password: 'Permanent-Pass-3' })).isSignedIn).toBe(true);
    await signOut();
    await admin.send(new AdminSetUserPasswordCommand({ ...target, Password: 'Temporary-Pass-4', Permanent: false }));
    expect((await admin.send(new AdminGetUserCommand(target))).UserStatus).toBe('FORCE_CHANGE_PASSWORD');
    const next = await signIn({ username: 'setpw@example.com', password: 'Temporary-Pass-4' });
    expect(next.nextStep.signInStep).toBe('CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED');
    await expect(
      admin.send(new AdminSetUserPasswordCommand({ ...target, Password: 'short', Permanent: true })),
    ).rejects.toMatchObject({ name: 'InvalidPasswordException' });
  });

  it('resets a password: the user must use the emailed code before signing in again', async () => {
    await register('reset@example.com');
    const target = { UserPoolId: USER_POOL_ID, Username: 'reset@example.com' };
    await admin.send(new AdminResetUserPasswordCommand(target));
    expect((await admin.send(new AdminGetUserCommand(target))).UserStatus).toBe('RESET_REQUIRED');
    const attempt = await signIn({ username: 'reset@example.com', password: PASSWORD });
    expect(attempt.nextStep.signInStep).toBe('RESET_PASSWORD');
    const code = auth.outbox.latestCode('reset@example.com', 'password-reset') ?? '';
    expect(logged).toContain(`code ${code} sent to reset@example.com (password reset)`);
    await confirmResetPassword({
      username: 'reset@example.com',
      confirmationCode: code,
      newPassword: 'Brand-New-Pass-5',
    });
    expect((await admin.send(new AdminGetUserCommand(target))).UserStatus).toBe('CONFIRMED');
    expect((await signIn({ username: 'reset@example.com', password: 'Brand-New-Pass-5' })).isSignedIn).toBe(true);
    await signOut();
  });

  it('updates attributes as an administrator, lists groups, and signs a user out everywhere', async () => {
    await register('managed@example.com');
    const target = { UserPoolId: USER_POOL_ID, Username: 'managed@example.com' };
    await admin.send(
      new AdminUpdateUserAttributesCommand({
        ...target,
        UserAttributes: [
          { Name: 'email', Value: 'managed.new@example.com' },
          { Name: 'email_verified', Value: 'true' },
          { Name: 'locale', Value: 'fr' },
        ],
      }),
    );
    const got = await admin.send(new AdminGetUserCommand({ ...target, Username: 'managed.new@example.com' }));
    expect(got.UserAttributes).toEqual(
      expect.arrayContaining([
        { Name: 'email', Value: 'managed.new@example.com' },
        { Name: 'email_verified', Value: 'true' },
        { Name: 'locale', Value: 'fr' },
      ]),
    );
    // The old email no longer names anyone; sub never changes.
    await expect(admin.send(new AdminGetUserCommand(target))).rejects.toMatchObject({ name: 'UserNotFoundException' });
    const moved = { UserPoolId: USER_POOL_ID, Username: 'managed.new@example.com' };
    await expect(
      admin.send(new AdminUpdateUserAttributesCommand({ ...moved, UserAttributes: [{ Name: 'sub', Value: 'x' }] })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await admin.send(new AdminAddUserToGroupCommand({ ...moved, GroupName: 'Admins' }));
    const groups = await admin.send(new AdminListGroupsForUserCommand(moved));
    expect(groups.Groups).toEqual([{ GroupName: 'Admins', UserPoolId: USER_POOL_ID, Precedence: 0 }]);
    const all = await admin.send(new ListGroupsCommand({ UserPoolId: USER_POOL_ID }));
    expect(all.Groups?.map((g) => g.GroupName)).toEqual(['Admins']);

    await signIn({ username: 'managed.new@example.com', password: PASSWORD });
    expect(await fetchUserAttributes()).toMatchObject({ locale: 'fr' });
    const access = (await fetchAuthSession()).tokens?.accessToken.toString();
    await admin.send(new AdminUserGlobalSignOutCommand(moved));
    await expect(auth.pool.handle('GetUser', { AccessToken: access })).rejects.toMatchObject({
      type: 'NotAuthorizedException',
    });
    await signOut();
  });

  it('deletes a user', async () => {
    await register('gone@example.com');
    const target = { UserPoolId: USER_POOL_ID, Username: 'gone@example.com' };
    await admin.send(new AdminDeleteUserCommand(target));
    await expect(admin.send(new AdminGetUserCommand(target))).rejects.toMatchObject({
      name: 'UserNotFoundException',
      message: 'User does not exist.',
    });
    await expect(admin.send(new AdminDeleteUserCommand(target))).rejects.toMatchObject({
      name: 'UserNotFoundException',
    });
    await expect(signIn({ username: 'gone@example.com', password: PASSWORD })).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Incorrect username or password.',
    });
  });
});

/** Values of the wrong type (or out of range) for each kind of member. */
const WRONG: Record<string, unknown[]> = {
  string: [123, true, [], {}, 'x'.repeat(20_000)],
  boolean: ['true', 1, {}],
  integer: ['1', 1.5, -1, 61],
  map: ['x', [], { k: 1 }],
  attributes: ['x', {}, [1], [{ Name: 1 }], [{}], [{ Name: 'name', Value: 5 }]],
  strings: ['x', [1]],
  object: ['x', [], 5],
};

describe('the Cognito JSON wire, fuzzed', () => {
  it('answers every malformed request with a 4xx in Cognito’s format and keeps serving', async () => {
    // Prepare
    await register('canary@example.com');
    const cases: Array<{ name: string; send: () => Promise<Response> }> = [];
    const badJson = [
      '{',
      '[]',
      'null',
      '"x"',
      '1',
      'true',
      '{"a":',
      '\u0000',
      '{"ClientId": }',
      'ÿþ',
      '{"__proto__": {"x": 1}}',
    ];
    for (const body of badJson)
      cases.push({ name: `bad JSON ${JSON.stringify(body)}`, send: () => raw('SignUp', body) });
    for (const [operation, fields] of Object.entries(OPERATION_FIELDS)) {
      const valid = Object.fromEntries(
        Object.entries(fields)
          .filter(([, f]) => f.required)
          .map(([name]) => [name, name === 'UserPoolId' ? USER_POOL_ID : name === 'ClientId' ? CLIENT_ID : 'x']),
      );
      const isAdmin = operation.startsWith('Admin') || operation.startsWith('List');
      for (const [name, field] of Object.entries(fields))
        for (const value of WRONG[field.type.kind] ?? [])
          cases.push({
            name: `${operation}.${name} = ${JSON.stringify(value).slice(0, 40)}`,
            send: () => raw(operation, { ...valid, [name]: value }, isAdmin ? { credentials: ADMIN } : {}),
          });
      const firstRequired = Object.entries(fields).find(([, f]) => f.required)?.[0];
      if (firstRequired) {
        const { [firstRequired]: _, ...missing } = valid;
        cases.push({
          name: `${operation} without ${firstRequired}`,
          send: () => raw(operation, missing, isAdmin ? { credentials: ADMIN } : {}),
        });
      }
    }
    for (const target of [
      '',
      'AWSCognitoIdentityProviderService',
      'AWSCognitoIdentityProviderService.',
      'Nope.SignUp',
      'a.b.c',
      'x'.repeat(5000),
    ])
      cases.push({
        name: `target ${target.slice(0, 40)}`,
        send: () => fetch(auth.url, { method: 'POST', headers: { 'x-amz-target': target }, body: '{}' }),
      });
    cases.push({ name: 'unknown operation', send: () => raw('MakeMeAdmin', {}, { credentials: ADMIN }) });
    cases.push({ name: 'no target', send: () => fetch(auth.url, { method: 'POST', body: '{}' }) });
    cases.push({ name: 'GET', send: () => fetch(auth.url) });
    cases.push({ name: 'PUT', send: () => fetch(auth.url, { method: 'PUT', body: '{}' }) });
    cases.push({ name: 'huge body', send: () => raw('SignUp', `{"x":"${'a'.repeat(2 * 1024 * 1024)}"}`) });
    cases.push({
      name: 'huge signed body',
      send: () => raw('ListUsers', `{"x":"${'a'.repeat(2 * 1024 * 1024)}"}`, { credentials: ADMIN }),
    });
    cases.push({
      name: 'SRP_A of 100k hex digits',
      send: () =>
        raw('InitiateAuth', {
          ClientId: CLIENT_ID,
          AuthFlow: 'USER_SRP_AUTH',
          AuthParameters: { USERNAME: 'canary@example.com', SRP_A: 'f'.repeat(100_000) },
        }),
    });
    cases.push({
      name: 'an MFA setting of the wrong type',
      send: () => raw('SetUserMFAPreference', { AccessToken: 'x', SoftwareTokenMfaSettings: { Enabled: 'yes' } }),
    });
    cases.push({ name: 'forged access token', send: () => raw('GetUser', { AccessToken: 'a.b.c' }) });
    cases.push({
      name: 'unknown session',
      send: () =>
        raw('RespondToAuthChallenge', {
          ClientId: CLIENT_ID,
          ChallengeName: 'PASSWORD_VERIFIER',
          Session: 'y'.repeat(100),
        }),
    });

    // Act
    const failures: string[] = [];
    for (const c of cases) {
      const response = await c.send();
      const body: unknown = await response.json().catch(() => undefined);
      const shaped =
        typeof body === 'object' &&
        body !== null &&
        '__type' in body &&
        typeof body.__type === 'string' &&
        'message' in body &&
        typeof body.message === 'string';
      if (response.status < 400 || response.status > 499 || !shaped)
        failures.push(`${c.name}: ${response.status} ${JSON.stringify(body)}`);
    }

    // Assess
    expect(cases.length).toBeGreaterThanOrEqual(100);
    expect(failures).toEqual([]);
    expect(logged.some((line) => line.startsWith('user pool: internal error'))).toBe(false);
    expect((await signIn({ username: 'canary@example.com', password: PASSWORD })).isSignedIn).toBe(true);
    await signOut();
    console.info(`fuzzed the Cognito JSON wire with ${cases.length} malformed requests`);
  });

  it('answers a failure inside a handler with a 500 in Cognito’s format, logs it and keeps serving', async () => {
    // Prepare: an outbox that cannot write, as with a full disk
    const lines: string[] = [];
    const broken = new Outbox();
    broken.add = () => {
      throw new Error('ENOSPC: no space left on device');
    };
    const failing = await startLocalAuth({
      userPoolId: USER_POOL_ID,
      clientId: CLIENT_ID,
      passwordPolicy: PASSWORD_POLICY,
      outbox: broken,
      log: (line) => lines.push(line),
    });
    const post = (operation: string, body: unknown) =>
      fetch(failing.url, {
        method: 'POST',
        headers: { 'x-amz-target': `AWSCognitoIdentityProviderService.${operation}` },
        body: JSON.stringify(body),
      });
    try {
      // Act
      const failed = await post('SignUp', { ClientId: CLIENT_ID, Username: 'full@example.com', Password: PASSWORD });
      const next = await post('InitiateAuth', {
        ClientId: CLIENT_ID,
        AuthFlow: 'USER_SRP_AUTH',
        AuthParameters: { USERNAME: 'full@example.com', SRP_A: 'abc' },
      });
      // Assess
      expect(await errorOf(failed)).toEqual({
        status: 500,
        body: { __type: 'InternalErrorException', message: 'Internal error.' },
      });
      expect(lines.some((l) => l.includes('ENOSPC'))).toBe(true);
      expect(next.status).toBe(200);
    } finally {
      await failing.close();
    }
  });
});
