import { CognitoError } from './errors';

/** The JSON types of Cognito's request members, as its service model declares them. */
export type FieldType =
  | { kind: 'string'; max?: number; min?: number }
  | { kind: 'boolean' }
  | { kind: 'integer'; min: number; max: number }
  /** A map of strings (AuthParameters, ChallengeResponses, ClientMetadata). */
  | { kind: 'map' }
  /** A list of `{ Name, Value }` (UserAttributes, ValidationData). */
  | { kind: 'attributes' }
  | { kind: 'strings' }
  /** A structure whose members are listed. */
  | { kind: 'object'; fields: Record<string, FieldType> };

export interface Field {
  type: FieldType;
  required?: boolean;
}

const S = (max = 2048, min = 1): FieldType => ({ kind: 'string', max, min });
const req = (type: FieldType): Field => ({ type, required: true });
const opt = (type: FieldType): Field => ({ type });
const TOKEN = S(16_384);
const MAP: FieldType = { kind: 'map' };
const ATTRIBUTES: FieldType = { kind: 'attributes' };
const BOOL: FieldType = { kind: 'boolean' };
const MFA: FieldType = { kind: 'object', fields: { Enabled: BOOL, PreferredMfa: BOOL } };
const ANALYTICS: FieldType = { kind: 'object', fields: { AnalyticsEndpointId: S() } };
const CONTEXT: FieldType = {
  kind: 'object',
  fields: { IpAddress: S(), EncodedData: S(), HttpHeaders: { kind: 'map' } },
};

const client = { ClientId: req(S(128)), SecretHash: opt(S(128)) };
const extras = { AnalyticsMetadata: opt(ANALYTICS), UserContextData: opt(CONTEXT), ClientMetadata: opt(MAP) };
const pool = { UserPoolId: req(S(55)) };
const poolUser = { ...pool, Username: req(S(128)) };

/**
 * The members of each implemented operation, from Cognito's API reference:
 * a request is checked against these before any handler reads it, so a
 * handler sees only the types it expects.
 */
export const OPERATION_FIELDS: Record<string, Record<string, Field>> = {
  SignUp: {
    ...client,
    ...extras,
    Username: req(S(128)),
    Password: opt(S(256)),
    UserAttributes: opt(ATTRIBUTES),
    ValidationData: opt(ATTRIBUTES),
  },
  ConfirmSignUp: {
    ...client,
    ...extras,
    Username: req(S(128)),
    ConfirmationCode: req(S(2048)),
    ForceAliasCreation: opt(BOOL),
    Session: opt(S(2048)),
  },
  ResendConfirmationCode: { ...client, ...extras, Username: req(S(128)) },
  InitiateAuth: { ...client, ...extras, AuthFlow: req(S(64)), AuthParameters: opt(MAP), Session: opt(S(2048)) },
  RespondToAuthChallenge: {
    ...client,
    ...extras,
    ChallengeName: req(S(64)),
    Session: opt(S(2048)),
    ChallengeResponses: opt(MAP),
  },
  GetTokensFromRefreshToken: {
    ClientId: req(S(128)),
    ClientSecret: opt(S(256)),
    RefreshToken: req(TOKEN),
    DeviceKey: opt(S(55)),
    ClientMetadata: opt(MAP),
  },
  GetUser: { AccessToken: req(TOKEN) },
  GlobalSignOut: { AccessToken: req(TOKEN) },
  RevokeToken: { ClientId: req(S(128)), ClientSecret: opt(S(256)), Token: req(TOKEN) },
  ForgotPassword: { ...client, ...extras, Username: req(S(128)) },
  ConfirmForgotPassword: {
    ...client,
    ...extras,
    Username: req(S(128)),
    ConfirmationCode: req(S(2048)),
    Password: req(S(256)),
  },
  AssociateSoftwareToken: { AccessToken: opt(TOKEN), Session: opt(S(2048)) },
  VerifySoftwareToken: {
    AccessToken: opt(TOKEN),
    Session: opt(S(2048)),
    UserCode: req(S(6, 6)),
    FriendlyDeviceName: opt(S(131_072)),
  },
  SetUserMFAPreference: {
    AccessToken: req(TOKEN),
    SMSMfaSettings: opt(MFA),
    SoftwareTokenMfaSettings: opt(MFA),
    EmailMfaSettings: opt(MFA),
  },
  ChangePassword: { AccessToken: req(TOKEN), PreviousPassword: opt(S(256)), ProposedPassword: req(S(256)) },
  DeleteUser: { AccessToken: req(TOKEN) },
  UpdateUserAttributes: { AccessToken: req(TOKEN), UserAttributes: req(ATTRIBUTES), ClientMetadata: opt(MAP) },
  VerifyUserAttribute: { AccessToken: req(TOKEN), AttributeName: req(S(32)), Code: req(S(2048)) },
  GetUserAttributeVerificationCode: { AccessToken: req(TOKEN), AttributeName: req(S(32)), ClientMetadata: opt(MAP) },
  AdminAddUserToGroup: { ...poolUser, GroupName: req(S(128)) },
  AdminRemoveUserFromGroup: { ...poolUser, GroupName: req(S(128)) },
  ListUsers: {
    ...pool,
    AttributesToGet: opt({ kind: 'strings' }),
    Limit: opt({ kind: 'integer', min: 0, max: 60 }),
    PaginationToken: opt(S(4096)),
    Filter: opt(S(256, 0)),
  },
  ListUsersInGroup: {
    ...pool,
    GroupName: req(S(128)),
    Limit: opt({ kind: 'integer', min: 0, max: 60 }),
    NextToken: opt(S(4096)),
  },
  AdminCreateUser: {
    ...poolUser,
    UserAttributes: opt(ATTRIBUTES),
    ValidationData: opt(ATTRIBUTES),
    TemporaryPassword: opt(S(256)),
    ForceAliasCreation: opt(BOOL),
    MessageAction: opt(S(16)),
    DesiredDeliveryMediums: opt({ kind: 'strings' }),
    ClientMetadata: opt(MAP),
  },
  AdminConfirmSignUp: { ...poolUser, ClientMetadata: opt(MAP) },
  AdminGetUser: poolUser,
  AdminDeleteUser: poolUser,
  AdminDisableUser: poolUser,
  AdminEnableUser: poolUser,
  AdminSetUserPassword: { ...poolUser, Password: req(S(256)), Permanent: opt(BOOL) },
  AdminResetUserPassword: { ...poolUser, ClientMetadata: opt(MAP) },
  AdminUpdateUserAttributes: { ...poolUser, UserAttributes: req(ATTRIBUTES), ClientMetadata: opt(MAP) },
  AdminUserGlobalSignOut: poolUser,
  AdminListGroupsForUser: {
    ...poolUser,
    Limit: opt({ kind: 'integer', min: 0, max: 60 }),
    NextToken: opt(S(4096)),
  },
  ListGroups: { ...pool, Limit: opt({ kind: 'integer', min: 0, max: 60 }), NextToken: opt(S(4096)) },
};

const MAX_LIST = 100;

/** Cognito's member names in messages: `userPoolId`, not `UserPoolId`. */
const memberName = (path: string): string =>
  path.replace(/(^|\.)([A-Z])/g, (_, dot: string, c: string) => `${dot}${c.toLowerCase()}`);

const invalid = (message: string): CognitoError =>
  new CognitoError('InvalidParameterException', `1 validation error detected: ${message}`);
const wrongType = (path: string, expected: string): CognitoError =>
  new CognitoError('SerializationException', `Value at '${memberName(path)}' must be ${expected}.`);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const checkString = (value: unknown, path: string, type: { max?: number; min?: number }): void => {
  if (typeof value !== 'string') throw wrongType(path, 'a string');
  const max = type.max ?? 2048;
  if (value.length > max)
    throw invalid(
      `Value at '${memberName(path)}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  const min = type.min ?? 1;
  if (value.length < min)
    throw invalid(
      `Value at '${memberName(path)}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`,
    );
};

const checkValue = (value: unknown, type: FieldType, path: string): void => {
  switch (type.kind) {
    case 'string':
      checkString(value, path, type);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw wrongType(path, 'a boolean');
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType(path, 'an integer');
      if (value < type.min || value > type.max)
        throw invalid(
          `Value '${value}' at '${memberName(path)}' failed to satisfy constraint: Member must have value between ${type.min} and ${type.max}`,
        );
      return;
    case 'map':
      if (!isRecord(value)) throw wrongType(path, 'a map');
      if (Object.keys(value).length > MAX_LIST) throw invalid(`Value at '${memberName(path)}' has too many entries`);
      for (const [key, entry] of Object.entries(value)) checkString(entry, `${path}.${key}`, { max: 131_072, min: 0 });
      return;
    case 'strings':
      if (!Array.isArray(value)) throw wrongType(path, 'a list');
      if (value.length > MAX_LIST) throw invalid(`Value at '${memberName(path)}' has too many entries`);
      for (const [i, entry] of value.entries()) checkString(entry, `${path}.${i + 1}`, { max: 32 });
      return;
    case 'attributes':
      if (!Array.isArray(value)) throw wrongType(path, 'a list');
      if (value.length > MAX_LIST) throw invalid(`Value at '${memberName(path)}' has too many entries`);
      value.forEach((entry, i) => {
        const at = `${path}.${i + 1}`;
        if (!isRecord(entry)) throw wrongType(at, 'a structure');
        if (entry.Name === undefined || entry.Name === null)
          throw invalid(`Value null at '${memberName(at)}.name' failed to satisfy constraint: Member must not be null`);
        checkString(entry.Name, `${at}.Name`, { max: 32 });
        if (entry.Value !== undefined && entry.Value !== null)
          checkString(entry.Value, `${at}.Value`, { max: 2048, min: 0 });
      });
      return;
    case 'object':
      if (!isRecord(value)) throw wrongType(path, 'a structure');
      for (const [name, fieldType] of Object.entries(type.fields)) {
        const member = value[name];
        if (member !== undefined && member !== null) checkValue(member, fieldType, `${path}.${name}`);
      }
      return;
  }
};

/**
 * Checks a request body against the operation's members: a wrong type is a
 * SerializationException, a missing or out-of-range member an
 * InvalidParameterException, as Cognito answers them. Members it does not
 * know are ignored, as Cognito ignores them. JSON `null` counts as absent.
 */
export const validateRequest = (operation: string, body: Record<string, unknown>): Record<string, unknown> => {
  const present = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null));
  const fields = OPERATION_FIELDS[operation];
  if (!fields) return present;
  for (const [name, field] of Object.entries(fields)) {
    const value = body[name];
    if (value === undefined || value === null) {
      if (field.required)
        throw invalid(`Value null at '${memberName(name)}' failed to satisfy constraint: Member must not be null`);
      continue;
    }
    checkValue(value, field.type, name);
  }
  return present;
};
