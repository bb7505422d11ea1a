import { invalid } from './errors';
import { type Condition, type Operand, type Path, Placeholders, type UpdateActions } from './expressions';
import { checkValue, MAX_NESTING } from './items';
import { compareScalars, LONG_TYPE_NAMES, type TypeName, typeOf } from './values';

/**
 * DynamoDB's legacy parameters (`Expected`, `KeyConditions`, `QueryFilter`,
 * `ScanFilter`, `AttributeUpdates`, `AttributesToGet`, `ConditionalOperator`)
 * translated into the trees that expressions parse into, so that both take
 * the same path through the engine. The values they carry become
 * placeholders of their own: a request cannot mix the two kinds.
 */

type Json = Record<string, unknown>;

const rec = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

/** Refuses a request that mixes the two kinds, with DynamoDB's message naming both. */
export const checkMixing = (input: Json, legacy: string[], expressions: string[]): void => {
  const old = legacy.filter((p) => input[p] !== undefined);
  const current = expressions.filter((p) => input[p] !== undefined);
  if (old.length > 0 && current.length > 0)
    throw invalid(
      `Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {${old.join(', ')}} Expression parameters: {${current.join(', ')}}`,
    );
};

/** The placeholders that hold a legacy request's values. */
export class LegacyValues extends Placeholders {
  private count = 0;

  constructor() {
    super({}, {});
  }

  add(raw: unknown): Operand & { kind: 'value' } {
    const placeholder = `:legacy${this.count}`;
    this.count += 1;
    this.values[placeholder] = checkValue(raw, false, MAX_NESTING + 1);
    return { kind: 'value', placeholder };
  }
}

const ARGUMENTS: Record<string, number | 'some'> = {
  EQ: 1,
  NE: 1,
  LE: 1,
  LT: 1,
  GE: 1,
  GT: 1,
  NOT_NULL: 0,
  NULL: 0,
  CONTAINS: 1,
  NOT_CONTAINS: 1,
  BEGINS_WITH: 1,
  IN: 'some',
  BETWEEN: 2,
};

const SCALARS: TypeName[] = ['S', 'N', 'B'];
const ALLOWED_TYPES: Record<string, TypeName[] | undefined> = {
  LE: SCALARS,
  LT: SCALARS,
  GE: SCALARS,
  GT: SCALARS,
  BETWEEN: SCALARS,
  IN: SCALARS,
  CONTAINS: SCALARS,
  NOT_CONTAINS: SCALARS,
  BEGINS_WITH: ['S', 'B'],
};

const COMPARE = { EQ: '=', NE: '<>', LE: '<=', LT: '<', GE: '>=', GT: '>' } as const;

/** One attribute's condition, from `ComparisonOperator` and its values. */
const comparison = (name: string, operator: unknown, raw: unknown[], values: LegacyValues): Condition => {
  const op = String(operator);
  const expected = ARGUMENTS[op];
  if (expected === undefined) throw invalid('Comparison type does not exist in DynamoDB');
  if (expected === 'some' ? raw.length === 0 : raw.length !== expected)
    throw invalid(
      `One or more parameter values were invalid: Invalid number of argument(s) for the ${op} ComparisonOperator`,
    );
  const operands = raw.map((v) => values.add(v));
  const types = new Set(operands.map((o) => typeOf(values.value(o.placeholder))));
  if (types.size > 1)
    throw invalid(
      'One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type',
    );
  const allowed = ALLOWED_TYPES[op];
  for (const operand of operands) {
    const type = typeOf(values.value(operand.placeholder));
    if (allowed && !allowed.includes(type))
      throw invalid(
        `One or more parameter values were invalid: ComparisonOperator ${op} is not valid for ${type} AttributeValue type`,
      );
  }
  const path: Path = [{ name }];
  const attribute: Operand = { kind: 'path', path };
  const [first, second] = operands as [Operand & { kind: 'value' }, Operand & { kind: 'value' }];
  switch (op) {
    case 'NULL':
      return { kind: 'not_exists', path };
    case 'NOT_NULL':
      return { kind: 'exists', path };
    case 'CONTAINS':
      return { kind: 'contains', subject: { kind: 'path', path }, operand: first };
    case 'NOT_CONTAINS':
      // A missing attribute does not pass NOT_CONTAINS.
      return {
        kind: 'and',
        left: { kind: 'exists', path },
        right: { kind: 'not', condition: { kind: 'contains', subject: { kind: 'path', path }, operand: first } },
      };
    case 'BEGINS_WITH':
      return { kind: 'begins_with', subject: { kind: 'path', path }, prefix: first };
    case 'IN':
      return { kind: 'in', operand: attribute, list: operands };
    case 'BETWEEN': {
      const order = compareScalars(values.value(first.placeholder), values.value(second.placeholder));
      if (order !== undefined && order > 0)
        throw invalid(
          'The BETWEEN condition was provided a range where the lower bound is greater than the upper bound',
        );
      return { kind: 'between', operand: attribute, low: first, high: second };
    }
    default:
      return { kind: 'compare', op: COMPARE[op as keyof typeof COMPARE], left: attribute, right: first };
  }
};

/** `Expected`'s forms: Value, Exists, or ComparisonOperator with Value or AttributeValueList. */
const expectation = (name: string, spec: Json, values: LegacyValues): Condition => {
  const { Value: value, AttributeValueList: list, Exists: exists, ComparisonOperator: operator } = spec;
  if (value !== undefined && list !== undefined)
    throw invalid(
      `One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: ${name}`,
    );
  if (operator !== undefined) {
    if (exists !== undefined)
      throw invalid(
        `One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: ${name}`,
      );
    const raw = Array.isArray(list) ? list : value !== undefined ? [value] : undefined;
    if (!raw && operator !== 'NULL' && operator !== 'NOT_NULL')
      throw invalid(
        `One or more parameter values were invalid: Value or AttributeValueList must be used with ComparisonOperator: ${String(operator)} for Attribute: ${name}`,
      );
    return comparison(name, operator, raw ?? [], values);
  }
  if (list !== undefined)
    throw invalid(
      `One or more parameter values were invalid: AttributeValueList can only be used with a ComparisonOperator for Attribute: ${name}`,
    );
  if (exists === false) {
    if (value !== undefined)
      throw invalid(
        `One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: ${name}`,
      );
    return { kind: 'not_exists', path: [{ name }] };
  }
  if (value === undefined)
    throw invalid(
      `One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: ${name}`,
    );
  return { kind: 'compare', op: '=', left: { kind: 'path', path: [{ name }] }, right: values.add(value) };
};

/**
 * `Expected`, `QueryFilter`, `ScanFilter` or `KeyConditions` as one
 * condition, its parts joined by `ConditionalOperator` (AND unless OR).
 */
export const legacyCondition = (
  input: unknown,
  conditionalOperator: unknown,
  kind: 'Expected' | 'QueryFilter' | 'ScanFilter' | 'KeyConditions',
  values: LegacyValues,
): Condition | undefined => {
  const map = rec(input);
  const entries = Object.entries(map ?? {});
  if (conditionalOperator !== undefined && kind !== 'KeyConditions') {
    if (conditionalOperator !== 'AND' && conditionalOperator !== 'OR')
      throw invalid(
        `1 validation error detected: Value '${String(conditionalOperator)}' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [AND, OR]`,
      );
    if (!map) throw invalid('ConditionalOperator cannot be used without Filter or Expected');
    if (entries.length < 2)
      throw invalid('ConditionalOperator can only be used when Filter or Expected has two or more elements');
  }
  const parts = entries.map(([name, raw]) => {
    const spec = rec(raw) ?? {};
    if (kind === 'Expected') return expectation(name, spec, values);
    const list = Array.isArray(spec.AttributeValueList) ? spec.AttributeValueList : [];
    return comparison(name, spec.ComparisonOperator, list, values);
  });
  const join = conditionalOperator === 'OR' ? 'or' : 'and';
  return parts.reduce<Condition | undefined>((left, right) => (left ? { kind: join, left, right } : right), undefined);
};

/** `AttributesToGet` as a projection of top-level attributes. */
export const legacyProjection = (input: unknown): Path[] | undefined => {
  if (input === undefined) return undefined;
  const names = Array.isArray(input) ? input.map(String) : [];
  if (names.length === 0) throw invalid('AttributesToGet cannot be empty');
  if (new Set(names).size !== names.length) throw invalid('Cannot have two attributes with the same name');
  return names.map((name) => [{ name }]);
};

/**
 * `AttributeUpdates` as update actions: PUT sets, DELETE removes (or takes
 * elements from a set), ADD adds to a number or a set, and appends to a list.
 */
export const legacyUpdate = (input: unknown, values: LegacyValues): UpdateActions => {
  const actions: UpdateActions = { set: [], remove: [], add: [], delete: [] };
  for (const [name, raw] of Object.entries(rec(input) ?? {})) {
    const spec = rec(raw) ?? {};
    const action = spec.Action ?? 'PUT';
    if (action !== 'PUT' && action !== 'ADD' && action !== 'DELETE')
      throw invalid('Member must satisfy enum value set: [ADD, DELETE, PUT]');
    const path: Path = [{ name }];
    if (spec.Value === undefined) {
      if (action !== 'DELETE')
        throw invalid(
          'One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified',
        );
      actions.remove.push(path);
      continue;
    }
    const value = values.add(spec.Value);
    const type = typeOf(values.value(value.placeholder));
    if (action === 'PUT') actions.set.push({ path, value });
    else if (action === 'ADD') {
      if (type === 'L')
        actions.set.push({
          path,
          value: {
            kind: 'list_append',
            left: { kind: 'if_not_exists', path, fallback: values.add({ L: [] }) },
            right: value,
          },
        });
      else if (['N', 'SS', 'NS', 'BS'].includes(type)) actions.add.push({ path, value });
      else
        throw invalid(
          `One or more parameter values were invalid: ADD action is not supported for the type ${LONG_TYPE_NAMES[type]}`,
        );
    } else {
      if (!['SS', 'NS', 'BS'].includes(type))
        throw invalid(
          `One or more parameter values were invalid: DELETE action with value is not supported for the type ${LONG_TYPE_NAMES[type]}`,
        );
      actions.delete.push({ path, value });
    }
  }
  return actions;
};
