import type { PostConfirmationTriggerEvent } from 'aws-lambda';
import { LIMITS } from '../../shared/limits';
import { ValidationError } from '../shared/errors';

/** A UserProfile item as the data API stores it, DataStore sync fields included. */
export interface UserProfileItem {
  id: string;
  __typename: 'UserProfile';
  owner: string;
  displayName: string;
  preferences: Record<string, never>;
  appState: Record<string, never>;
  createdAt: string;
  updatedAt: string;
  _version: 1;
  _lastChangedAt: number;
}

/** Only a confirmed sign-up creates a profile; a confirmed password reset does not. */
export const createsProfile = (event: Pick<PostConfirmationTriggerEvent, 'triggerSource'>): boolean =>
  event.triggerSource === 'PostConfirmation_ConfirmSignUp';

const defaultDisplayName = (attributes: Record<string, string | undefined>): string => {
  const chosen = attributes.preferred_username ?? attributes.name ?? attributes.email?.split('@')[0] ?? '';
  // The API's maxLength counts UTF-16 code units; cut there, but never inside a surrogate pair.
  let displayName = '';
  for (const char of chosen.trim()) {
    if (displayName.length + char.length > LIMITS.displayNameMax) break;
    displayName += char;
  }
  return displayName;
};

/**
 * The profile for a newly confirmed user. Its id is the user's sub, so a user
 * has exactly one; its owner is the `<sub>::<username>` identity Gen 2's
 * owner rules compare against.
 */
export const buildProfile = (
  event: Pick<PostConfirmationTriggerEvent, 'userName' | 'request'>,
  now: Date,
): UserProfileItem => {
  const sub = event.request.userAttributes.sub;
  if (!sub) throw new ValidationError('the confirmed user has no sub attribute');
  if (!event.userName) throw new ValidationError('the confirmed user has no username');
  const timestamp = now.toISOString();
  return {
    id: sub,
    __typename: 'UserProfile',
    owner: `${sub}::${event.userName}`,
    displayName: defaultDisplayName(event.request.userAttributes),
    preferences: {},
    appState: {},
    createdAt: timestamp,
    updatedAt: timestamp,
    _version: 1,
    _lastChangedAt: now.getTime(),
  };
};
