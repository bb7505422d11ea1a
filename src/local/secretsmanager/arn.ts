import { createHash } from 'node:crypto';

/**
 * Secrets Manager names a secret by an ARN that ends in its name, a hyphen
 * and six random characters (`…:secret:db/password-AbC123`), which is why
 * CDK's grants end in `-??????`. Locally the suffix of a secret the template
 * creates or the developer sets is derived from its name, so that the ARN the
 * assembly resolves is the ARN the service answers with, across restarts.
 */

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

const suffixOf = (bytes: Buffer): string =>
  Array.from({ length: 6 }, (_, i) => ALPHABET[(bytes[i] ?? 0) % 62]).join('');

/** The stable six-character suffix of a secret's name. */
export const stableSuffix = (name: string): string => suffixOf(createHash('sha256').update(name).digest());

/** A secret's ARN with the given suffix. */
export const secretArn = (region: string, accountId: string, name: string, suffix = stableSuffix(name)): string =>
  `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${suffix}`;

/** The parts of a (full or partial) secret ARN: the text after `secret:`, or undefined for a plain name. */
export const arnTail = (id: string): string | undefined =>
  /^arn:aws:secretsmanager:[^:]*:[^:]*:secret:(.+)$/.exec(id)?.[1];
