/**
 * IAM policy evaluation for one principal's identity-based policies, as AWS
 * evaluates them for a request: an explicit Deny wins, then any Allow, and
 * otherwise the request is implicitly denied. Supports what the synthesized
 * templates use: Action/NotAction and Resource/NotResource with `*` and `?`
 * wildcards, policy variables (`${cognito-identity.amazonaws.com:sub}`), and
 * the String conditions with their IfExists forms.
 */

export interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

export interface AuthorizationRequest {
  /** `s3:GetObject` */
  action: string;
  /** `arn:aws:s3:::bucket/media/us-east-1:abc/photo.jpg` */
  resource: string;
  /** Request context keys, e.g. `cognito-identity.amazonaws.com:sub` and `s3:prefix`. */
  context: Record<string, string | undefined>;
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

const list = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * A pattern as a regular expression: `*` matches any run of characters and
 * `?` any one; `${key}` is the request's value for that key, taken
 * literally; `${*}`, `${?}` and `${$}` are those characters. Undefined when a
 * variable has no value: the pattern then matches nothing, as in IAM.
 */
export const patternRegex = (
  pattern: string,
  context: AuthorizationRequest['context'] = {},
  ignoreCase = false,
): RegExp | undefined => {
  let source = '';
  let missing = false;
  for (const [, variable, char] of pattern.matchAll(/\$\{([^}]+)\}|([\s\S])/g)) {
    if (variable !== undefined) {
      const value = variable === '*' || variable === '?' || variable === '$' ? variable : context[variable];
      if (value === undefined) missing = true;
      source += escapeRegex(value ?? '');
    } else if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += escapeRegex(char ?? '');
  }
  return missing ? undefined : new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
};

const matches = (pattern: string, value: string, context: AuthorizationRequest['context'], ignoreCase = false) =>
  patternRegex(pattern, context, ignoreCase)?.test(value) === true;

/** A string with its policy variables replaced, for the exact-match operators. */
const substitute = (template: string, context: AuthorizationRequest['context']): string | undefined => {
  let missing = false;
  const replaced = template.replace(/\$\{([^}]+)\}/g, (_, key: string) => {
    const value = key === '*' || key === '?' || key === '$' ? key : context[key];
    if (value === undefined) missing = true;
    return value ?? '';
  });
  return missing ? undefined : replaced;
};

type Context = AuthorizationRequest['context'];
/** Whether one expected value (with its variables) matches the actual value. */
const STRING_OPERATORS: Record<string, (expected: string, actual: string, context: Context) => boolean> = {
  StringEquals: (e, a, c) => substitute(e, c) === a,
  StringNotEquals: (e, a, c) => substitute(e, c) !== a,
  StringEqualsIgnoreCase: (e, a, c) => substitute(e, c)?.toLowerCase() === a.toLowerCase(),
  StringNotEqualsIgnoreCase: (e, a, c) => substitute(e, c)?.toLowerCase() !== a.toLowerCase(),
  StringLike: (e, a, c) => matches(e, a, c),
  StringNotLike: (e, a, c) => !matches(e, a, c),
};

const conditionHolds = (condition: PolicyStatement['Condition'], context: AuthorizationRequest['context']): boolean => {
  for (const [operatorName, entries] of Object.entries(condition ?? {})) {
    const ifExists = operatorName.endsWith('IfExists');
    const name = ifExists ? operatorName.slice(0, -'IfExists'.length) : operatorName;
    const operator = STRING_OPERATORS[name];
    if (!operator) throw new PolicyError(`Condition operator ${operatorName} is not supported locally.`);
    const negated = name.includes('Not');
    for (const [key, expected] of Object.entries(entries)) {
      const actual = context[key];
      if (actual === undefined) {
        if (ifExists) continue;
        return false;
      }
      const values = list(expected);
      // Positive operators hold when any value matches; negated ones when no value matches.
      const holds = negated
        ? values.every((e) => operator(e, actual, context))
        : values.some((e) => operator(e, actual, context));
      if (!holds) return false;
    }
  }
  return true;
};

const statementApplies = (statement: PolicyStatement, request: AuthorizationRequest): boolean => {
  const { action, resource, context } = request;
  const actionMatches = (patterns: string[]) => patterns.some((p) => matches(p, action, {}, true));
  const resourceMatches = (patterns: string[]) => patterns.some((p) => matches(p, resource, context));
  if (statement.Action !== undefined && !actionMatches(list(statement.Action))) return false;
  if (statement.NotAction !== undefined && actionMatches(list(statement.NotAction))) return false;
  if (statement.Resource !== undefined && !resourceMatches(list(statement.Resource))) return false;
  if (statement.NotResource !== undefined && resourceMatches(list(statement.NotResource))) return false;
  return conditionHolds(statement.Condition, context);
};

export class PolicyError extends Error {}

/** The decision IAM reaches for a request under a principal's policies. */
export const evaluate = (policies: PolicyDocument[], request: AuthorizationRequest): Decision => {
  let allowed = false;
  for (const policy of policies) {
    const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
    for (const statement of statements) {
      if (!statementApplies(statement, request)) continue;
      if (statement.Effect === 'Deny') return 'ExplicitDeny';
      if (statement.Effect === 'Allow') allowed = true;
    }
  }
  return allowed ? 'Allow' : 'ImplicitDeny';
};
