import { randomInt } from 'node:crypto';

/**
 * Secrets Manager's password generator (GetRandomPassword, and a template's
 * GenerateSecretString): characters from the included types, less the
 * excluded ones, with at least one of each included type unless
 * RequireEachIncludedType is false.
 */

export interface PasswordOptions {
  passwordLength?: number;
  excludeCharacters?: string;
  excludeNumbers?: boolean;
  excludePunctuation?: boolean;
  excludeUppercase?: boolean;
  excludeLowercase?: boolean;
  includeSpace?: boolean;
  requireEachIncludedType?: boolean;
}

export const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

export class PasswordOptionsError extends Error {
  override readonly name = 'PasswordOptionsError';
}

/** A random password, or PasswordOptionsError for options no password satisfies. */
export const randomPassword = (options: PasswordOptions = {}): string => {
  const length = options.passwordLength ?? 32;
  if (!Number.isInteger(length) || length < 1 || length > 4096)
    throw new PasswordOptionsError('PasswordLength must be between 1 and 4096.');
  const excluded = new Set(options.excludeCharacters ?? '');
  const keep = (chars: string) => [...chars].filter((c) => !excluded.has(c)).join('');
  const types = [
    options.excludeLowercase ? '' : keep('abcdefghijklmnopqrstuvwxyz'),
    options.excludeUppercase ? '' : keep('ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
    options.excludeNumbers ? '' : keep('0123456789'),
    options.excludePunctuation ? '' : keep(PUNCTUATION),
    options.includeSpace ? keep(' ') : '',
  ].filter((chars) => chars.length > 0);
  const all = types.join('');
  if (all.length === 0)
    throw new PasswordOptionsError('The options exclude every character: no password can be generated.');
  const require = options.requireEachIncludedType ?? true;
  if (require && types.length > length)
    throw new PasswordOptionsError(
      `PasswordLength ${length} is too short to include one character of each of the ${types.length} included types.`,
    );
  const pick = (chars: string) => chars[randomInt(chars.length)] ?? '';
  const chars = Array.from({ length }, () => pick(all));
  if (require) {
    // One of each type at distinct random places.
    const places = [...chars.keys()];
    for (const type of types) {
      const [place] = places.splice(randomInt(places.length), 1);
      if (place !== undefined) chars[place] = pick(type);
    }
  }
  return chars.join('');
};
