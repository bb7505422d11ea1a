import { createHmac, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { importJWK, jwtVerify } from 'jose';
import type { Outbox } from '../outbox';
import { afterFailure, CODE_ATTEMPTS, isLocked, SIGN_IN_LOCKOUT } from './attempts';
import {
  attributeChanges,
  attributesOf,
  type CustomAttribute,
  EMAIL,
  REPORTED_ATTRIBUTES,
  userType,
} from './attributes';
import { CognitoError } from './errors';
import { pageOf, userFilter } from './listing';
import { createServerEphemeral, createVerifier, passwordMatches, verifyPasswordClaim } from './srp';
import type { TokenIssuer, TokenOverrides } from './tokens';
import { newTotpSecret, verifyTotp } from './totp';
import type { CodePurpose, LocalUser, UserStatus, UserStore } from './users';
import { validateRequest } from './wire';

export { CognitoError } from './errors';

export interface PasswordPolicy {
  minimumLength: number;
  requireLowercase: boolean;
  requireUppercase: boolean;
  requireNumbers: boolean;
  requireSymbols: boolean;
  /** How long an administrator's temporary password lasts; Cognito's default is 7 days. */
  temporaryPasswordValidityDays?: number;
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

/** What every user-pool trigger's event carries (Cognito's common parameters). */
interface TriggerEventBase {
  version: string;
  region: string;
  userPoolId: string;
  userName: string;
  callerContext: { awsSdkVersion: string; clientId: string };
}

export interface PreSignUpEvent extends TriggerEventBase {
  triggerSource: 'PreSignUp_SignUp';
  request: {
    userAttributes: Record<string, string>;
    validationData: Record<string, string> | null;
    clientMetadata?: Record<string, string>;
  };
  response: { autoConfirmUser: boolean; autoVerifyEmail: boolean; autoVerifyPhone: boolean };
}

export interface PreTokenGenerationEvent extends TriggerEventBase {
  triggerSource:
    | 'TokenGeneration_Authentication'
    | 'TokenGeneration_RefreshTokens'
    | 'TokenGeneration_NewPasswordChallenge'
    | 'TokenGeneration_AuthenticateDevice';
  request: {
    userAttributes: Record<string, string>;
    groupConfiguration: { groupsToOverride: string[]; iamRolesToOverride: string[]; preferredRole: string | null };
    scopes?: string[];
  };
  response: Record<string, null>;
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
  /** The pre sign-up function: it may refuse a sign-up, or confirm and verify it. */
  preSignUp?: (event: PreSignUpEvent) => Promise<unknown>;
  /** The pre token generation function and its event version (V1_0, or V2_0 for access-token claims). */
  preTokenGeneration?: { version: '1' | '2'; invoke: (event: PreTokenGenerationEvent) => Promise<unknown> };
  /** The pool's custom attributes, `custom:<name>`; others are refused as outside the schema. */
  customAttributes?: Record<string, CustomAttribute>;
  /** The pool's groups; group operations refuse others. Absent, any group name is taken. */
  groups?: string[];
  /**
   * The app client's `PreventUserExistenceErrors: ENABLED`: unknown users get
   * the answers known ones would (simulated deliveries, code mismatches,
   * "Incorrect username or password."). Absent, Cognito's LEGACY behaviour:
   * UserNotFoundException.
   */
  preventUserExistenceErrors?: boolean;
  /** `UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate`: the old value stays until the code. */
  verifyBeforeUpdate?: string[];
  /** One line per code sent and per refused or unimplemented request. */
  log?: (line: string) => void;
  /** The clock lockouts, codes and challenges are timed by. */
  now?: () => number;
}

interface PendingChallenge {
  username: string;
  kind: 'PASSWORD_VERIFIER' | 'SOFTWARE_TOKEN_MFA' | 'NEW_PASSWORD_REQUIRED';
  A?: string;
  b?: string;
  B?: string;
  secretBlock?: string;
  expiresAt: number;
  /** Wrong TOTP codes so far in this session. */
  tries?: number;
}

type Json = Record<string, unknown>;

const CODE_TTL_MS = 24 * 3600 * 1000;
const CHALLENGE_TTL_MS = 3 * 60 * 1000;
const MFA_TRIES = 3;
/** Expired challenges are swept once this many are kept; past the cap, new sign-ins wait. */
const SWEEP_AT = 1000;
const MAX_CHALLENGES = 100_000;
const DEFAULT_TEMPORARY_PASSWORD_DAYS = 7;
const SYMBOLS = /[\^$*.[\]{}()?"!@#%&/\\,><':;|_~`=+-]/;

const PURPOSE_TEXT: Record<CodePurpose, { kind: string; why: string }> = {
  signup: { kind: 'verification', why: 'sign-up confirmation' },
  reset: { kind: 'password-reset', why: 'password reset' },
  email: { kind: 'attribute-verification', why: 'email verification' },
};

const CODE_MISMATCH = () =>
  new CognitoError('CodeMismatchException', 'Invalid verification code provided, please try again.');
const INCORRECT = () => new CognitoError('NotAuthorizedException', 'Incorrect username or password.');
const ATTEMPT_LIMIT = () =>
  new CognitoError('LimitExceededException', 'Attempt limit exceeded, please try after some time.');

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
/** A member the wire check let through as a string; a handler still states that it needs it. */
const str = (value: unknown, name: string): string => {
  if (typeof value !== 'string' || value.length === 0) {
    throw new CognitoError('InvalidParameterException', `Missing required parameter ${name}`);
  }
  return value;
};
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const stringMap = (value: unknown): Record<string, string> => {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
};
const attributeList = (value: unknown): Array<{ Name: string; Value: string }> =>
  (Array.isArray(value) ? value : []).flatMap((a) =>
    typeof a === 'object' && a !== null && typeof a.Name === 'string'
      ? [{ Name: a.Name, Value: typeof a.Value === 'string' ? a.Value : '' }]
      : [],
  );

const maskEmail = (email: string): string => `${email[0] ?? ''}***@${email.split('@')[1] ?? '***'}`;

/**
 * The Cognito user-pool API, as the Amplify clients and the AWS SDK speak it
 * (JSON over POST with `X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`):
 * sign-up and confirmation, SRP sign-in, refresh, sign-out, password reset and
 * change, attributes and their verification, TOTP MFA, and the admin
 * operations. The server in front of it authenticates the admin operations
 * (SigV4 and IAM) before they reach `handle`.
 */
export class CognitoUserPool {
  private readonly challenges = new Map<string, PendingChallenge>();
  /** Makes the simulated salt and user id of an unknown user the same on every attempt, as Cognito does. */
  private readonly fakeSecret = randomBytes(32);
  private readonly now: () => number;
  readonly poolName: string;

  constructor(private readonly options: CognitoOptions) {
    this.poolName = options.userPoolId.split('_')[1] ?? options.userPoolId;
    this.now = options.now ?? Date.now;
  }

  /** The policy the next sign-up, password change or reset is checked against (a hot reload sets it). */
  setPasswordPolicy(policy: PasswordPolicy): void {
    this.options.passwordPolicy = policy;
  }

  /** The groups the group operations accept (a hot reload sets them). */
  setGroups(groups: string[]): void {
    this.options.groups = groups;
  }

  /** The app client's existence-error setting and the pool's verify-before-update attributes (a hot reload sets them). */
  setClientSettings(settings: Pick<CognitoOptions, 'preventUserExistenceErrors' | 'verifyBeforeUpdate'>): void {
    this.options.preventUserExistenceErrors = settings.preventUserExistenceErrors;
    this.options.verifyBeforeUpdate = settings.verifyBeforeUpdate;
  }

  /** Answers one operation; a body of the wrong shape gets Cognito's validation errors first. */
  async handle(operation: string, rawBody: Json): Promise<Json> {
    const body = validateRequest(operation, rawBody);
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
      case 'ChangePassword':
        return this.changePassword(body);
      case 'DeleteUser':
        return this.deleteUser(body);
      case 'UpdateUserAttributes':
        return this.updateUserAttributes(body);
      case 'VerifyUserAttribute':
        return this.verifyUserAttribute(body);
      case 'GetUserAttributeVerificationCode':
        return this.getUserAttributeVerificationCode(body);
      case 'AdminAddUserToGroup':
        this.checkPool(body);
        this.addToGroup(str(body.Username, 'Username'), str(body.GroupName, 'GroupName'));
        return {};
      case 'AdminRemoveUserFromGroup':
        return this.adminRemoveUserFromGroup(body);
      case 'ListUsers':
        return this.listUsers(body);
      case 'ListUsersInGroup':
        return this.listUsersInGroup(body);
      case 'AdminCreateUser':
        return this.adminCreateUser(body);
      case 'AdminConfirmSignUp':
        return this.adminConfirmSignUp(body);
      case 'AdminGetUser':
        return this.adminGetUser(body);
      case 'AdminDeleteUser':
        return this.adminDeleteUser(body);
      case 'AdminDisableUser':
        return this.adminSetEnabled(body, false);
      case 'AdminEnableUser':
        return this.adminSetEnabled(body, true);
      case 'AdminSetUserPassword':
        return this.adminSetUserPassword(body);
      case 'AdminResetUserPassword':
        return this.adminResetUserPassword(body);
      case 'AdminUpdateUserAttributes':
        return this.adminUpdateUserAttributes(body);
      case 'AdminUserGlobalSignOut': {
        const { username } = this.adminUser(body);
        this.options.users.revoke((s) => s.username === username);
        return {};
      }
      case 'AdminListGroupsForUser':
        return this.adminListGroupsForUser(body);
      case 'ListGroups':
        return this.listGroups(body);
      default:
        this.options.log?.(`user pool: ${operation} is not implemented locally`);
        throw new CognitoError('UnknownOperationException', `The local user pool does not implement ${operation}.`);
    }
  }

  /**
   * Tokens for a user without a password, as if they had just signed in (a
   * refresh-token session is kept, so sign-out and disabling end it): the
   * local console's "signed in as". Cognito has no such operation; only local
   * admin tools reach this, in process.
   */
  async signInAs(login: string): Promise<Json> {
    const user = this.options.users.find(login);
    if (!user) throw new CognitoError('UserNotFoundException', 'User does not exist.');
    if (user.enabled === false) throw new CognitoError('NotAuthorizedException', 'User is disabled.');
    if (user.status !== 'CONFIRMED') throw new CognitoError('UserNotConfirmedException', 'User is not confirmed.');
    return this.signedIn(user, this.options.clientId);
  }

  /** Adds a user to a group (the local admin command; Cognito's AdminAddUserToGroup). */
  addToGroup(login: string, group: string): void {
    const user = this.options.users.find(login);
    if (!user) throw new CognitoError('UserNotFoundException', 'User does not exist.');
    this.checkGroup(group);
    this.options.users.update(user, (u) => {
      if (!u.groups.includes(group)) u.groups.push(group);
    });
  }

  private checkGroup(group: string): void {
    if (this.options.groups && !this.options.groups.includes(group))
      throw new CognitoError('ResourceNotFoundException', 'Group not found.');
  }

  private checkClient(body: Json): string {
    const clientId = str(body.ClientId, 'ClientId');
    if (clientId !== this.options.clientId) {
      throw new CognitoError('ResourceNotFoundException', `User pool client ${clientId} does not exist.`);
    }
    return clientId;
  }

  private checkPool(body: Json): void {
    const poolId = str(body.UserPoolId, 'UserPoolId');
    if (poolId !== this.options.userPoolId)
      throw new CognitoError('ResourceNotFoundException', `User pool ${poolId} does not exist.`);
  }

  /** A user named in an admin request (by username or email alias). */
  private adminUser(body: Json): LocalUser {
    this.checkPool(body);
    const user = this.options.users.find(str(body.Username, 'Username'));
    if (!user) throw new CognitoError('UserNotFoundException', 'User does not exist.');
    return user;
  }

  /** The user a public request names, or what Cognito says when there is none. */
  private knownUser(login: string): LocalUser | undefined {
    const user = this.options.users.find(login);
    if (!user && !this.options.preventUserExistenceErrors)
      throw new CognitoError('UserNotFoundException', 'Username/client id combination not found.');
    return user;
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

  private touch(user: LocalUser, change: (u: LocalUser) => void): void {
    this.options.users.update(user, (u) => {
      change(u);
      u.updatedAt = new Date(this.now()).toISOString();
    });
  }

  private sendCode(user: LocalUser, purpose: CodePurpose, to: string = user.email): Json {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    this.options.users.update(user, (u) => {
      u.codes[purpose] = { code, expiresAt: this.now() + CODE_TTL_MS };
    });
    const { kind, why } = PURPOSE_TEXT[purpose];
    this.options.outbox.add({
      channel: 'email',
      to,
      kind,
      code,
      body: { subject: 'Your verification code', text: `Your verification code is ${code}` },
    });
    this.options.log?.(`code ${code} sent to ${to} (${why})`);
    return { Destination: maskEmail(to), DeliveryMedium: 'EMAIL', AttributeName: 'email' };
  }

  /** What Cognito answers for an unknown user with existence errors prevented: a delivery that never happens. */
  private simulatedDelivery(login: string): Json {
    return {
      Destination: maskEmail(EMAIL.test(login) ? login : 'u@***'),
      DeliveryMedium: 'EMAIL',
      AttributeName: 'email',
    };
  }

  /** Checks a code; wrong ones count towards the attempt limit, which outlasts a resent code. */
  private takeCode(user: LocalUser, purpose: CodePurpose, code: unknown): void {
    const now = this.now();
    if (isLocked(user.codeAttempts?.[purpose], now)) throw ATTEMPT_LIMIT();
    const sent = user.codes[purpose];
    if (!sent || sent.code !== code) {
      this.options.users.update(user, (u) => {
        u.codeAttempts = { ...u.codeAttempts, [purpose]: afterFailure(u.codeAttempts?.[purpose], now, CODE_ATTEMPTS) };
      });
      throw CODE_MISMATCH();
    }
    if (sent.expiresAt < now) {
      throw new CognitoError('ExpiredCodeException', 'Invalid code provided, please request a code again.');
    }
    this.options.users.update(user, (u) => {
      delete u.codes[purpose];
      if (u.codeAttempts) delete u.codeAttempts[purpose];
    });
  }

  private failedSignIn(user: LocalUser): void {
    const now = this.now();
    this.options.users.update(user, (u) => {
      u.signInAttempts = afterFailure(u.signInAttempts, now, SIGN_IN_LOCKOUT);
    });
  }

  private triggerBase(user: LocalUser, clientId: string, version = '1'): TriggerEventBase {
    return {
      version,
      region: this.options.userPoolId.split('_')[0] ?? 'local',
      userPoolId: this.options.userPoolId,
      userName: user.username,
      callerContext: { awsSdkVersion: 'local', clientId },
    };
  }

  private triggerAttributes(user: LocalUser): Record<string, string> {
    return {
      ...user.attributes,
      sub: user.sub,
      email: user.email,
      email_verified: String(user.emailVerified),
      'cognito:user_status': user.status,
    };
  }

  /** Runs a trigger; a failure or an answer that is no event refuses the request as Cognito does. */
  private async runTrigger<E>(name: string, invoke: (event: E) => Promise<unknown>, event: E): Promise<unknown> {
    let answer: unknown;
    try {
      answer = await invoke(event);
    } catch (error) {
      throw new CognitoError(
        'UserLambdaValidationException',
        `${name} failed with error ${error instanceof Error ? error.message : String(error)}.`,
      );
    }
    if (typeof answer !== 'object' || answer === null)
      throw new CognitoError('InvalidLambdaResponseException', `Invalid lambda function output : ${name}.`);
    return answer;
  }

  /** The pre sign-up trigger's answer: whether to confirm the user and verify the email. */
  private async runPreSignUp(
    user: LocalUser,
    clientId: string,
    body: Json,
  ): Promise<{ autoConfirmUser: boolean; autoVerifyEmail: boolean }> {
    const invoke = this.options.preSignUp;
    if (!invoke) return { autoConfirmUser: false, autoVerifyEmail: false };
    const validation = attributeList(body.ValidationData);
    const answer = await this.runTrigger('PreSignUp', invoke, {
      ...this.triggerBase(user, clientId),
      triggerSource: 'PreSignUp_SignUp',
      request: {
        userAttributes: { ...user.attributes, email: user.email },
        validationData: validation.length > 0 ? Object.fromEntries(validation.map((a) => [a.Name, a.Value])) : null,
        ...(isObject(body.ClientMetadata) ? { clientMetadata: stringMap(body.ClientMetadata) } : {}),
      },
      response: { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false },
    } satisfies PreSignUpEvent);
    const response = isObject(answer) && isObject(answer.response) ? answer.response : {};
    const autoConfirmUser = response.autoConfirmUser === true;
    // Cognito verifies the email on its own word only together with a confirmation.
    return { autoConfirmUser, autoVerifyEmail: response.autoVerifyEmail === true };
  }

  /** What the pre token generation trigger adds to, removes from and overrides in the tokens. */
  private async tokenOverrides(
    user: LocalUser,
    clientId: string,
    triggerSource: PreTokenGenerationEvent['triggerSource'],
  ): Promise<TokenOverrides | undefined> {
    const trigger = this.options.preTokenGeneration;
    if (!trigger) return undefined;
    const event: PreTokenGenerationEvent = {
      ...this.triggerBase(user, clientId, trigger.version),
      triggerSource,
      request: {
        userAttributes: this.triggerAttributes(user),
        groupConfiguration: { groupsToOverride: [...user.groups], iamRolesToOverride: [], preferredRole: null },
        ...(trigger.version === '2' ? { scopes: ['aws.cognito.signin.user.admin'] } : {}),
      },
      response: trigger.version === '2' ? { claimsAndScopeOverrideDetails: null } : { claimsOverrideDetails: null },
    };
    const answer = await this.runTrigger('PreTokenGeneration', trigger.invoke, event);
    const response = isObject(answer) && isObject(answer.response) ? answer.response : {};
    const claimMap = (value: unknown): Record<string, unknown> => (isObject(value) ? value : {});
    const names = (value: unknown): string[] =>
      Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
    const groupsOf = (details: unknown): string[] | undefined =>
      isObject(details) && Array.isArray(details.groupsToOverride) ? names(details.groupsToOverride) : undefined;
    if (trigger.version === '2') {
      const details = isObject(response.claimsAndScopeOverrideDetails) ? response.claimsAndScopeOverrideDetails : {};
      const id = isObject(details.idTokenGeneration) ? details.idTokenGeneration : {};
      const access = isObject(details.accessTokenGeneration) ? details.accessTokenGeneration : {};
      return {
        id: { add: claimMap(id.claimsToAddOrOverride), suppress: names(id.claimsToSuppress) },
        access: { add: claimMap(access.claimsToAddOrOverride), suppress: names(access.claimsToSuppress) },
        scopesToAdd: names(access.scopesToAdd),
        scopesToSuppress: names(access.scopesToSuppress),
        groups: groupsOf(details.groupOverrideDetails),
      };
    }
    const details = isObject(response.claimsOverrideDetails) ? response.claimsOverrideDetails : {};
    return {
      id: { add: claimMap(details.claimsToAddOrOverride), suppress: names(details.claimsToSuppress) },
      groups: groupsOf(details.groupOverrideDetails),
    };
  }

  private async runPostConfirmation(user: LocalUser, clientId: string): Promise<void> {
    if (!this.options.postConfirmation) return;
    try {
      await this.options.postConfirmation({
        version: '1',
        region: this.options.userPoolId.split('_')[0] ?? 'local',
        userPoolId: this.options.userPoolId,
        userName: user.username,
        triggerSource: 'PostConfirmation_ConfirmSignUp',
        callerContext: { awsSdkVersion: 'local', clientId },
        request: { userAttributes: { ...this.triggerAttributes(user), 'cognito:user_status': 'CONFIRMED' } },
        response: {},
      });
    } catch (error) {
      throw new CognitoError(
        'UserLambdaValidationException',
        `PostConfirmation failed with error ${error instanceof Error ? error.message : String(error)}.`,
      );
    }
  }

  private newUser(email: string, password: string, status: UserStatus, attributes: Record<string, string>): LocalUser {
    const sub = randomUUID();
    const at = new Date(this.now()).toISOString();
    return {
      username: sub,
      sub,
      email,
      emailVerified: false,
      status,
      verifier: createVerifier(this.poolName, sub, password),
      groups: [],
      codes: {},
      createdAt: at,
      updatedAt: at,
      enabled: true,
      ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
    };
  }

  private async signUp(body: Json): Promise<Json> {
    const clientId = this.checkClient(body);
    const login = str(body.Username, 'Username');
    const password = str(body.Password, 'Password');
    const { standard, email: emailAttribute } = attributeChanges(
      attributeList(body.UserAttributes),
      'user',
      this.options.customAttributes,
      true,
    );
    const email = emailAttribute ?? login.toLowerCase();
    if (!EMAIL.test(email)) {
      throw new CognitoError('InvalidParameterException', 'Invalid email address format.');
    }
    if (this.options.users.find(email)) {
      throw new CognitoError('UsernameExistsException', 'An account with the given email already exists.');
    }
    this.checkPassword(password);
    const user = this.newUser(email, password, 'UNCONFIRMED', standard);
    // The trigger runs before the user exists: a refusal leaves nothing behind.
    const { autoConfirmUser, autoVerifyEmail } = await this.runPreSignUp(user, clientId, body);
    if (autoConfirmUser) {
      user.status = 'CONFIRMED';
      user.emailVerified = autoVerifyEmail;
      this.options.users.add(user);
      // An auto-confirmed user reaches the post confirmation trigger at sign-up.
      await this.runPostConfirmation(user, clientId);
      return { UserConfirmed: true, UserSub: user.sub };
    }
    this.options.users.add(user);
    const delivery = this.sendCode(user, 'signup');
    return { UserConfirmed: false, UserSub: user.sub, CodeDeliveryDetails: delivery };
  }

  private async confirmSignUp(body: Json): Promise<Json> {
    const clientId = this.checkClient(body);
    const user = this.knownUser(str(body.Username, 'Username'));
    if (!user) throw CODE_MISMATCH();
    if (user.status !== 'UNCONFIRMED') {
      throw new CognitoError('NotAuthorizedException', `User cannot be confirmed. Current status is ${user.status}`);
    }
    this.takeCode(user, 'signup', body.ConfirmationCode);
    this.touch(user, (u) => {
      u.status = 'CONFIRMED';
      u.emailVerified = true;
    });
    await this.runPostConfirmation(user, clientId);
    return {};
  }

  private async resendConfirmationCode(body: Json): Promise<Json> {
    this.checkClient(body);
    const login = str(body.Username, 'Username');
    const user = this.knownUser(login);
    if (!user) return { CodeDeliveryDetails: this.simulatedDelivery(login) };
    if (user.status !== 'UNCONFIRMED')
      throw new CognitoError('InvalidParameterException', 'User is already confirmed.');
    return { CodeDeliveryDetails: this.sendCode(user, 'signup') };
  }

  /** The salt and user id Cognito simulates for an unknown user name: the same on every attempt. */
  private simulatedUser(login: string): { userId: string; salt: string } {
    const digest = createHmac('sha256', this.fakeSecret).update(login.toLowerCase()).digest('hex');
    const userId = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-4${digest.slice(13, 16)}-a${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
    return { userId, salt: digest.slice(32, 64) };
  }

  private async initiateAuth(body: Json): Promise<Json> {
    const clientId = this.checkClient(body);
    const params = stringMap(body.AuthParameters);
    if (body.AuthFlow === 'USER_SRP_AUTH') {
      const login = str(params.USERNAME, 'USERNAME');
      const A = str(params.SRP_A, 'SRP_A');
      if (!/^[0-9a-f]{1,1024}$/i.test(A)) throw new CognitoError('InvalidParameterException', 'SRP_A is not valid.');
      const user = this.options.users.find(login);
      if (!user && !this.options.preventUserExistenceErrors)
        throw new CognitoError('UserNotFoundException', 'User does not exist.');
      // An unknown user gets a challenge like any other and fails at the proof: no user enumeration.
      const simulated = this.simulatedUser(login);
      const verifier = user?.verifier ?? createVerifier(this.poolName, simulated.userId, randomUUID(), simulated.salt);
      const { b, B } = createServerEphemeral(verifier);
      const secretBlock = randomBytes(64).toString('base64');
      const session = randomBytes(48).toString('base64url');
      const userId = user?.username ?? simulated.userId;
      this.remember(session, {
        username: userId,
        kind: 'PASSWORD_VERIFIER',
        A,
        b,
        B,
        secretBlock,
        expiresAt: this.now() + CHALLENGE_TTL_MS,
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
    if (user.enabled === false) throw new CognitoError('NotAuthorizedException', 'User is disabled.');
    // The new tokens keep the sign-in's origin_jti, so revoking the refresh token revokes them too.
    const overrides = await this.tokenOverrides(user, clientId, 'TokenGeneration_RefreshTokens');
    const { originJti: _, ...tokens } = await this.options.tokens.issue(
      user,
      clientId,
      session.authTime,
      session.originJti,
      { scope: session.scope },
      overrides,
    );
    return { AuthenticationResult: tokens };
  }

  private newSession(pending: PendingChallenge): string {
    const session = randomBytes(48).toString('base64url');
    this.remember(session, pending);
    return session;
  }

  /** Keeps a challenge; abandoned ones expire, so the map stays bounded however many sign-ins start. */
  private remember(session: string, pending: PendingChallenge): void {
    if (this.challenges.size >= SWEEP_AT) {
      const now = this.now();
      for (const [id, c] of this.challenges) if (c.expiresAt < now) this.challenges.delete(id);
      if (this.challenges.size >= MAX_CHALLENGES)
        throw new CognitoError('TooManyRequestsException', 'Too many sign-ins in progress; try again later.');
    }
    this.challenges.set(session, pending);
  }

  private async respondToAuthChallenge(body: Json): Promise<Json> {
    const clientId = this.checkClient(body);
    const sessionId = str(body.Session, 'Session');
    const pending = this.challenges.get(sessionId);
    this.challenges.delete(sessionId);
    if (!pending || pending.expiresAt < this.now() || pending.kind !== body.ChallengeName) {
      throw new CognitoError('NotAuthorizedException', 'Invalid session for the user, session is expired.');
    }
    const responses = stringMap(body.ChallengeResponses);
    const user = this.options.users.find(pending.username);
    if (pending.kind === 'PASSWORD_VERIFIER') return this.passwordVerifier(pending, responses, user, clientId);
    if (!user) throw new CognitoError('NotAuthorizedException', 'Invalid session for the user.');
    if (pending.kind === 'NEW_PASSWORD_REQUIRED') {
      const password = str(responses.NEW_PASSWORD, 'NEW_PASSWORD');
      try {
        this.checkPassword(password);
        const { standard } = attributeChanges(
          Object.entries(responses)
            .filter(([key]) => key.startsWith('userAttributes.'))
            .map(([key, Value]) => ({ Name: key.slice('userAttributes.'.length), Value })),
          'user',
          this.options.customAttributes,
        );
        this.touch(user, (u) => {
          u.verifier = createVerifier(this.poolName, u.username, password);
          u.status = 'CONFIRMED';
          delete u.temporaryPasswordExpiresAt;
          if (Object.keys(standard).length > 0) u.attributes = { ...u.attributes, ...standard };
        });
      } catch (error) {
        // A password the policy refuses may be tried again in the same session.
        this.challenges.set(sessionId, pending);
        throw error;
      }
      return this.afterPassword(user, clientId);
    }
    const code = str(responses.SOFTWARE_TOKEN_MFA_CODE, 'SOFTWARE_TOKEN_MFA_CODE');
    if (!user.totp?.enabled || !verifyTotp(user.totp.secret, code)) {
      this.failedSignIn(user);
      const tries = (pending.tries ?? 0) + 1;
      if (tries < MFA_TRIES) this.challenges.set(sessionId, { ...pending, tries });
      throw new CognitoError('CodeMismatchException', 'Invalid code received for user');
    }
    this.options.users.update(user, (u) => {
      delete u.signInAttempts;
    });
    return this.signedIn(user, clientId);
  }

  private async passwordVerifier(
    pending: PendingChallenge,
    responses: Record<string, string>,
    user: LocalUser | undefined,
    clientId: string,
  ): Promise<Json> {
    if (user?.enabled === false) throw new CognitoError('NotAuthorizedException', 'User is disabled.');
    if (user?.status === 'RESET_REQUIRED')
      throw new CognitoError('PasswordResetRequiredException', 'Password reset required for the user');
    if (user && isLocked(user.signInAttempts, this.now()))
      throw new CognitoError('NotAuthorizedException', 'Password attempts exceeded');
    const timestamp = str(responses.TIMESTAMP, 'TIMESTAMP');
    const signature = str(responses.PASSWORD_CLAIM_SIGNATURE, 'PASSWORD_CLAIM_SIGNATURE');
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
        timestamp,
        signature,
      });
    if (!valid || !user) {
      if (user) this.failedSignIn(user);
      throw INCORRECT();
    }
    if (user.status === 'UNCONFIRMED') throw new CognitoError('UserNotConfirmedException', 'User is not confirmed.');
    this.options.users.update(user, (u) => {
      delete u.signInAttempts;
    });
    if (user.status === 'FORCE_CHANGE_PASSWORD') {
      if ((user.temporaryPasswordExpiresAt ?? Number.POSITIVE_INFINITY) < this.now())
        throw new CognitoError(
          'NotAuthorizedException',
          'Temporary password has expired and must be reset by an administrator.',
        );
      const session = this.newSession({
        username: user.username,
        kind: 'NEW_PASSWORD_REQUIRED',
        expiresAt: this.now() + CHALLENGE_TTL_MS,
      });
      const userAttributes = Object.fromEntries(
        attributesOf(user)
          .filter((a) => a.Name !== 'sub')
          .map((a) => [a.Name, a.Value]),
      );
      return {
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        Session: session,
        ChallengeParameters: {
          USER_ID_FOR_SRP: user.username,
          requiredAttributes: '[]',
          userAttributes: JSON.stringify(userAttributes),
        },
      };
    }
    return this.afterPassword(user, clientId);
  }

  /** After a proven password: the MFA challenge if the user has TOTP, else tokens. */
  private async afterPassword(user: LocalUser, clientId: string): Promise<Json> {
    if (user.totp?.enabled) {
      const session = this.newSession({
        username: user.username,
        kind: 'SOFTWARE_TOKEN_MFA',
        expiresAt: this.now() + CHALLENGE_TTL_MS,
      });
      return { ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: session, ChallengeParameters: {} };
    }
    return this.signedIn(user, clientId);
  }

  private async signedIn(
    user: LocalUser,
    clientId: string,
    source: PreTokenGenerationEvent['triggerSource'] = 'TokenGeneration_Authentication',
  ): Promise<Json> {
    const authTime = Math.floor(this.now() / 1000);
    const overrides = await this.tokenOverrides(user, clientId, source);
    const { originJti, ...tokens } = await this.options.tokens.issue(
      user,
      clientId,
      authTime,
      undefined,
      {},
      overrides,
    );
    const RefreshToken = this.options.tokens.newRefreshToken();
    this.options.users.putRefresh(RefreshToken, { username: user.username, clientId, authTime, originJti });
    return { AuthenticationResult: { ...tokens, RefreshToken }, ChallengeParameters: {} };
  }

  /** The user an access token belongs to, after checking its signature, issuer, use, expiry and revocation. */
  private async userOf(accessToken: unknown): Promise<LocalUser> {
    const token = str(accessToken, 'AccessToken');
    let user: LocalUser | undefined;
    try {
      const key = await importJWK(this.options.tokens.jwks().keys[0] ?? {}, 'RS256');
      const { payload } = await jwtVerify(token, key, { issuer: this.options.tokens.issuer, algorithms: ['RS256'] });
      user = typeof payload.username === 'string' ? this.options.users.find(payload.username) : undefined;
      const originJti = typeof payload.origin_jti === 'string' ? payload.origin_jti : '';
      if (payload.token_use !== 'access' || !user || this.options.users.isRevoked(originJti)) user = undefined;
    } catch {
      user = undefined;
    }
    if (!user) throw new CognitoError('NotAuthorizedException', 'Invalid Access Token');
    if (user.enabled === false) throw new CognitoError('NotAuthorizedException', 'User is disabled.');
    return user;
  }

  private async getUser(body: Json): Promise<Json> {
    const user = await this.userOf(body.AccessToken);
    return {
      Username: user.username,
      UserAttributes: attributesOf(user),
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
    const login = str(body.Username, 'Username');
    const user = this.knownUser(login);
    if (!user) return { CodeDeliveryDetails: this.simulatedDelivery(login) };
    if (!user.emailVerified)
      throw new CognitoError(
        'InvalidParameterException',
        'Cannot reset password for the user as there is no registered/verified email or phone_number',
      );
    return { CodeDeliveryDetails: this.sendCode(user, 'reset') };
  }

  private async confirmForgotPassword(body: Json): Promise<Json> {
    this.checkClient(body);
    const user = this.knownUser(str(body.Username, 'Username'));
    if (!user) throw CODE_MISMATCH();
    const password = str(body.Password, 'Password');
    this.checkPassword(password);
    this.takeCode(user, 'reset', body.ConfirmationCode);
    this.touch(user, (u) => {
      u.verifier = createVerifier(this.poolName, u.username, password);
      if (u.status === 'RESET_REQUIRED' || u.status === 'FORCE_CHANGE_PASSWORD') u.status = 'CONFIRMED';
      delete u.temporaryPasswordExpiresAt;
      delete u.signInAttempts;
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
    const settings = typeof body.SoftwareTokenMfaSettings === 'object' ? body.SoftwareTokenMfaSettings : undefined;
    const enabled = settings !== null && settings !== undefined && 'Enabled' in settings && settings.Enabled === true;
    if (enabled && !user.totp?.verified) {
      throw new CognitoError('InvalidParameterException', 'User has not verified software token mfa');
    }
    if (settings)
      this.options.users.update(user, (u) => {
        if (u.totp) u.totp.enabled = enabled;
      });
    return {};
  }

  private async changePassword(body: Json): Promise<Json> {
    const user = await this.userOf(body.AccessToken);
    const previous = str(body.PreviousPassword, 'PreviousPassword');
    const proposed = str(body.ProposedPassword, 'ProposedPassword');
    if (isLocked(user.signInAttempts, this.now())) throw ATTEMPT_LIMIT();
    if (!passwordMatches(this.poolName, user.username, previous, user.verifier)) {
      this.failedSignIn(user);
      throw INCORRECT();
    }
    this.checkPassword(proposed);
    this.touch(user, (u) => {
      u.verifier = createVerifier(this.poolName, u.username, proposed);
      delete u.signInAttempts;
    });
    return {};
  }

  private async deleteUser(body: Json): Promise<Json> {
    const user = await this.userOf(body.AccessToken);
    this.options.users.remove(user);
    this.options.log?.(`user ${user.email} deleted their account`);
    return {};
  }

  /** A new email: kept pending until verified where the pool says so, else in use at once and unverified. */
  private changeEmail(user: LocalUser, email: string): Json | undefined {
    if (email === user.email && !user.pendingEmail) return undefined;
    const owner = this.options.users.find(email);
    if (owner && owner !== user)
      throw new CognitoError('AliasExistsException', 'An account with the given email already exists.');
    if (email === user.email) {
      this.touch(user, (u) => {
        delete u.pendingEmail;
      });
      return undefined;
    }
    if (this.options.verifyBeforeUpdate?.includes('email')) {
      this.touch(user, (u) => {
        u.pendingEmail = email;
      });
    } else {
      this.touch(user, (u) => {
        u.email = email;
        u.emailVerified = false;
      });
    }
    return this.sendCode(user, 'email', email);
  }

  private async updateUserAttributes(body: Json): Promise<Json> {
    const user = await this.userOf(body.AccessToken);
    const { standard, email } = attributeChanges(
      attributeList(body.UserAttributes),
      'user',
      this.options.customAttributes,
    );
    const deliveries: Json[] = [];
    if (email) {
      const delivery = this.changeEmail(user, email);
      if (delivery) deliveries.push(delivery);
    }
    if (Object.keys(standard).length > 0)
      this.touch(user, (u) => {
        u.attributes = { ...u.attributes, ...standard };
      });
    return { CodeDeliveryDetailsList: deliveries };
  }

  private checkVerifiable(name: string): void {
    if (name !== 'email')
      throw new CognitoError('InvalidParameterException', `Attribute ${name} cannot be verified: only email is.`);
  }

  private async verifyUserAttribute(body: Json): Promise<Json> {
    const user = await this.userOf(body.AccessToken);
    this.checkVerifiable(str(body.AttributeName, 'AttributeName'));
    this.takeCode(user, 'email', body.Code);
    const pending = user.pendingEmail;
    if (pending) {
      const owner = this.options.users.find(pending);
      if (owner && owner !== user)
        throw new CognitoError('AliasExistsException', 'An account with the given email already exists.');
    }
    this.touch(user, (u) => {
      if (pending) u.email = pending;
      delete u.pendingEmail;
      u.emailVerified = true;
    });
    return {};
  }

  private async getUserAttributeVerificationCode(body: Json): Promise<Json> {
    const user = await this.userOf(body.AccessToken);
    this.checkVerifiable(str(body.AttributeName, 'AttributeName'));
    return { CodeDeliveryDetails: this.sendCode(user, 'email', user.pendingEmail ?? user.email) };
  }

  private adminRemoveUserFromGroup(body: Json): Json {
    const user = this.adminUser(body);
    const group = str(body.GroupName, 'GroupName');
    this.checkGroup(group);
    this.options.users.update(user, (u) => {
      u.groups = u.groups.filter((g) => g !== group);
    });
    return {};
  }

  private listUsers(body: Json): Json {
    this.checkPool(body);
    const only = Array.isArray(body.AttributesToGet)
      ? body.AttributesToGet.filter((a): a is string => typeof a === 'string')
      : undefined;
    const unknown = only?.find((a) => !REPORTED_ATTRIBUTES.has(a) && !this.options.customAttributes?.[a]);
    if (unknown)
      throw new CognitoError(
        'InvalidParameterException',
        `Invalid attributes given, ${unknown} is not a valid attribute.`,
      );
    const matches = userFilter(text(body.Filter));
    const { page, next } = pageOf(this.options.users.list().filter(matches), body.Limit, body.PaginationToken);
    return { Users: page.map((u) => userType(u, this.now(), only)), ...(next ? { PaginationToken: next } : {}) };
  }

  private listUsersInGroup(body: Json): Json {
    this.checkPool(body);
    const group = str(body.GroupName, 'GroupName');
    this.checkGroup(group);
    const members = this.options.users.list().filter((u) => u.groups.includes(group));
    const { page, next } = pageOf(members, body.Limit, body.NextToken);
    return { Users: page.map((u) => userType(u, this.now())), ...(next ? { NextToken: next } : {}) };
  }

  /** A temporary password that meets the pool's policy. */
  private temporaryPassword(): string {
    const length = Math.max(this.options.passwordPolicy.minimumLength, 12);
    const alphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
    const body = Array.from({ length: length - 4 }, () => alphabet[randomInt(alphabet.length)]).join('');
    return `${body}aA9!`;
  }

  private sendTemporaryPassword(user: LocalUser, password: string): void {
    this.options.outbox.add({
      channel: 'email',
      to: user.email,
      kind: 'temporary-password',
      code: password,
      body: {
        subject: 'Your temporary password',
        text: `Your username is ${user.email} and temporary password is ${password}.`,
      },
    });
    this.options.log?.(`temporary password ${password} sent to ${user.email} (invitation)`);
  }

  private temporaryExpiry(): number {
    const days = this.options.passwordPolicy.temporaryPasswordValidityDays ?? DEFAULT_TEMPORARY_PASSWORD_DAYS;
    return this.now() + days * 24 * 3600 * 1000;
  }

  private adminCreateUser(body: Json): Json {
    this.checkPool(body);
    const login = str(body.Username, 'Username').toLowerCase();
    const action = text(body.MessageAction);
    if (action !== undefined && action !== 'RESEND' && action !== 'SUPPRESS')
      throw new CognitoError(
        'InvalidParameterException',
        `1 validation error detected: Value '${action}' at 'messageAction' failed to satisfy constraint: Member must satisfy enum value set: [RESEND, SUPPRESS]`,
      );
    const {
      standard,
      email: emailAttribute,
      emailVerified,
    } = attributeChanges(attributeList(body.UserAttributes), 'admin', this.options.customAttributes, true);
    if (!EMAIL.test(login)) throw new CognitoError('InvalidParameterException', 'Username should be an email.');
    const password = text(body.TemporaryPassword) ?? this.temporaryPassword();
    this.checkPassword(password);
    const existing = this.options.users.find(login);
    if (action === 'RESEND') {
      if (!existing) throw new CognitoError('UserNotFoundException', 'User does not exist.');
      if (existing.status !== 'FORCE_CHANGE_PASSWORD')
        throw new CognitoError(
          'UnsupportedUserStateException',
          `Resend not possible. ${existing.username} status is not FORCE_CHANGE_PASSWORD`,
        );
      this.touch(existing, (u) => {
        u.verifier = createVerifier(this.poolName, u.username, password);
        u.temporaryPasswordExpiresAt = this.temporaryExpiry();
      });
      this.sendTemporaryPassword(existing, password);
      return { User: userType(existing, this.now()) };
    }
    if (existing) throw new CognitoError('UsernameExistsException', 'User account already exists');
    if (emailAttribute && emailAttribute !== login)
      throw new CognitoError('InvalidParameterException', 'The email attribute must be the username in this pool.');
    const user = this.newUser(login, password, 'FORCE_CHANGE_PASSWORD', standard);
    user.emailVerified = emailVerified === true;
    user.temporaryPasswordExpiresAt = this.temporaryExpiry();
    this.options.users.add(user);
    if (action !== 'SUPPRESS') this.sendTemporaryPassword(user, password);
    return { User: userType(user, this.now()) };
  }

  private async adminConfirmSignUp(body: Json): Promise<Json> {
    const user = this.adminUser(body);
    if (user.status !== 'UNCONFIRMED')
      throw new CognitoError('NotAuthorizedException', `User cannot be confirmed. Current status is ${user.status}`);
    this.touch(user, (u) => {
      u.status = 'CONFIRMED';
      delete u.codes.signup;
    });
    await this.runPostConfirmation(user, this.options.clientId);
    return {};
  }

  private adminGetUser(body: Json): Json {
    const user = this.adminUser(body);
    const { Attributes, ...type } = userType(user, this.now());
    return {
      ...type,
      UserAttributes: Attributes,
      MFAOptions: [],
      ...(user.totp?.enabled ? { PreferredMfaSetting: 'SOFTWARE_TOKEN_MFA' } : {}),
      UserMFASettingList: user.totp?.enabled ? ['SOFTWARE_TOKEN_MFA'] : [],
    };
  }

  private adminDeleteUser(body: Json): Json {
    const user = this.adminUser(body);
    this.options.users.remove(user);
    return {};
  }

  private adminSetEnabled(body: Json, enabled: boolean): Json {
    const user = this.adminUser(body);
    this.touch(user, (u) => {
      u.enabled = enabled;
    });
    // Disabling a user ends their sessions: refresh tokens and the access tokens issued with them.
    if (!enabled) this.options.users.revoke((s) => s.username === user.username);
    return {};
  }

  private adminSetUserPassword(body: Json): Json {
    const user = this.adminUser(body);
    const password = str(body.Password, 'Password');
    this.checkPassword(password);
    const permanent = body.Permanent === true;
    this.touch(user, (u) => {
      u.verifier = createVerifier(this.poolName, u.username, password);
      delete u.signInAttempts;
      if (permanent) {
        u.status = 'CONFIRMED';
        delete u.temporaryPasswordExpiresAt;
      } else {
        u.status = 'FORCE_CHANGE_PASSWORD';
        u.temporaryPasswordExpiresAt = this.temporaryExpiry();
      }
    });
    return {};
  }

  private adminResetUserPassword(body: Json): Json {
    const user = this.adminUser(body);
    if (!user.emailVerified)
      throw new CognitoError(
        'InvalidParameterException',
        'Cannot reset password for the user as there is no registered/verified email or phone_number',
      );
    this.touch(user, (u) => {
      u.status = 'RESET_REQUIRED';
    });
    this.sendCode(user, 'reset');
    return {};
  }

  private adminUpdateUserAttributes(body: Json): Json {
    const user = this.adminUser(body);
    const { standard, email, emailVerified } = attributeChanges(
      attributeList(body.UserAttributes),
      'admin',
      this.options.customAttributes,
    );
    if (email && emailVerified === true) {
      // An administrator who vouches for the new email sets it at once, verified.
      const owner = this.options.users.find(email);
      if (owner && owner !== user)
        throw new CognitoError('AliasExistsException', 'An account with the given email already exists.');
      this.touch(user, (u) => {
        u.email = email;
        delete u.pendingEmail;
      });
    } else if (email) {
      this.changeEmail(user, email);
    }
    this.touch(user, (u) => {
      if (emailVerified !== undefined) u.emailVerified = emailVerified;
      if (Object.keys(standard).length > 0) u.attributes = { ...u.attributes, ...standard };
    });
    return {};
  }

  /** The pool's groups as Cognito's GroupType, with the role and precedence the template gives them. */
  private groupType(name: string): Json {
    const role = this.options.tokens.groupRoles[name];
    const precedence = role?.precedence ?? this.options.groups?.indexOf(name);
    return {
      GroupName: name,
      UserPoolId: this.options.userPoolId,
      ...(precedence !== undefined && precedence >= 0 ? { Precedence: precedence } : {}),
      ...(role ? { RoleArn: role.roleArn } : {}),
    };
  }

  /** A page of group names; the token is the last name of the page before. */
  private groupPage(names: string[], limit: unknown, token: unknown): Json {
    const size = typeof limit === 'number' && limit > 0 ? limit : 60;
    let start = 0;
    if (typeof token === 'string') {
      const after = Buffer.from(token, 'base64url').toString('utf8');
      start = names.indexOf(after) + 1;
      if (start === 0) throw new CognitoError('InvalidParameterException', 'Invalid pagination token.');
    }
    const page = names.slice(start, start + size);
    const last = page.at(-1);
    return {
      Groups: page.map((g) => this.groupType(g)),
      ...(last !== undefined && start + size < names.length
        ? { NextToken: Buffer.from(last).toString('base64url') }
        : {}),
    };
  }

  private adminListGroupsForUser(body: Json): Json {
    const user = this.adminUser(body);
    return this.groupPage([...user.groups], body.Limit, body.NextToken);
  }

  private listGroups(body: Json): Json {
    this.checkPool(body);
    const names = this.options.groups ?? [...new Set(this.options.users.list().flatMap((u) => u.groups))].sort();
    return this.groupPage(names, body.Limit, body.NextToken);
  }
}
