import { describe, expect, it } from 'vitest';
import { deliverable, type SubscriptionPlan } from './filters';

const plan = (argumentFilter: Record<string, unknown>, resolverFilter?: unknown): SubscriptionPlan => ({
  authorized: true,
  field: 'onCreateNote',
  responseKey: 'onCreateNote',
  selectionSet: undefined,
  fragments: {},
  argumentFilter,
  resolverFilter,
  deniedFields: [],
  resultType: 'Note',
});

describe('deliverable: AppSync basic filtering AND the resolver filter', () => {
  it('requires every argument to equal the same-named field of the response', () => {
    expect(deliverable(plan({ owner: 'bob' }), { id: '1', owner: 'bob' })).toBe(true);
    expect(deliverable(plan({ owner: 'bob' }), { id: '1', owner: 'ada' })).toBe(false);
    expect(deliverable(plan({ owner: 'bob', id: '1' }), { id: '2', owner: 'bob' })).toBe(false);
  });

  it('never matches a field the mutation did not select', () => {
    expect(deliverable(plan({ owner: 'bob' }), { id: '1' })).toBe(false);
  });

  it('treats an explicit null argument as a value: only a null field matches', () => {
    expect(deliverable(plan({ owner: null }), { id: '1', owner: 'bob' })).toBe(false);
    expect(deliverable(plan({ owner: null }), { id: '1', owner: null })).toBe(true);
  });

  it('applies the resolver filter as well as the arguments', () => {
    const onlyBob = { owner: { eq: 'bob' } };
    expect(deliverable(plan({}, onlyBob), { owner: 'bob' })).toBe(true);
    expect(deliverable(plan({}, onlyBob), { owner: 'ada' })).toBe(false);
    // An argument cannot widen what the resolver allowed, nor the reverse.
    expect(deliverable(plan({ owner: 'ada' }, onlyBob), { owner: 'ada' })).toBe(false);
    expect(deliverable(plan({ owner: 'bob' }, { or: [{ owner: { eq: 'ada' } }] }), { owner: 'ada' })).toBe(false);
  });

  it("takes AppSync's filterGroup form too: any group whose filters all pass", () => {
    const groups = {
      filterGroup: [
        { filters: [{ fieldName: 'shopId', operator: 'eq', value: 'north' }] },
        {
          filters: [
            { fieldName: 'shopId', operator: 'eq', value: 'south' },
            { fieldName: 'stars', operator: 'ge', value: 4 },
          ],
        },
      ],
    };
    expect(deliverable(plan({}, groups), { shopId: 'north', stars: 1 })).toBe(true);
    expect(deliverable(plan({}, groups), { shopId: 'south', stars: 5 })).toBe(true);
    expect(deliverable(plan({}, groups), { shopId: 'south', stars: 3 })).toBe(false);
    expect(deliverable(plan({}, groups), { shopId: 'west', stars: 5 })).toBe(false);
    expect(
      deliverable(plan({}, { filterGroup: [{ filters: [{ fieldName: 'x', operator: 'nope', value: 1 }] }] }), { x: 1 }),
    ).toBe(false);
  });

  it('compares values exactly, not loosely', () => {
    expect(deliverable(plan({ n: 1 }), { n: '1' })).toBe(false);
    expect(deliverable(plan({ tags: ['a'] }), { tags: ['a'] })).toBe(true);
  });
});
