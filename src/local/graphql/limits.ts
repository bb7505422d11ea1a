import {
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  getNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql/index.js';

/**
 * What AppSync checks on a document before it runs: the resolver count and
 * query depth limits (`ResolverCountLimit`, `QueryDepthLimit`), and the
 * rules on a subscription's root selection.
 */

/**
 * How many selections a document may expand to (fragments spread in place)
 * before it is refused outright: far above any real query, and it bounds the
 * work of measuring one that spreads fragments exponentially.
 */
export const MAX_EXPANDED_SELECTIONS = 100_000;

export interface Measured {
  /** Fields with a resolver, counted once per place they appear (not per list item). */
  resolvers: number;
  /** Nested field levels: `{ a { b } }` is 2. */
  depth: number;
  /** More than MAX_EXPANDED_SELECTIONS selections, or nesting beyond what can be walked. */
  tooLarge: boolean;
}

/** Counts resolvers and depth of one operation, stopping as soon as a limit is passed. */
export const measureOperation = (
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  options: { hasResolver(typeName: string, fieldName: string): boolean; maxResolvers: number; maxDepth: number },
): Measured => {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const root =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  const measured: Measured = { resolvers: 0, depth: 0, tooLarge: false };
  let selections = 0;
  const over = () =>
    measured.tooLarge ||
    measured.resolvers > options.maxResolvers ||
    (options.maxDepth > 0 && measured.depth > options.maxDepth);

  const walk = (set: SelectionSetNode, typeName: string | undefined, depth: number, spreading: Set<string>) => {
    for (const selection of set.selections) {
      if (over()) return;
      selections += 1;
      if (selections > MAX_EXPANDED_SELECTIONS) {
        measured.tooLarge = true;
        return;
      }
      if (selection.kind === Kind.FIELD) {
        measured.depth = Math.max(measured.depth, depth);
        const type = typeName ? schema.getType(typeName) : undefined;
        const field =
          type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields()[selection.name.value] : undefined;
        if (typeName && field && options.hasResolver(typeName, selection.name.value)) measured.resolvers += 1;
        if (selection.selectionSet)
          walk(selection.selectionSet, field ? getNamedType(field.type).name : undefined, depth + 1, spreading);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, selection.typeCondition?.name.value ?? typeName, depth, spreading);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // A cycle is validation's to report; here it only must not loop.
        if (!fragment || spreading.has(name)) continue;
        spreading.add(name);
        walk(fragment.selectionSet, fragment.typeCondition.name.value, depth, spreading);
        spreading.delete(name);
      }
    }
  };
  try {
    walk(operation.selectionSet, root?.name, 1, new Set());
  } catch {
    // Fragments nested deeper than the stack: no real document does that.
    measured.tooLarge = true;
  }
  return measured;
};

/**
 * The GraphQL spec's rules for a subscription's root selection (graphql-js
 * 15 checks only the first): exactly one root field, counted through
 * fragments, no introspection field, and no `@skip` / `@include` anywhere in
 * the root selection, so a subscription always runs its field's resolver.
 */
export const SubscriptionRootRule = (context: ValidationContext): ASTVisitor => ({
  OperationDefinition(node) {
    if (node.operation !== 'subscription') return;
    const name = node.name ? `Subscription "${node.name.value}"` : 'Anonymous Subscription';
    const fields: FieldNode[] = [];
    let conditional = false;
    const collect = (set: SelectionSetNode, seen: Set<string>) => {
      for (const selection of set.selections) {
        if (selection.directives?.some((d) => d.name.value === 'skip' || d.name.value === 'include'))
          conditional = true;
        if (selection.kind === Kind.FIELD) fields.push(selection);
        else if (selection.kind === Kind.INLINE_FRAGMENT) collect(selection.selectionSet, seen);
        else if (!seen.has(selection.name.value)) {
          const fragment = context.getFragment(selection.name.value);
          if (fragment) collect(fragment.selectionSet, new Set([...seen, selection.name.value]));
        }
      }
    };
    collect(node.selectionSet, new Set());
    if (conditional) {
      context.reportError(
        new GraphQLError(`${name} must not use \`@skip\` or \`@include\` directives in the top level selection.`, node),
      );
    }
    const keys = new Set(fields.map((f) => f.alias?.value ?? f.name.value));
    // graphql-js 15's SingleFieldSubscriptionsRule already reports several direct selections.
    if (keys.size !== 1 && node.selectionSet.selections.length === 1) {
      context.reportError(new GraphQLError(`${name} must select only one top level field.`, node));
    }
    for (const field of fields) {
      if (field.name.value.startsWith('__')) {
        context.reportError(new GraphQLError(`${name} must not select an introspection top level field.`, field));
      }
    }
  },
});

/** The root field of a subscription that passed SubscriptionRootRule, found through any fragments. */
export const subscriptionRootField = (
  document: DocumentNode,
  operation: OperationDefinitionNode,
): FieldNode | undefined => {
  const find = (set: SelectionSetNode, seen: Set<string>): FieldNode | undefined => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) return selection;
      const inner =
        selection.kind === Kind.INLINE_FRAGMENT
          ? selection.selectionSet
          : seen.has(selection.name.value)
            ? undefined
            : document.definitions.find(
                (d): d is FragmentDefinitionNode =>
                  d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value,
              )?.selectionSet;
      const found =
        inner && find(inner, new Set([...seen, selection.kind === Kind.FRAGMENT_SPREAD ? selection.name.value : '']));
      if (found) return found;
    }
    return undefined;
  };
  return find(operation.selectionSet, new Set());
};
