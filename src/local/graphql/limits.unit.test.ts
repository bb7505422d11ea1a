import { buildSchema, Kind, type OperationDefinitionNode, parse, specifiedRules, validate } from 'graphql/index.js';
import { describe, expect, it } from 'vitest';
import { MAX_EXPANDED_SELECTIONS, measureOperation, SubscriptionRootRule, subscriptionRootField } from './limits';

const schema = buildSchema(`
  type Note { id: ID! owner: String child: Note }
  type Query { getNote(id: ID!): Note }
  type Subscription { onCreateNote(owner: String): Note onDeleteNote: Note }
`);
const withResolvers = new Set([
  'Query.getNote',
  'Note.child',
  'Subscription.onCreateNote',
  'Subscription.onDeleteNote',
]);

const measure = (query: string, maxResolvers = 10_000, maxDepth = 0) => {
  const document = parse(query);
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  if (!operation) throw new Error('no operation');
  return measureOperation(schema, document, operation, {
    hasResolver: (type, field) => withResolvers.has(`${type}.${field}`),
    maxResolvers,
    maxDepth,
  });
};

describe('measureOperation: the resolver count and depth limits', () => {
  it('counts the fields that have a resolver, through aliases and fragments', () => {
    expect(measure('{ a: getNote(id: "1") { id child { id } } b: getNote(id: "2") { id } }').resolvers).toBe(3);
    expect(measure('{ getNote(id: "1") { ...F ...F } } fragment F on Note { child { id } }').resolvers).toBe(3);
  });

  it('stops counting once past the limit', () => {
    const many = `{ ${Array.from({ length: 50 }, (_, i) => `a${i}: getNote(id: "x") { id }`).join(' ')} }`;
    expect(measure(many, 10).resolvers).toBe(11);
  });

  it('measures depth in nested field levels', () => {
    expect(measure('{ getNote(id: "1") { child { child { id } } } }').depth).toBe(4);
    expect(measure('{ getNote(id: "1") { child { child { id } } } }', 10_000, 2).depth).toBe(3);
  });

  it('flags a fragment bomb as too large without expanding it', () => {
    const bomb = Array.from({ length: 40 }, (_, i) => `fragment F${i} on Note { ...F${i + 1} ...F${i + 1} }`).join(' ');
    const started = performance.now();
    const measured = measure(`{ getNote(id: "x") { ...F0 } } ${bomb} fragment F40 on Note { id }`);
    expect(measured.tooLarge).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(MAX_EXPANDED_SELECTIONS).toBeLessThan(2 ** 40);
  });

  it('does not loop on a fragment cycle (validation reports it)', () => {
    expect(
      measure('{ getNote(id: "x") { ...A } } fragment A on Note { ...B } fragment B on Note { ...A }').tooLarge,
    ).toBe(false);
  });
});

describe('SubscriptionRootRule', () => {
  const errors = (query: string) =>
    validate(schema, parse(query), [...specifiedRules, SubscriptionRootRule]).map((e) => e.message);

  it('accepts one root field, directly or through a fragment', () => {
    expect(errors('subscription { onCreateNote { id } }')).toEqual([]);
    expect(errors('subscription { ...F } fragment F on Subscription { onCreateNote { id } }')).toEqual([]);
    const document = parse('subscription S { ... on Subscription { x: onCreateNote(owner: "a") { id } } }');
    const operation = document.definitions.find(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    );
    expect(operation && subscriptionRootField(document, operation)?.alias?.value).toBe('x');
  });

  it('refuses @skip and @include anywhere in the root selection', () => {
    for (const query of [
      'subscription { onCreateNote @skip(if: false) { id } }',
      'subscription { onCreateNote @include(if: true) { id } }',
      'subscription { ... on Subscription @skip(if: true) { onCreateNote { id } } }',
      'subscription { ...F @include(if: false) } fragment F on Subscription { onCreateNote { id } }',
      'subscription { ...F } fragment F on Subscription { onCreateNote @skip(if: true) { id } }',
    ]) {
      expect(errors(query)).toContain(
        'Anonymous Subscription must not use `@skip` or `@include` directives in the top level selection.',
      );
    }
  });

  it('refuses two root fields hidden in a fragment, and introspection at the root', () => {
    expect(
      errors('subscription S { ...F } fragment F on Subscription { onCreateNote { id } onDeleteNote { id } }'),
    ).toContain('Subscription "S" must select only one top level field.');
    expect(errors('subscription { __typename }')).toContain(
      'Anonymous Subscription must not select an introspection top level field.',
    );
  });
});
