import { describe, expect, it } from 'vitest';
import { EventPatternError, matchesPattern, parseEventPattern } from './pattern';

// An order event of our own, shaped as EventBridge delivers one.
const event = {
  version: '0',
  id: 'a1b2',
  'detail-type': 'Order Placed',
  source: 'shop.orders',
  account: '000000000000',
  time: '2026-12-01T12:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:shop:us-east-1:000000000000:order/17', 'arn:aws:shop:us-east-1:000000000000:cart/3'],
  detail: {
    state: 'PLACED',
    total: 42.5,
    items: 3,
    customer: { tier: 'Gold', email: 'ada@example.com', ip: '10.0.7.12' },
    tags: ['gift', 'express'],
    coupon: null,
    file: 'report-2026.csv',
  },
};

const cases: Array<[string, unknown, boolean]> = [
  ['exact string', { source: ['shop.orders'] }, true],
  ['exact string, other value', { source: ['shop.returns'] }, false],
  ['any of several values', { source: ['a', 'shop.orders'] }, true],
  ['nested exact number', { detail: { items: [3] } }, true],
  ['number compared as a number', { detail: { total: [42.5] } }, true],
  ['null matches a null field', { detail: { coupon: [null] } }, true],
  ['null does not match a missing field', { detail: { voucher: [null] } }, false],
  ['every field must match', { source: ['shop.orders'], 'detail-type': ['Order Shipped'] }, false],
  ['an event array matches when an element does', { detail: { tags: ['express'] } }, true],
  ['an event array with no such element', { detail: { tags: ['fragile'] } }, false],
  ['resources match element-wise', { resources: ['arn:aws:shop:us-east-1:000000000000:cart/3'] }, true],
  ['prefix', { source: [{ prefix: 'shop.' }] }, true],
  ['prefix, no match', { source: [{ prefix: 'bank.' }] }, false],
  ['prefix ignoring case', { detail: { state: [{ prefix: { 'equals-ignore-case': 'pla' } }] } }, true],
  ['suffix', { detail: { file: [{ suffix: '.csv' }] } }, true],
  ['suffix, no match', { detail: { file: [{ suffix: '.png' }] } }, false],
  ['suffix ignoring case', { detail: { file: [{ suffix: { 'equals-ignore-case': '.CSV' } }] } }, true],
  ['equals-ignore-case', { detail: { customer: { tier: [{ 'equals-ignore-case': 'gOLD' }] } } }, true],
  ['equals-ignore-case, no match', { detail: { customer: { tier: [{ 'equals-ignore-case': 'silver' }] } } }, false],
  ['anything-but a string', { detail: { state: [{ 'anything-but': 'CANCELLED' }] } }, true],
  ['anything-but that very string', { detail: { state: [{ 'anything-but': 'PLACED' }] } }, false],
  ['anything-but a list', { detail: { state: [{ 'anything-but': ['NEW', 'PLACED'] }] } }, false],
  ['anything-but a number', { detail: { items: [{ 'anything-but': [1, 2] }] } }, true],
  ['anything-but a prefix', { source: [{ 'anything-but': { prefix: 'aws.' } }] }, true],
  ['anything-but a prefix it has', { source: [{ 'anything-but': { prefix: 'shop' } }] }, false],
  ['anything-but a suffix it has', { detail: { file: [{ 'anything-but': { suffix: '.csv' } }] } }, false],
  [
    'anything-but ignoring case',
    { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['placed'] } }] } },
    false,
  ],
  ['anything-but a wildcard', { detail: { file: [{ 'anything-but': { wildcard: '*.png' } }] } }, true],
  ['anything-but needs the field', { detail: { voucher: [{ 'anything-but': 'x' }] } }, false],
  ['numeric range', { detail: { total: [{ numeric: ['>', 40, '<=', 50] }] } }, true],
  ['numeric range, outside', { detail: { total: [{ numeric: ['>', 50] }] } }, false],
  ['numeric equals', { detail: { items: [{ numeric: ['=', 3] }] } }, true],
  ['numeric on a string is no match', { detail: { state: [{ numeric: ['>', 0] }] } }, false],
  ['exists true', { detail: { coupon: [{ exists: true }] } }, true],
  ['exists true on a missing field', { detail: { voucher: [{ exists: true }] } }, false],
  ['exists false on a missing field', { detail: { voucher: [{ exists: false }] } }, true],
  ['exists false on a present field', { detail: { state: [{ exists: false }] } }, false],
  ['exists true on an object', { detail: { customer: [{ exists: true }] } }, true],
  ['wildcard', { detail: { file: [{ wildcard: 'report-*.csv' }] } }, true],
  ['wildcard, no match', { detail: { file: [{ wildcard: 'summary-*' }] } }, false],
  ['wildcard with an escaped star', { detail: { file: [{ wildcard: 'report\\*' }] } }, false],
  ['cidr', { detail: { customer: { ip: [{ cidr: '10.0.0.0/16' }] } } }, true],
  ['cidr, outside', { detail: { customer: { ip: [{ cidr: '10.1.0.0/16' }] } } }, false],
  [
    '$or, second branch',
    { source: ['shop.orders'], $or: [{ detail: { items: [9] } }, { detail: { state: ['PLACED'] } }] },
    true,
  ],
  ['$or, no branch', { $or: [{ detail: { items: [9] } }, { 'detail-type': ['Nope'] }] }, false],
  [
    '$or nested in detail',
    { detail: { $or: [{ items: [{ numeric: ['<', 2] }] }, { total: [{ numeric: ['>', 40] }] }] } },
    true,
  ],
  ['a pattern on a field of a scalar is no match', { source: { inner: ['x'] } }, false],
];

describe('event patterns', () => {
  it.each(cases)('%s', (_name, pattern, expected) => {
    // Act
    const matched = matchesPattern(parseEventPattern(JSON.stringify(pattern)), event);
    // Assess
    expect(matched).toBe(expected);
  });

  const invalid: Array<[string, unknown]> = [
    ['a leaf that is not an array', { source: 'shop.orders' }],
    ['an empty array', { source: [] }],
    ['an unknown match type', { source: [{ contains: 'x' }] }],
    ['a numeric range with a bad operator', { detail: { total: [{ numeric: ['!=', 1] }] } }],
    ['a numeric range whose bottom is above its top', { detail: { total: [{ numeric: ['>', 5, '<', 1] }] } }],
    ['exists that is not a boolean', { detail: { x: [{ exists: 'yes' }] } }],
    ['$or with one branch', { $or: [{ source: ['a'] }] }],
    ['consecutive wildcards', { source: [{ wildcard: 'a**b' }] }],
    ['an empty pattern', {}],
  ];
  it.each(invalid)('refuses %s, as EventBridge does', (_name, pattern) => {
    expect(() => parseEventPattern(JSON.stringify(pattern))).toThrow(EventPatternError);
  });

  it('refuses text that is not JSON', () => {
    expect(() => parseEventPattern('{source:')).toThrow(/Event pattern is not valid/);
  });
});
