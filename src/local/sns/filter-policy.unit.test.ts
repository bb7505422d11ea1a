import { describe, expect, it } from 'vitest';
import { matchesFilterPolicy, validateFilterPolicy } from './filter-policy';

const attrs = (values: Record<string, [string, string]>) => ({
  body: '',
  attributes: Object.fromEntries(
    Object.entries(values).map(([name, [DataType, StringValue]]) => [name, { DataType, StringValue }]),
  ),
});
const onAttributes = (policy: unknown, values: Record<string, [string, string]>) =>
  matchesFilterPolicy(policy, 'MessageAttributes', attrs(values));
const onBody = (policy: unknown, body: unknown) =>
  matchesFilterPolicy(policy, 'MessageBody', { body: JSON.stringify(body), attributes: {} });

describe('filter policies on message attributes', () => {
  it('matches exact strings, any of a list, and every key', () => {
    expect(onAttributes({ kind: ['order'] }, { kind: ['String', 'order'] })).toBe(true);
    expect(onAttributes({ kind: ['order', 'refund'] }, { kind: ['String', 'refund'] })).toBe(true);
    expect(onAttributes({ kind: ['order'] }, { kind: ['String', 'other'] })).toBe(false);
    expect(onAttributes({ kind: ['order'], region: ['eu'] }, { kind: ['String', 'order'] })).toBe(false);
  });

  it('matches prefix, suffix, equals-ignore-case and anything-but', () => {
    expect(onAttributes({ s: [{ prefix: 'ord' }] }, { s: ['String', 'order'] })).toBe(true);
    expect(onAttributes({ s: [{ suffix: 'der' }] }, { s: ['String', 'order'] })).toBe(true);
    expect(onAttributes({ s: [{ 'equals-ignore-case': 'ORDER' }] }, { s: ['String', 'order'] })).toBe(true);
    expect(onAttributes({ s: [{ 'anything-but': ['order'] }] }, { s: ['String', 'order'] })).toBe(false);
    expect(onAttributes({ s: [{ 'anything-but': 'x' }] }, { s: ['String', 'order'] })).toBe(true);
    expect(onAttributes({ s: [{ 'anything-but': { prefix: 'or' } }] }, { s: ['String', 'order'] })).toBe(false);
    expect(onAttributes({ s: [{ 'anything-but': ['x'] }] }, {})).toBe(false);
  });

  it('compares numbers with numeric ranges and exact numbers', () => {
    const price = (v: string): Record<string, [string, string]> => ({ price: ['Number', v] });
    expect(onAttributes({ price: [{ numeric: ['>', 10, '<=', 20] }] }, price('20'))).toBe(true);
    expect(onAttributes({ price: [{ numeric: ['>', 10, '<=', 20] }] }, price('10'))).toBe(false);
    expect(onAttributes({ price: [{ numeric: ['=', 5] }] }, price('5.0'))).toBe(true);
    expect(onAttributes({ price: [5] }, price('5'))).toBe(true);
    expect(onAttributes({ price: ['5'] }, price('5'))).toBe(false);
  });

  it('tests presence with exists, and matches any element of a String.Array', () => {
    expect(onAttributes({ a: [{ exists: true }] }, { a: ['String', 'x'] })).toBe(true);
    expect(onAttributes({ a: [{ exists: false }] }, {})).toBe(true);
    expect(onAttributes({ a: [{ exists: false }] }, { a: ['String', 'x'] })).toBe(false);
    expect(onAttributes({ tags: ['red'] }, { tags: ['String.Array', '["blue","red"]'] })).toBe(true);
  });

  it('takes alternatives with $or', () => {
    const policy = { $or: [{ a: ['1'] }, { b: ['2'] }] };
    expect(onAttributes(policy, { b: ['String', '2'] })).toBe(true);
    expect(onAttributes(policy, { c: ['String', '3'] })).toBe(false);
  });
});

describe('filter policies on the message body', () => {
  it('matches nested keys and arrays of the JSON body', () => {
    const policy = { order: { status: ['paid'], total: [{ numeric: ['>=', 100] }] } };
    expect(onBody(policy, { order: { status: 'paid', total: 120 } })).toBe(true);
    expect(onBody(policy, { order: { status: 'paid', total: 20 } })).toBe(false);
    expect(onBody({ tags: ['vip'] }, { tags: ['new', 'vip'] })).toBe(true);
    expect(matchesFilterPolicy({ a: ['x'] }, 'MessageBody', { body: 'not json', attributes: {} })).toBe(false);
  });
});

describe('filter policy validation', () => {
  it('rejects what SNS rejects', () => {
    expect(() => validateFilterPolicy({ a: [{ numeric: ['>>', 1] }] }, 'MessageAttributes')).toThrow(/numeric/);
    expect(() => validateFilterPolicy({ a: [{ wildcard2: 'x' }] }, 'MessageAttributes')).toThrow(/Unrecognized/);
    expect(() => validateFilterPolicy({ a: { b: ['x'] } }, 'MessageAttributes')).toThrow();
    expect(() => validateFilterPolicy({ a: [] }, 'MessageAttributes')).toThrow();
    expect(() => validateFilterPolicy([], 'MessageAttributes')).toThrow();
    expect(() => validateFilterPolicy({ a: { b: ['x'] } }, 'MessageBody')).not.toThrow();
  });
});
