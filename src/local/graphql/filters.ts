import type { FragmentDefinitionNode, SelectionSetNode } from 'graphql/index.js';
/**
 * Subscription filters, in the input form the resolvers pass to
 * `util.transform.toSubscriptionFilter`: `{ and: [...], or: [...], not: {...},
 * field: { eq | ne | gt | ge | lt | le | contains | notContains | beginsWith |
 * in | notIn | between | attributeExists } }`. AppSync evaluates them on the
 * mutation's result; so does the local backend, before it sends anything.
 */

export type SubscriptionFilter = Record<string, unknown>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const compare = (a: unknown, b: unknown): number | undefined => {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
};

const matchOperator = (value: unknown, operator: string, operand: unknown): boolean => {
  switch (operator) {
    case 'eq':
      return JSON.stringify(value) === JSON.stringify(operand);
    case 'ne':
      return JSON.stringify(value) !== JSON.stringify(operand);
    case 'gt':
      return (compare(value, operand) ?? Number.NaN) > 0;
    case 'ge':
      return (compare(value, operand) ?? Number.NaN) >= 0;
    case 'lt':
      return (compare(value, operand) ?? Number.NaN) < 0;
    case 'le':
      return (compare(value, operand) ?? Number.NaN) <= 0;
    case 'contains':
      return typeof value === 'string'
        ? value.includes(String(operand))
        : Array.isArray(value) && value.includes(operand);
    case 'notContains':
      return !matchOperator(value, 'contains', operand);
    case 'beginsWith':
      return typeof value === 'string' && value.startsWith(String(operand));
    case 'in':
      return Array.isArray(operand) && operand.some((o) => JSON.stringify(o) === JSON.stringify(value));
    case 'notIn':
      return !matchOperator(value, 'in', operand);
    case 'between':
      return (
        Array.isArray(operand) &&
        (compare(value, operand[0]) ?? Number.NaN) >= 0 &&
        (compare(value, operand[1]) ?? Number.NaN) <= 0
      );
    case 'attributeExists':
      return (value !== undefined && value !== null) === Boolean(operand);
    default:
      // An operator we do not know never matches: a filter must not widen delivery.
      return false;
  }
};

/**
 * AppSync's own filter form, which `toSubscriptionFilter` produces and a
 * resolver may also pass as is: `{ filterGroup: [{ filters: [{ fieldName,
 * operator, value }] }] }`; any group passes when all of its filters do.
 */
const matchesFilterGroups = (groups: unknown[], payload: Record<string, unknown>): boolean =>
  groups.some(
    (group) =>
      isRecord(group) &&
      Array.isArray(group.filters) &&
      group.filters.every(
        (f) =>
          isRecord(f) &&
          typeof f.fieldName === 'string' &&
          typeof f.operator === 'string' &&
          matchOperator(payload[f.fieldName], f.operator, f.value),
      ),
  );

/** Whether an event payload passes a filter. An empty filter passes everything. */
export const matchesSubscriptionFilter = (filter: unknown, payload: Record<string, unknown>): boolean => {
  if (!isRecord(filter)) return true;
  if (Array.isArray(filter.filterGroup)) return matchesFilterGroups(filter.filterGroup, payload);
  return Object.entries(filter).every(([key, condition]) => {
    if (key === 'and') return Array.isArray(condition) && condition.every((c) => matchesSubscriptionFilter(c, payload));
    if (key === 'or') return Array.isArray(condition) && condition.some((c) => matchesSubscriptionFilter(c, payload));
    if (key === 'not') return !matchesSubscriptionFilter(condition, payload);
    if (!isRecord(condition)) return false;
    return Object.entries(condition).every(([operator, operand]) => matchOperator(payload[key], operator, operand));
  });
};

/**
 * What a started subscription delivers by. Only `LocalGraphqlApi.subscribe`
 * builds one, and only after the field's auth step allowed the caller:
 * `authorized` is the record of that decision, not a default.
 */
export interface SubscriptionPlan {
  authorized: true;
  field: string;
  responseKey: string;
  selectionSet: SelectionSetNode | undefined;
  fragments: Record<string, FragmentDefinitionNode>;
  /** AppSync's basic filtering: each argument the subscriber gave (null included) and its value. */
  argumentFilter: Record<string, unknown>;
  /** The filter the resolver set (`$extensions.setSubscriptionFilter`), if any. */
  resolverFilter: unknown;
  /**
   * The subscriber's Lambda authorizer decision at subscribe time: the fields
   * it may not see, null in every event it receives (and in what its filters see).
   */
  deniedFields: readonly string[];
  /** The subscription field's type (its named type), which the denied fields are looked up from. */
  resultType: string;
}

/**
 * Whether an event reaches a subscriber, as AppSync decides: the auth step
 * allowed the subscription, every argument equals the same-named field of the
 * mutation's response (a field the mutation did not select never matches),
 * and the resolver's filter passes. All three, always.
 */
export const deliverable = (plan: SubscriptionPlan, payload: Record<string, unknown>): boolean =>
  plan.authorized === true &&
  Object.entries(plan.argumentFilter).every(
    ([name, value]) => name in payload && JSON.stringify(payload[name]) === JSON.stringify(value),
  ) &&
  matchesSubscriptionFilter(plan.resolverFilter, payload);
