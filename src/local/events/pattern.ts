/**
 * EventBridge event patterns (content filtering): parsed and checked once,
 * as PutRule and TestEventPattern check them, then matched against events.
 * A pattern's leaves are arrays of matchers, any of which may match; an event
 * array matches when any of its elements does; `$or` takes any of its
 * sub-patterns.
 */

/** A pattern EventBridge would refuse (its InvalidEventPatternException). */
export class EventPatternError extends Error {
  override readonly name = 'InvalidEventPatternException';
  constructor(reason: string) {
    super(`Event pattern is not valid. Reason: ${reason}`);
  }
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

type Text = { kind: 'exact' | 'ignore-case'; value: string };
type Matcher =
  | { kind: 'equals'; value: string | number | boolean | null }
  | { kind: 'prefix' | 'suffix'; value: string; ignoreCase: boolean }
  | { kind: 'equals-ignore-case'; value: string }
  | { kind: 'wildcard'; regex: RegExp }
  | { kind: 'numeric'; bounds: Array<{ op: string; value: number }> }
  | { kind: 'exists'; value: boolean }
  | { kind: 'cidr'; network: number; mask: number }
  | {
      kind: 'anything-but';
      values?: Array<string | number>;
      text?: Text;
      prefix?: Text;
      suffix?: Text;
      wildcard?: RegExp;
    };

export interface EventPattern {
  fields: Map<string, Matcher[] | EventPattern>;
  or: EventPattern[];
}

const wildcardRegex = (value: unknown): RegExp => {
  if (typeof value !== 'string') throw new EventPatternError('wildcard match pattern must be a string');
  if (value.includes('**'))
    throw new EventPatternError(`Consecutive wildcard characters at pos ${value.indexOf('**')}`);
  const source = value
    .split(/(\\\*|\*)/)
    .map((part) => (part === '*' ? '.*' : part === '\\*' ? '\\*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 's');
};

const textOf = (name: string, value: unknown): Text => {
  if (typeof value === 'string') return { kind: 'exact', value };
  if (isRecord(value) && Object.keys(value).length === 1 && typeof value['equals-ignore-case'] === 'string')
    return { kind: 'ignore-case', value: value['equals-ignore-case'] };
  throw new EventPatternError(`${name} match pattern must be a string`);
};

const NUMERIC_OPS = new Set(['<', '<=', '=', '>', '>=']);
const MAX_NUMBER = 5e9;

const parseNumeric = (value: unknown): Matcher => {
  if (!Array.isArray(value) || value.length === 0 || value.length % 2 !== 0)
    throw new EventPatternError('Value of numeric must be an array of operator and number pairs.');
  const bounds: Array<{ op: string; value: number }> = [];
  for (let i = 0; i < value.length; i += 2) {
    const op = value[i];
    const n = value[i + 1];
    if (typeof op !== 'string' || !NUMERIC_OPS.has(op))
      throw new EventPatternError(`Unrecognized numeric range operator: ${String(op)}`);
    if (typeof n !== 'number' || Math.abs(n) > MAX_NUMBER)
      throw new EventPatternError('Value of numeric must be a number between -5.0E9 and 5.0E9 inclusive');
    bounds.push({ op, value: n });
  }
  const lower = bounds.filter((b) => b.op === '>' || b.op === '>=');
  const upper = bounds.filter((b) => b.op === '<' || b.op === '<=');
  if (lower.length > 1 || upper.length > 1 || (bounds.some((b) => b.op === '=') && bounds.length > 1))
    throw new EventPatternError('Bad numeric range operator');
  if (lower[0] && upper[0] && lower[0].value >= upper[0].value)
    throw new EventPatternError('Bottom must be less than top');
  return { kind: 'numeric', bounds };
};

const parseCidr = (value: unknown): Matcher => {
  const match = typeof value === 'string' ? /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(value) : null;
  const octets = match ? match.slice(1, 5).map(Number) : [];
  const bits = Number(match?.[5]);
  if (!match || octets.some((o) => o > 255) || bits > 32)
    throw new EventPatternError(`Nonstandard IP address: ${String(value)}`);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  const network = octets.reduce((acc, o) => ((acc << 8) | o) >>> 0, 0);
  return { kind: 'cidr', network: (network & mask) >>> 0, mask };
};

const parseAnythingBut = (value: unknown): Matcher => {
  if (typeof value === 'string' || typeof value === 'number') return { kind: 'anything-but', values: [value] };
  if (Array.isArray(value)) {
    if (value.length === 0 || !value.every((v) => typeof v === 'string' || typeof v === 'number'))
      throw new EventPatternError('Inside anything but list, start|null|boolean is not supported.');
    return { kind: 'anything-but', values: value };
  }
  if (isRecord(value) && Object.keys(value).length === 1) {
    const [key = '', inner] = Object.entries(value)[0] ?? [];
    if (key === 'prefix') return { kind: 'anything-but', prefix: textOf('prefix', inner) };
    if (key === 'suffix') return { kind: 'anything-but', suffix: textOf('suffix', inner) };
    if (key === 'wildcard') return { kind: 'anything-but', wildcard: wildcardRegex(inner) };
    if (key === 'equals-ignore-case' && typeof inner === 'string')
      return { kind: 'anything-but', text: { kind: 'ignore-case', value: inner } };
    if (key === 'equals-ignore-case' && Array.isArray(inner) && inner.every((v) => typeof v === 'string'))
      return {
        kind: 'anything-but',
        values: inner.map((v) => v.toLowerCase()),
        text: { kind: 'ignore-case', value: '' },
      };
  }
  throw new EventPatternError('Value of anything-but must be an array or single string/number value.');
};

const parseMatcher = (value: unknown): Matcher => {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return { kind: 'equals', value };
  if (!isRecord(value) || Object.keys(value).length !== 1)
    throw new EventPatternError('Match value must be String, number, true, false, or null');
  const [key = '', inner] = Object.entries(value)[0] ?? [];
  switch (key) {
    case 'prefix':
    case 'suffix': {
      const text = textOf(key, inner);
      if (text.kind === 'exact' && text.value === '' && key === 'suffix')
        return { kind: 'suffix', value: '', ignoreCase: false };
      return { kind: key, value: text.value, ignoreCase: text.kind === 'ignore-case' };
    }
    case 'equals-ignore-case':
      if (typeof inner !== 'string') throw new EventPatternError('equals-ignore-case match pattern must be a string');
      return { kind: 'equals-ignore-case', value: inner };
    case 'wildcard':
      return { kind: 'wildcard', regex: wildcardRegex(inner) };
    case 'numeric':
      return parseNumeric(inner);
    case 'exists':
      if (typeof inner !== 'boolean') throw new EventPatternError('exists match pattern must be either true or false.');
      return { kind: 'exists', value: inner };
    case 'cidr':
      return parseCidr(inner);
    case 'anything-but':
      return parseAnythingBut(inner);
    default:
      throw new EventPatternError(`Unrecognized match type ${key}`);
  }
};

const parseObject = (value: Json): EventPattern => {
  const pattern: EventPattern = { fields: new Map(), or: [] };
  for (const [key, inner] of Object.entries(value)) {
    if (key === '$or') {
      if (!Array.isArray(inner) || inner.length < 2 || !inner.every(isRecord))
        throw new EventPatternError('Value of $or must be an array of at least two objects.');
      pattern.or = inner.map(parseObject);
    } else if (Array.isArray(inner)) {
      if (inner.length === 0) throw new EventPatternError(`Empty arrays are not allowed (field ${key})`);
      pattern.fields.set(key, inner.map(parseMatcher));
    } else if (isRecord(inner)) pattern.fields.set(key, parseObject(inner));
    else throw new EventPatternError(`Match value must be an array or an object (field ${key})`);
  }
  return pattern;
};

/** Parses the JSON text of an EventPattern; throws `EventPatternError` as EventBridge refuses one. */
export const parseEventPattern = (text: unknown): EventPattern => {
  let value: unknown = text;
  if (typeof text === 'string') {
    try {
      value = JSON.parse(text);
    } catch {
      throw new EventPatternError('Filter is not valid JSON.');
    }
  }
  if (!isRecord(value)) throw new EventPatternError('Filter is not an object');
  if (Object.keys(value).length === 0) throw new EventPatternError('Empty objects are not allowed');
  return parseObject(value);
};

const toIpv4 = (value: string): number | undefined => {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(value);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  return octets.some((o) => o > 255) ? undefined : octets.reduce((acc, o) => ((acc << 8) | o) >>> 0, 0);
};

const textMatches = (text: Text, value: string) =>
  text.kind === 'exact' ? value === text.value : value.toLowerCase() === text.value.toLowerCase();

/** One matcher against one present, non-array value. */
const matchesValue = (matcher: Matcher, value: unknown): boolean => {
  switch (matcher.kind) {
    case 'equals':
      return value === matcher.value;
    case 'prefix':
      return (
        typeof value === 'string' &&
        (matcher.ignoreCase
          ? value.toLowerCase().startsWith(matcher.value.toLowerCase())
          : value.startsWith(matcher.value))
      );
    case 'suffix':
      return (
        typeof value === 'string' &&
        (matcher.ignoreCase ? value.toLowerCase().endsWith(matcher.value.toLowerCase()) : value.endsWith(matcher.value))
      );
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === matcher.value.toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && matcher.regex.test(value);
    case 'numeric':
      return (
        typeof value === 'number' &&
        matcher.bounds.every(({ op, value: bound }) =>
          op === '<'
            ? value < bound
            : op === '<='
              ? value <= bound
              : op === '='
                ? value === bound
                : op === '>'
                  ? value > bound
                  : value >= bound,
        )
      );
    case 'cidr': {
      const ip = typeof value === 'string' ? toIpv4(value) : undefined;
      return ip !== undefined && (ip & matcher.mask) >>> 0 === matcher.network;
    }
    case 'exists':
      return matcher.value;
    case 'anything-but': {
      if (matcher.prefix) return typeof value === 'string' && !prefixOf(matcher.prefix, value);
      if (matcher.suffix) return typeof value === 'string' && !suffixOf(matcher.suffix, value);
      if (matcher.wildcard) return typeof value === 'string' && !matcher.wildcard.test(value);
      if (matcher.text?.kind === 'ignore-case')
        return (
          typeof value === 'string' &&
          (matcher.values ? !matcher.values.includes(value.toLowerCase()) : !textMatches(matcher.text, value))
        );
      return (typeof value === 'string' || typeof value === 'number') && !(matcher.values ?? []).includes(value);
    }
  }
};

const prefixOf = (text: Text, value: string) =>
  text.kind === 'exact' ? value.startsWith(text.value) : value.toLowerCase().startsWith(text.value.toLowerCase());
const suffixOf = (text: Text, value: string) =>
  text.kind === 'exact' ? value.endsWith(text.value) : value.toLowerCase().endsWith(text.value.toLowerCase());

/** A leaf's matchers against a field of the event (absent: undefined). */
const leafMatches = (matchers: Matcher[], value: unknown): boolean => {
  if (value === undefined) return matchers.some((m) => m.kind === 'exists' && !m.value);
  // An object is not a leaf value: only `exists: true` says anything of it.
  const values = Array.isArray(value) ? value : [value];
  return matchers.some((matcher) =>
    matcher.kind === 'exists'
      ? matcher.value
      : values.some((v) => !isRecord(v) && !Array.isArray(v) && matchesValue(matcher, v)),
  );
};

/** Whether `event` (an event envelope, or any JSON object) matches the pattern. */
export const matchesPattern = (pattern: EventPattern, event: unknown): boolean => {
  const objects = (Array.isArray(event) ? event : [event]).filter(isRecord);
  const candidates = objects.length > 0 ? objects : [{}];
  return candidates.some((object) => {
    for (const [key, inner] of pattern.fields) {
      const value = object[key];
      if (Array.isArray(inner)) {
        if (!leafMatches(inner, value)) return false;
      } else if (!matchesPattern(inner, value)) return false;
    }
    return pattern.or.length === 0 || pattern.or.some((sub) => matchesPattern(sub, object));
  });
};
