import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { importJWK, jwtVerify } from 'jose';
import type { Outbox } from '../outbox';
import { createServerEphemeral, createVerifier, verifyPasswordClaim } from './srp';
import type { TokenIssuer } from './tokens';
import { newTotpSecret, verifyTotp } from './totp';
import type { LocalUser, UserStore } from './users';

/** A Cognito error as the service reports it: `__type` names it, clients branch on it. */
export class CognitoError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export interface PasswordPolicy {
  minimumLength: number;
  requireLowercase: boolean;
  requireUppercase: boolean;
  requireNumbers: boolean;
  requireSymbols: boolean;
}

export interface PostConfirmationEvent {
  version: '1';
  region: string;
  userPoolId: string;
  userName: string;
  triggerSource: 'PostConfirmation_ConfirmSignUp' | 'PostConfirmation_ConfirmForgotPassword';
  callerContext: { awsSdkVersion: string; clientId: string };
  request: { userAttributes: Record<string, string> };
  response: Record<string, never>;
}

export interface CognitoOptions {
  userPoolId: string;
  clientId: string;
  passwordPolicy: PasswordPolicy;
  users: UserStore;
  tokens: TokenIssuer;
  outbox: Outbox;
  /** The real post-confirmation function, run in-process. */
  postConfirmation?: (event: PostConfirmationEvent) => Promise<unknown>;
  /** The pool's groups; AdminAddUserToGroup refuses others. Absent, any group name is taken. */
  groups?: string[];
}

interface PendingChallenge {
  username: string;
  kind: 'PASSWORD_VERIFIER' | 'SOFTWARE_TOKEN_MFA';
  A?: string;
  b?: string;
  B?: string;
  secretBlock?: string;
  expiresAt: number;
}

type Json = Record<string, unknown>;

const CODE_TTL_MS = 24 * 3600 * 1000;
const CHALLENGE_TTL_MS = 3 * 60 * 1000;
const SYMBOLS = /[\^$*.[\]{}()?"!@#%&/\\,><':;|_~`=+-]/;

const str = (value: unknown, name: string): string => {
  if (typeof value !== 'string' || value.length === 0) {
    throw new CognitoError('InvalidParameterException', `Missing required parameter ${name}`);
  }
  return value;
};

const record = (value: unknown): Json => (typeof value === 'object' && value !== null ? { ...value } : {});

const maskEmail = (email: string): string => `${email[0] ?? ''}***@${email.split('@')[1] ?? '***'}`;

/**
 * The Cognito user-pool API, as the Amplify clients speak it (JSON over POST
 * with `X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`):
 * sign-up and confirmation, SRP sign-in, refresh, sign-out, password reset and
 * TOTP MFA. Tokens are RS256 JWTs verified against the JWKS served beside it.
 */
export class CognitoUserPool {
  private readonly challenges = new Map<string, PendingChallenge>();
  readonly poolName: string;

  constructor(private readonly options: CognitoOptions) {
    this.poolName = options.userPoolId.split('_')[1] ?? options.userPoolId;
  }

  /** The policy the next sign-up, password change or reset is checked against (a hot reload sets it). */
  setPasswordPolicy(policy: PasswordPolicy): void {
    this.options.passwordPolicy = policy;
  }

  /** The groups AdminAddUserToGroup accepts (a hot reload sets them). */
  setGroups(groups: string[]): void {
    this.options.groups = groups;
  }

  async handle(operation: string, body: Json): Promise<Json> {
    switch (operation) {
      case 'SignUp':
        return this.signUp(body);
      case 'ConfirmSignUp':
        return this.confirmSignUp(body);
      case 'ResendConfirmationCode':
        return this.resendConfirmationCode(body);
      case 'InitiateAuth':
        return this.initiateAuth(body);
      case 'RespondToAuthChallenge':
        return this.respondToAuthChallenge(body);
      case 'GetTokensFromRefreshToken':
        return this.refresh(this.checkClient(body), str(body.RefreshToken, 'RefreshToken'));
      case 'GetUser':
        return this.getUser(body);
      case 'GlobalSignOut':
        return this.globalSignOut(body);
      case 'RevokeToken':
        return this.revokeToken(body);
      case 'ForgotPassword':
        return this.forgotPassword(body);
      case 'ConfirmForgotPassword':
        return this.confirmForgotPassword(body);
      case 'AssociateSoftwareToken':
        return this.associateSoftwareToken(body);
      case 'VerifySoftwareToken':
        return this.verifySoftwareToken(body);
      case 'SetUserMFAPreference':
        return this.setUserMfaPreference(body);
      case 'AdminAddUserToGroup':
        this.addToGroup(str(body.Username, 'Username'), str(body.GroupName, 'GroupName'));
        return {};
      default:
        throw new CognitoError('InvalidAction', `The local user pool does not implement ${operation}.`);
    }
  }

  /** Adds a user to a group (the local admin command; Cognito's AdminAddUserToGroup). */
  addToGroup(login: string, group: string): void {
    const user = this.options.users.find(login);
    if (!user) throw new CognitoError('UserNotFoundException', 'User does not exist.');
    if (this.options.groups && !this.options.groups.includes(group))
      throw new CognitoError('ResourceNotFoundException', 'Group not found.');
    this.options.users.update(user, (u) => {
      if (!u.groups.includes(group)) u.groups.push(group);
    });
  }

  private checkClient(body: Json): string {
    const clientId = str(body.ClientId, 'ClientId');
    if (clientId !== this.options.clientId) {
      throw new CognitoError('ResourceNotFoundException', `User pool client ${clientId} does not exist.`);
    }
    return clientId;
  }

  private checkPassword(password: string): void {
    const policy = this.options.passwordPolicy;
    const problems = [
      password.length < policy.minimumLength && `be at least ${policy.minimumLength} characters`,
      policy.requireLowercase && !/[a-z]/.test(password) && 'have lowercase characters',
      policy.requireUppercase && !/[A-Z]/.test(password) && 'have uppercase characters',
      policy.requireNumbers && !/[0-9]/.test(password) && 'have numeric characters',
      policy.requireSymbols && !SYMBOLS.test(password) && 'have symbol characters',
    ].filter((p): p is string => typeof p === 'string');
    if (problems.length > 0) {
      throw new CognitoError(
        'InvalidPasswordException',
        `Password did not conform with policy: Password must ${problems.join(', ')}`,
      );
    }
  }

  private sendCode(user: LocalUser, purpose: 'signup' | 'reset'): Json {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    this.options.users.update(user, (u) => {
      u.codes[purpose] = { code, expiresAt: Date.now() + CODE_TTL_MS };
    });
    this.options.outbox.add({
      channel: 'email',
      to: user.email,
      kind: purpose === 'signup' ? 'verification' : 'password-reset',
      code,
      body: { subject: 'Your verification code', text: `Your verification code is ${code}` },
    });
    return { Destination: maskEmail(user.email), DeliveryMedium: 'EMAIL', AttributeName: 'email' };
  }

  private takeCode(user: LocalUser, purpose: 'signup' | 'reset', code: unknown): void {
    const sent = user.codes[purpose];
    if (!sent || sent.code !== code) {
      throw new CognitoError('CodeMismatchException', 'Invalid verification code provided, please try again.');
    }
    if (sent.expiresAt < Date.now()) {
      throw new CognitoError('ExpiredCodeException', 'Invalid code provided, please request a code again.');
    }
    this.options.users.update(user, (u) => {
      delete u.codes[purpose];
    });
  }

  private async signUp(body: Json): Promise<Json> {
    this.checkClient(body);
    const login = str(body.Username, 'Username');
    const password = str(body.Password, 'Password');
    const attributes = Array.isArray(body.UserAttributes) ? body.UserAttributes : [];
    const emailAttribute = attributes.map(record).find((a) => a.Name === 'email')?.Value;
    const email = (typeof emailAttribute === 'string' ? emailAttribute : login).toLowerCase();
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
      throw new CognitoError('InvalidParameterException', 'Invalid email address format.');
    }
    if (this.options.users.find(email)) {
      throw new CognitoError('UsernameExistsException', 'An account with the given email already exists.');
    }
    this.checkPassword(password);
    const sub = randomUUID();
    const user: LocalUser = {
      username: sub,
      sub,
      email,
      emailVerified: false,
      status: 'UNCONFIRMED',
      verifier: createVerifier(this.poolName, sub, password),
      groups: [],
      codes: {},
      createdAt: new Date().toISOString(),
    };
    this.options.users.add(user);
    const delivery = this.sendCode(user, 'signup');
    return { UserConfirmed: false, UserSub: sub, CodeDeliveryDetails: delivery };
  }

  private async confirmSignUp(body: Json): Promise<Json> {
    const clientId = this.checkClient(body);
    const user = this.options.users.find(str(body.Username, 'Username'));
    if (!user) throw new CognitoError('UserNotFoundException', 'Username/client id combination not found.');
    if (user.status === 'CONFIRMED') {
      throw new CognitoError('NotAuthorizedException', 'User cannot be confirmed. Current status is CONFIRMED');
    }
    this.takeCode(user, 'signup', body.ConfirmationCode);
    this.options.users.update(user, (u) => {
      u.status = 'CONFIRMED';
      u.emailVerified = true;
    });
    if (this.options.postConfirmation) {
      try {
        await this.options.postConfirmation({
          version: '1',
          region: this.options.userPoolId.split('_')[0] ?? 'local',
          userPoolId: this.options.userPoolId,
          userName: user.username,
          triggerSource: 'PostConfirmation_ConfirmSignUp',
          callerContext: { awsSdkVersion: 'local', clientId },
          request: {
            userAttributes: {
              sub: user.sub,
              email: user.email,
              email_verified: 'true',
              'cognito:user_status': 'CONFIRMED',
            },
          },
          response: {},
        });
      } catch (error) {
        throw new CognitoError(
          'UserLambdaValidationException',
          `PostConfirmation failed with error ${error instanceof Error ? error.message : String(error)}.`,
        );
      }
    }
    return {};
  }

  private async resendConfirmationCode(body: Json): Promise<Json> {
    this.checkClient(body);
    const user = this.options.users.find(str(body.Username, 'Username'));
    if (!user) throw new CognitoError('UserNotFoundException', 'Username/client id combination not found.');
    return { CodeDeliveryDetails: this.sendCode(user, 'signup') };
  }

  private async initiateAuth(body: Json): Promise<Json> {
    const clientId = this.checkClient(body);
    const params = record(body.AuthParameters);
    if (body.AuthFlow === 'USER_SRP_AUTH') {
      const login = str(params.USERNAME, 'USERNAME');
      const A = str(params.SRP_A, 'SRP_A');
      if (!/^[0-9a-f]+$/i.test(A)) throw new CognitoError('InvalidParameterException', 'SRP_A is not hex.');
      // An unknown user gets a challenge like any other and fails at the proof: no user enumeration.
      const user = this.options.users.find(login);
      const verifier = user?.verifier ?? createVerifier(this.poolName, randomUUID(), randomUUID());
      const { b, B } = createServerEphemeral(verifier);
      const secretBlock = randomBytes(64).toString('base64');
      const session = randomBytes(48).toString('base64url');
      const userId = user?.username ?? randomUUID();
      this.challenges.set(session, {
        username: userId,
        kind: 'PASSWORD_VERIFIER',
        A,
        b,
        B,
        secretBlock,
        expiresAt: Date.now() + CHALLENGE_TTL_MS,
      });
      return {
        ChallengeName: 'PASSWORD_VERIFIER',
        Session: session,
        ChallengeParameters: {
          SALT: verifier.salt,
          SECRET_BLOCK: secretBlock,
          SRP_B: B,
          USERNAME: userId,
          USER_ID_FOR_SRP: userId,
          SRP_A: A,
        },
      };
    }
    if (body.AuthFlow === 'REFRESH_TOKEN_AUTH' || body.AuthFlow === 'REFRESH_TOKEN') {
      return { ...(await this.refresh(clientId, str(params.REFRESH_TOKEN, 'REFRESH_TOKEN'))), ChallengeParameters: {} };
    }
    throw new CognitoError(
      'InvalidParameterException',
      `Auth flow ${String(body.AuthFlow)} is not enabled for this client.`,
    );
  }

  /** New id and access tokens for a refresh token that is still valid (not revoked, same client). */
  private async refresh(clientId: string, refreshToken: string): Promise<Json> {
    const session = this.options.users.getRefresh(refreshToken);
    const user = session && this.options.users.find(session.username);
    if (!session || !user || session.clientId !== clientId || this.options.users.isRevoked(session.originJti)) {
      throw new CognitoError('NotAuthorizedException', 'Invalid Refresh Token');
    }
    // The new tokens keep the sign-in's origin_jti, so revoking the refresh token revokes them too.
    const { originJti: _, ...tokens } = await this.options.tokens.issue(
      user,
      clientId,
      session.authTime,
      session.originJti,
    );
    return { AuthenticationResult: tokens };
  }

  private async respondToAuthChallenge(body: Json): Promise<Json> {
    const clientId = this.checkClient(body);
    const sessionId = str(body.Session, 'Session');
    const pending = this.challenges.get(sessionId);
    this.challenges.delete(sessionId);
    if (!pending || pending.expiresAt < Date.now() || pending.kind !== body.ChallengeName) {
      throw new CognitoError('NotAuthorizedException', 'Invalid session for the user, session is expired.');
    }
    const responses = record(body.ChallengeResponses);
    const user = this.options.users.find(pending.username);
    if (pending.kind === 'PASSWORD_VERIFIER') {
      const valid =
        user !== undefined &&
        pending.A !== undefined &&
        pending.b !== undefined &&
        pending.B !== undefined &&
        responses.PASSWORD_CLAIM_SECRET_BLOCK === pending.secretBlock &&
        verifyPasswordClaim({
          poolName: this.poolName,
          userId: pending.username,
          A: pending.A,
          B: pending.B,
          b: pending.b,
          verifier: user.verifier,
          secretBlock: pending.secretBlock ?? '',
          timestamp: str(responses.TIMESTAMP, 'TIMESTAMP'),
          signature: str(responses.PASSWORD_CLAIM_SIGNATURE, 'PASSWORD_CLAIM_SIGNATURE'),
        });
      if (!valid || !user) throw new CognitoError('NotAuthorizedException', 'Incorrect username or password.');
      if (user.status !== 'CONFIRMED') throw new CognitoError('UserNotConfirmedException', 'User is not confirmed.');
      if (user.totp?.enabled) {
        const session = randomBytes(48).toString('base64url');
        this.challenges.set(session, {
          username: user.username,
          kind: 'SOFTWARE_TOKEN_MFA',
          expiresAt: Date.now() + CHALLENGE_TTL_MS,
        });
        return { ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: session, ChallengeParameters: {} };
      }
      return this.signedIn(user, clientId);
    }
    const code = str(responses.SOFTWARE_TOKEN_MFA_CODE, 'SOFTWARE_TOKEN_MFA_CODE');
    if (!user?.totp?.enabled || !verifyTotp(user.totp.secret, code)) {
      throw new CognitoError('CodeMismatchException', 'Invalid code received for user');
    }
    return this.signedIn(user, clientId);
  }

  private async signedIn(user: LocalUser, clientId: string): Promise<Json> {
    const authTime = Math.floor(Date.now() / 1000);
    const { originJti, ...tokens } = await this.options.tokens.issue(user, clientId, authTime);
    const RefreshToken = this.options.tokens.newRefreshToken();
    this.options.users.putRefresh(RefreshToken, { username: user.username, clientId, authTime, originJti });
    return { AuthenticationResult: { ...tokens, RefreshToken }, ChallengeParameters: {} };
  }

  /** The user an access token belongs to, after checking its signature, issuer, use, expiry and revocation. */
  private async userOf(accessToken: unknown): Promise<LocalUser> {
    const token = str(accessToken, 'AccessToken');
    try {
      const key = await importJWK(this.options.tokens.jwks().keys[0] ?? {}, 'RS256');
      const { payload } = await jwtVerify(token, key, { issuer: this.options.tokens.issuer, algorithms: ['RS256'] });
      const user = typeof payload.username === 'string' ? this.options.users.find(payload.username) : undefined;
      const originJti = typeof payload.origin_jti === 'string' ? payload.origin_jti : '';
      if (payload.token_use !== 'access' || !user || this.options.users.isRevoked(originJti))
        throw new Error('revoked');
      return user;
    } catch {
      throw new CognitoError('NotAuthorizedException', 'Invalid Access Token');
    }
  }

  private async getUser(body: Json): Promise<Json> {
    const user = await this.userOf(body.AccessToken);
    return {
      Username: user.username,
      UserAttributes: [
        { Name: 'sub', Value: user.sub },
        { Name: 'email', Value: user.email },
        { Name: 'email_verified', Value: String(user.emailVerified) },
      ],
      MFAOptions: [],
      PreferredMfaSetting: user.totp?.enabled ? 'SOFTWARE_TOKEN_MFA' : undefined,
      UserMFASettingList: user.totp?.enabled ? ['SOFTWARE_TOKEN_MFA'] : [],
    };
  }

  private async globalSignOut(body: Json): Promise<Json> {
    const user = await this.userOf(body.AccessToken);
    this.options.users.revoke((s) => s.username === user.username);
    return {};
  }

  private async revokeToken(body: Json): Promise<Json> {
    this.checkClient(body);
    const session = this.options.users.getRefresh(str(body.Token, 'Token'));
    if (session) this.options.users.revoke((s) => s.originJti === session.originJti);
    return {};
  }

  private async forgotPassword(body: Json): Promise<Json> {
    this.checkClient(body);
    const user = this.options.users.find(str(body.Username, 'Username'));
    // With prevent-user-existence-errors on, an unknown user looks like a known one.
    if (!user)
      return { CodeDeliveryDetails: { Destination: 'u***@***', DeliveryMedium: 'EMAIL', AttributeName: 'email' } };
    return { CodeDeliveryDetails: this.sendCode(user, 'reset') };
  }

  private async confirmForgotPassword(body: Json): Promise<Json> {
    this.checkClient(body);
    const user = this.options.users.find(str(body.Username, 'Username'));
    if (!user) throw new CognitoError('CodeMismatchException', 'Invalid verification code provided, please try again.');
    const password = str(body.Password, 'Password');
    this.checkPassword(password);
    this.takeCode(user, 'reset', body.ConfirmationCode);
    this.options.users.update(user, (u) => {
      u.verifier = createVerifier(this.poolName, u.username, password);
    });
    this.options.users.revoke((s) => s.username === user.username);
    return {};
  }

  private async associateSoftwareToken(body: Json): Promise<Json> {
    const user = await this.userOf(body.AccessToken);
    const secret = newTotpSecret();
    this.options.users.update(user, (u) => {
      u.totp = { secret, verified: false, enabled: false };
    });
    return { SecretCode: secret };
  }

  private async verifySoftwareToken(body: Json): Promise<Json> {
    const user = await this.userOf(body.AccessToken);
    if (!user.totp || !verifyTotp(user.totp.secret, str(body.UserCode, 'UserCode'))) {
      throw new CognitoError('EnableSoftwareTokenMFAException', 'Code mismatch');
    }
    this.options.users.update(user, (u) => {
      if (u.totp) u.totp.verified = true;
    });
    return { Status: 'SUCCESS' };
  }

  private async setUserMfaPreference(body: Json): Promise<Json> {
    const user = await this.userOf(body.AccessToken);
    const settings = record(body.SoftwareTokenMfaSettings);
    if (settings.Enabled === true && !user.totp?.verified) {
      throw new CognitoError('InvalidParameterException', 'User has not verified software token mfa');
    }
    this.options.users.update(user, (u) => {
      if (u.totp) u.totp.enabled = settings.Enabled === true;
    });
    return {};
  }
}
