import type { Attempts } from './users';

/** How many failures are free, how long the first lock lasts and how long locks can grow. */
export interface AttemptPolicy {
  freeFailures: number;
  firstLockMs: number;
  maxLockMs: number;
  /** A failure older than this is forgotten. */
  forgetAfterMs: number;
}

/**
 * Cognito's sign-in lockout: after five failed attempts the user is locked
 * out for a second, and each further failure doubles it, up to about 15
 * minutes; attempts during a lock get "Password attempts exceeded".
 */
export const SIGN_IN_LOCKOUT: AttemptPolicy = {
  freeFailures: 5,
  firstLockMs: 1000,
  maxLockMs: 15 * 60 * 1000,
  forgetAfterMs: 15 * 60 * 1000,
};

/** Wrong confirmation, reset and verification codes: five, then "Attempt limit exceeded" for a while. */
export const CODE_ATTEMPTS: AttemptPolicy = {
  freeFailures: 5,
  firstLockMs: 15 * 60 * 1000,
  maxLockMs: 15 * 60 * 1000,
  forgetAfterMs: 15 * 60 * 1000,
};

export const isLocked = (attempts: Attempts | undefined, now: number): boolean =>
  attempts !== undefined && now < attempts.lockedUntil;

/** The attempts after one more failure at `now`. */
export const afterFailure = (attempts: Attempts | undefined, now: number, policy: AttemptPolicy): Attempts => {
  const recent = attempts !== undefined && now - attempts.lastFailureAt < policy.forgetAfterMs;
  const failures = recent ? attempts.failures + 1 : 1;
  const over = failures - policy.freeFailures;
  const lockMs = over < 0 ? 0 : Math.min(policy.firstLockMs * 2 ** over, policy.maxLockMs);
  return { failures, lastFailureAt: now, lockedUntil: lockMs > 0 ? now + lockMs : 0 };
};
