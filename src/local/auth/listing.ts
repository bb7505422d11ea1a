import { CognitoError } from './errors';
import type { LocalUser } from './users';

/** ListUsers and ListUsersInGroup answer at most this many users a page. */
export const MAX_PAGE = 60;

/** ListUsers filters on these (Cognito's searchable attributes). */
const SEARCHABLE = new Set([
  'username',
  'email',
  'phone_number',
  'name',
  'given_name',
  'family_name',
  'preferred_username',
  'cognito:user_status',
  'status',
  'sub',
]);

const searched = (user: LocalUser, name: string): string | undefined => {
  if (name === 'username') return user.username;
  if (name === 'email') return user.email;
  if (name === 'sub') return user.sub;
  if (name === 'cognito:user_status') return user.status;
  if (name === 'status') return user.enabled === false ? 'Disabled' : 'Enabled';
  return user.attributes?.[name];
};

/** ListUsers' filter: `attribute = "value"` (exact) or `attribute ^= "value"` (prefix); empty means all. */
export const userFilter = (filter: string | undefined): ((user: LocalUser) => boolean) => {
  if (filter === undefined || filter.trim() === '') return () => true;
  const match = /^\s*([\w:]+)\s*(\^?=)\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(filter);
  if (!match) throw new CognitoError('InvalidParameterException', 'Error while parsing filter.');
  const [, name = '', operator, quoted = ''] = match;
  if (!SEARCHABLE.has(name)) throw new CognitoError('InvalidParameterException', `Invalid search attribute: ${name}`);
  const wanted = quoted.replace(/\\(.)/g, '$1');
  return (user) => {
    const value = searched(user, name);
    if (value === undefined) return false;
    return operator === '=' ? value === wanted : value.startsWith(wanted);
  };
};

const encodeToken = (user: LocalUser): string =>
  Buffer.from(JSON.stringify([user.createdAt, user.username])).toString('base64url');

const decodeToken = (token: string): { createdAt: string; username: string } => {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && typeof parsed[0] === 'string' && typeof parsed[1] === 'string')
      return { createdAt: parsed[0], username: parsed[1] };
  } catch {
    // falls through to the refusal
  }
  throw new CognitoError('InvalidParameterException', 'Invalid pagination token.');
};

/**
 * One page of users in creation order (the store's order). The token names
 * the last user of the page before; if that user is gone since, the page
 * goes on after its creation time.
 */
export const pageOf = (users: LocalUser[], limit: unknown, token: unknown): { page: LocalUser[]; next?: string } => {
  const size = typeof limit === 'number' && limit > 0 ? Math.min(limit, MAX_PAGE) : MAX_PAGE;
  let start = 0;
  if (typeof token === 'string') {
    const after = decodeToken(token);
    const at = users.findIndex((u) => u.username === after.username);
    start = at >= 0 ? at + 1 : users.findIndex((u) => u.createdAt > after.createdAt);
    if (start < 0) start = users.length;
  }
  const page = users.slice(start, start + size);
  const last = page.at(-1);
  return { page, ...(last && start + size < users.length ? { next: encodeToken(last) } : {}) };
};
