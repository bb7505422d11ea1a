import { describe, expect, it } from 'vitest';
import { afterFailure, CODE_ATTEMPTS, isLocked, SIGN_IN_LOCKOUT } from './attempts';
import { pageOf, userFilter } from './listing';
import type { Attempts, LocalUser } from './users';
import { validateRequest } from './wire';

const failures = (n: number, at: number, policy = SIGN_IN_LOCKOUT): Attempts | undefined => {
  let attempts: Attempts | undefined;
  for (let i = 0; i < n; i++) attempts = afterFailure(attempts, at, policy);
  return attempts;
};

describe('sign-in lockout', () => {
  it('is free for 4 failures, locks for 1 s at the 5th and doubles with each one after, up to 15 minutes', () => {
    const t = 1_000_000;
    expect(isLocked(failures(4, t), t)).toBe(false);
    expect(failures(5, t)?.lockedUntil).toBe(t + 1000);
    expect(failures(6, t)?.lockedUntil).toBe(t + 2000);
    expect(failures(8, t)?.lockedUntil).toBe(t + 8000);
    expect(failures(30, t)?.lockedUntil).toBe(t + 15 * 60 * 1000);
    expect(isLocked(failures(5, t), t + 999)).toBe(true);
    expect(isLocked(failures(5, t), t + 1000)).toBe(false);
  });

  it('forgets failures older than 15 minutes', () => {
    const old = failures(4, 0);
    expect(afterFailure(old, 15 * 60 * 1000, SIGN_IN_LOCKOUT)).toEqual({
      failures: 1,
      lastFailureAt: 15 * 60 * 1000,
      lockedUntil: 0,
    });
  });

  it('limits codes to 5 wrong attempts, then refuses for 15 minutes', () => {
    expect(isLocked(failures(4, 0, CODE_ATTEMPTS), 1)).toBe(false);
    expect(failures(5, 0, CODE_ATTEMPTS)?.lockedUntil).toBe(15 * 60 * 1000);
  });
});

const user = (n: number, extra: Partial<LocalUser> = {}): LocalUser => ({
  username: `u${n}`,
  sub: `sub-${n}`,
  email: `user${n}@example.com`,
  emailVerified: true,
  status: 'CONFIRMED',
  verifier: { salt: '00', verifier: '00' },
  groups: [],
  codes: {},
  createdAt: new Date(1_700_000_000_000 + n).toISOString(),
  ...extra,
});

describe('ListUsers filters and pages', () => {
  const users = [
    user(1),
    user(2, { enabled: false }),
    user(3, { status: 'UNCONFIRMED', attributes: { name: 'Ada "the" First' } }),
  ];

  it('matches exactly with = and by prefix with ^=, on the searchable attributes', () => {
    expect(users.filter(userFilter('email = "user2@example.com"')).map((u) => u.username)).toEqual(['u2']);
    expect(users.filter(userFilter('email ^= "user"'))).toHaveLength(3);
    expect(users.filter(userFilter('status = "Disabled"')).map((u) => u.username)).toEqual(['u2']);
    expect(users.filter(userFilter('cognito:user_status = "UNCONFIRMED"')).map((u) => u.username)).toEqual(['u3']);
    expect(users.filter(userFilter('name = "Ada \\"the\\" First"')).map((u) => u.username)).toEqual(['u3']);
    expect(users.filter(userFilter(''))).toHaveLength(3);
  });

  it('refuses filters it cannot parse or attributes it cannot search', () => {
    for (const bad of ['email = user1', 'email == "x"', 'email = "x" and name = "y"', 'custom:x = "1"', '"'])
      expect(() => userFilter(bad)).toThrow(expect.objectContaining({ type: 'InvalidParameterException' }));
  });

  it('pages in creation order and goes on after a deleted user', () => {
    const first = pageOf(users, 2, undefined);
    expect(first.page.map((u) => u.username)).toEqual(['u1', 'u2']);
    expect(pageOf(users, 2, first.next).page.map((u) => u.username)).toEqual(['u3']);
    expect(pageOf(users, 2, first.next).next).toBeUndefined();
    const withoutU2 = users.filter((u) => u.username !== 'u2');
    expect(pageOf(withoutU2, 2, first.next).page.map((u) => u.username)).toEqual(['u3']);
    expect(() => pageOf(users, 2, 'garbage')).toThrow(expect.objectContaining({ type: 'InvalidParameterException' }));
  });
});

describe('request members', () => {
  it('answers a wrong type with SerializationException and a missing member as Cognito words it', () => {
    expect(() => validateRequest('SignUp', { ClientId: 5, Username: 'a' })).toThrow(
      expect.objectContaining({ type: 'SerializationException' }),
    );
    expect(() => validateRequest('AdminGetUser', { UserPoolId: 'us-east-1_X' })).toThrow(
      expect.objectContaining({
        type: 'InvalidParameterException',
        message:
          "1 validation error detected: Value null at 'username' failed to satisfy constraint: Member must not be null",
      }),
    );
    expect(() => validateRequest('ListUsers', { UserPoolId: 'us-east-1_X', Limit: 61 })).toThrow(
      expect.objectContaining({ type: 'InvalidParameterException' }),
    );
  });

  it('takes null as absent and keeps members it does not know', () => {
    expect(validateRequest('GetUser', { AccessToken: 'x', Extra: 1, ClientMetadata: null })).toEqual({
      AccessToken: 'x',
      Extra: 1,
    });
  });
});
