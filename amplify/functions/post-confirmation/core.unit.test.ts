import type { PostConfirmationTriggerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/limits';
import { ValidationError } from '../shared/errors';
import { buildProfile, createsProfile } from './core';

type ConfirmationEvent = Pick<PostConfirmationTriggerEvent, 'userName' | 'request'>;

const confirmation = (
  userAttributes: Record<string, string> = { sub: 'sub-123', email: 'alice@example.com' },
  userName = 'alice',
): ConfirmationEvent => ({ userName, request: { userAttributes } });

const NOW = new Date('2024-03-04T05:06:07.089Z');

/** Whether a string survives a UTF-8 round trip, i.e. has no lone surrogate from a split character. */
const isWholeUtf8 = (value: string): boolean => Buffer.from(value, 'utf8').toString('utf8') === value;

describe('createsProfile', () => {
  it('is true for a confirmed sign-up', () => {
    // Act & Assess
    expect(createsProfile({ triggerSource: 'PostConfirmation_ConfirmSignUp' })).toBe(true);
  });

  it('is false for a confirmed password reset', () => {
    // Act & Assess
    expect(createsProfile({ triggerSource: 'PostConfirmation_ConfirmForgotPassword' })).toBe(false);
  });
});

describe('buildProfile', () => {
  it('builds the profile item with DataStore sync fields', () => {
    // Act
    const profile = buildProfile(confirmation({ sub: 'sub-123', email: 'alice@example.com' }, 'alice-login'), NOW);

    // Assess
    expect(profile).toEqual({
      id: 'sub-123',
      __typename: 'UserProfile',
      owner: 'sub-123::alice-login',
      displayName: 'alice',
      preferences: {},
      appState: {},
      createdAt: '2024-03-04T05:06:07.089Z',
      updatedAt: '2024-03-04T05:06:07.089Z',
      _version: 1,
      _lastChangedAt: NOW.getTime(),
    });
    expect(profile._lastChangedAt).toBe(1709528767089);
  });

  it('prefers preferred_username for the display name', () => {
    // Prepare
    const event = confirmation({ sub: 's', preferred_username: 'Ally', name: 'Alice Liddell', email: 'a@example.com' });

    // Act & Assess
    expect(buildProfile(event, NOW).displayName).toBe('Ally');
  });

  it('falls back to name', () => {
    // Prepare
    const event = confirmation({ sub: 's', name: 'Alice Liddell', email: 'a@example.com' });

    // Act & Assess
    expect(buildProfile(event, NOW).displayName).toBe('Alice Liddell');
  });

  it('falls back to the local part of the email', () => {
    // Prepare
    const event = confirmation({ sub: 's', email: 'alice.liddell+notes@example.com' });

    // Act & Assess
    expect(buildProfile(event, NOW).displayName).toBe('alice.liddell+notes');
  });

  it('uses an empty display name when there is nothing to derive it from', () => {
    // Act & Assess
    expect(buildProfile(confirmation({ sub: 's' }), NOW).displayName).toBe('');
  });

  it('trims the chosen name', () => {
    // Act & Assess
    expect(buildProfile(confirmation({ sub: 's', name: '  Alice  ' }), NOW).displayName).toBe('Alice');
  });

  it(`cuts a long name of accented characters to ${LIMITS.displayNameMax} characters`, () => {
    // Prepare: é, ü and ñ are one UTF-16 unit each but two UTF-8 bytes.
    const name = 'Éüñ'.repeat(50);

    // Act
    const { displayName } = buildProfile(confirmation({ sub: 's', name }), NOW);

    // Assess
    expect(displayName).toBe(name.slice(0, LIMITS.displayNameMax));
    expect(displayName).toHaveLength(LIMITS.displayNameMax);
  });

  it('cuts a long name of emoji so that the data API would accept it, without splitting an emoji', () => {
    // Prepare: the UserProfile model validates displayName with maxLength, which AppSync checks as the
    // UTF-16 length (String.length()); each emoji here is a surrogate pair, two UTF-16 units.
    const name = `A${'😀'.repeat(100)}`;

    // Act
    const { displayName } = buildProfile(confirmation({ sub: 's', preferred_username: name }), NOW);

    // Assess
    expect(displayName.length).toBeLessThanOrEqual(LIMITS.displayNameMax);
    // 'A' plus 39 emoji is 79 units; a 40th emoji would make 81.
    expect(displayName).toBe(`A${'😀'.repeat(39)}`);
    expect(isWholeUtf8(displayName)).toBe(true);
    expect(name.startsWith(displayName)).toBe(true);
  });

  it('keeps a name of exactly the maximum length whole', () => {
    // Prepare
    const name = 'n'.repeat(LIMITS.displayNameMax);

    // Act & Assess
    expect(buildProfile(confirmation({ sub: 's', name }), NOW).displayName).toBe(name);
  });

  it('rejects a user without a sub', () => {
    // Prepare
    const event = confirmation({ email: 'alice@example.com' });

    // Act & Assess
    expect(() => buildProfile(event, NOW)).toThrow(ValidationError);
    expect(() => buildProfile(event, NOW)).toThrow('the confirmed user has no sub attribute');
  });

  it('rejects a user without a username', () => {
    // Prepare
    const event = confirmation({ sub: 'sub-123' }, '');

    // Act & Assess
    expect(() => buildProfile(event, NOW)).toThrow(ValidationError);
    expect(() => buildProfile(event, NOW)).toThrow('the confirmed user has no username');
  });
});
