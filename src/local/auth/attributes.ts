import { CognitoError } from './errors';
import type { LocalUser } from './users';

export const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** The standard attributes a user may set besides email (OpenID Connect's, as Cognito lists them). */
export const STANDARD_ATTRIBUTES = new Set([
  'name',
  'given_name',
  'family_name',
  'middle_name',
  'nickname',
  'preferred_username',
  'profile',
  'picture',
  'website',
  'gender',
  'birthdate',
  'zoneinfo',
  'locale',
  'phone_number',
  'address',
  'updated_at',
]);

/** Every attribute a user record reports. */
export const REPORTED_ATTRIBUTES = new Set(['sub', 'email', 'email_verified', ...STANDARD_ATTRIBUTES]);

export interface Attribute {
  Name: string;
  Value: string;
}

/** The attributes Cognito reports for a user, sub first. */
export const attributesOf = (user: LocalUser): Attribute[] => [
  { Name: 'sub', Value: user.sub },
  { Name: 'email', Value: user.email },
  { Name: 'email_verified', Value: String(user.emailVerified) },
  ...Object.entries(user.attributes ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([Name, Value]) => ({ Name, Value })),
];

const seconds = (iso: string | undefined, fallback: number): number =>
  Math.floor((iso ? Date.parse(iso) : fallback) / 1000);

/** Cognito's UserType, as ListUsers, ListUsersInGroup and AdminCreateUser answer it (dates in epoch seconds). */
export const userType = (user: LocalUser, now: number, only?: string[]): Record<string, unknown> => ({
  Username: user.username,
  Attributes: attributesOf(user).filter((a) => !only || only.includes(a.Name)),
  UserCreateDate: seconds(user.createdAt, now),
  UserLastModifiedDate: seconds(user.updatedAt ?? user.createdAt, now),
  Enabled: user.enabled !== false,
  UserStatus: user.status,
});

/** A custom attribute of the pool's schema (`custom:<name>`). */
export interface CustomAttribute {
  mutable: boolean;
  /** String, Number, DateTime or Boolean. */
  type: string;
  maxLength?: number;
  minLength?: number;
}

/** Checks one custom attribute's value as Cognito does: its schema, mutability and length. */
const checkCustom = (name: string, value: string, schema: CustomAttribute | undefined, creating: boolean): void => {
  if (!schema) throw new CognitoError('InvalidParameterException', `Attribute does not exist in the schema: ${name}`);
  if (!schema.mutable && !creating)
    throw new CognitoError('NotAuthorizedException', `Cannot modify the non-mutable attribute ${name}`);
  if (schema.type === 'Number' && value !== '' && !Number.isFinite(Number(value)))
    throw new CognitoError('InvalidParameterException', `${name}: Number attributes must be numbers.`);
  const max = schema.maxLength ?? 2048;
  if (value.length > max)
    throw new CognitoError(
      'InvalidParameterException',
      `String attributes cannot have a length of more than ${max} (${name}).`,
    );
  if (schema.minLength !== undefined && value.length < schema.minLength)
    throw new CognitoError(
      'InvalidParameterException',
      `String attributes cannot have a length of less than ${schema.minLength} (${name}).`,
    );
};

export interface AttributeChanges {
  standard: Record<string, string>;
  email?: string;
  emailVerified?: boolean;
}

/**
 * Checks the attributes a user or an administrator sets: sub never changes,
 * email_verified only by an administrator, and the pool's schema has only
 * the standard attributes and its custom ones (a non-mutable one only at
 * creation). Returns the standard and custom ones and any new email.
 */
export const attributeChanges = (
  attributes: Attribute[],
  by: 'user' | 'admin',
  custom: Record<string, CustomAttribute> = {},
  creating = false,
): AttributeChanges => {
  const changes: AttributeChanges = { standard: {} };
  for (const { Name, Value } of attributes) {
    if (Name === 'sub')
      throw new CognitoError('InvalidParameterException', 'Cannot modify the non-mutable attribute sub');
    if (Name === 'email') {
      const lower = Value.toLowerCase();
      if (!EMAIL.test(lower)) throw new CognitoError('InvalidParameterException', 'Invalid email address format.');
      changes.email = lower;
    } else if (Name === 'email_verified' && by === 'admin') {
      if (Value !== 'true' && Value !== 'false')
        throw new CognitoError('InvalidParameterException', 'Invalid value for email_verified: use true or false.');
      changes.emailVerified = Value === 'true';
    } else if (STANDARD_ATTRIBUTES.has(Name)) {
      changes.standard[Name] = Value;
    } else if (Name.startsWith('custom:')) {
      checkCustom(Name, Value, custom[Name], creating);
      changes.standard[Name] = Value;
    } else {
      throw new CognitoError(
        'InvalidParameterException',
        Name.endsWith('_verified')
          ? `Cannot modify ${Name}: only an administrator can.`
          : `Attribute does not exist in the schema: ${Name}`,
      );
    }
  }
  return changes;
};
