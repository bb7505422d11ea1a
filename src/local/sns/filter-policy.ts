/**
 * SNS subscription filter policies: on the message attributes (the default
 * scope) or on the JSON message body. Every key of the policy must match
 * (and `$or` takes alternatives); a key's list matches if any condition
 * does: exact strings, numbers, booleans and null, `prefix`, `suffix`,
 * `equals-ignore-case`, `anything-but` (values, or a prefix/suffix),
 * `numeric` comparisons and ranges, and `exists`.
 */

export type FilterValue = string | number | boolean | null;

export interface SnsMessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Uint8Array;
}

export class FilterPolicyError extends Error {
  override readonly name = 'FilterPolicyError';
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const NUMERIC_OPERATORS = new Set(['=', '<', '<=', '>', '>=']);
const OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists']);

/** Checks a policy as SNS does when it is set; throws `FilterPolicyError` with SNS's reason. */
export const validateFilterPolicy = (policy: unknown, scope: 'MessageAttributes' | 'MessageBody'): void => {
  const visit = (node: unknown, depth: number): void => {
    if (!isRecord(node)) throw new FilterPolicyError('Filter policy must be a JSON object');
    if (Object.keys(node).length === 0) throw new FilterPolicyError('Filter policy can not be empty');
    for (const [key, value] of Object.entries(node)) {
      if (key === '$or') {
        if (!Array.isArray(value) || value.length < 2)
          throw new FilterPolicyError('$or must be an array of at least two filter policies');
        for (const alternative of value) visit(alternative, depth);
        continue;
      }
      if (isRecord(value)) {
        if (scope === 'MessageAttributes') throw new FilterPolicyError(`"${key}" must be an object or an array`);
        visit(value, depth + 1);
        continue;
      }
      if (!Array.isArray(value) || value.length === 0)
        throw new FilterPolicyError(`Match value must be a non-empty array of conditions (at "${key}")`);
      for (const condition of value) validateCondition(condition);
    }
  };
  visit(policy, 0);
};

const validateCondition = (condition: unknown): void => {
  if (condition === null || ['string', 'number', 'boolean'].includes(typeof condition)) return;
  if (!isRecord(condition))
    throw new FilterPolicyError('Match value must be a string, number, boolean, null or an operator');
  const [operator, ...rest] = Object.keys(condition);
  if (!operator || rest.length > 0 || !OPERATORS.has(operator))
    throw new FilterPolicyError(`Unrecognized match type ${operator ?? ''}`);
  const operand = condition[operator];
  switch (operator) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      if (typeof operand !== 'string') throw new FilterPolicyError(`${operator} match pattern must be a string`);
      return;
    case 'exists':
      if (typeof operand !== 'boolean')
        throw new FilterPolicyError('exists match pattern must be either true or false.');
      return;
    case 'numeric': {
      if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0 || operand.length > 4)
        throw new FilterPolicyError('Value of numeric must be an array of one or two comparisons.');
      for (let i = 0; i < operand.length; i += 2)
        if (!NUMERIC_OPERATORS.has(String(operand[i])) || typeof operand[i + 1] !== 'number')
          throw new FilterPolicyError(`Unrecognized numeric range operator: ${String(operand[i])}`);
      return;
    }
    case 'anything-but': {
      if (isRecord(operand)) {
        const keys = Object.keys(operand);
        if (
          keys.length !== 1 ||
          !['prefix', 'suffix'].includes(keys[0] ?? '') ||
          typeof Object.values(operand)[0] !== 'string'
        )
          throw new FilterPolicyError('Unsupported anything-but pattern');
        return;
      }
      const values = Array.isArray(operand) ? operand : [operand];
      if (values.length === 0 || !values.every((v) => typeof v === 'string' || typeof v === 'number'))
        throw new FilterPolicyError('Inside anything but list, start|null|boolean is not supported.');
      return;
    }
  }
};

const compare = (value: number, operator: string, operand: number): boolean => {
  switch (operator) {
    case '=':
      return value === operand;
    case '<':
      return value < operand;
    case '<=':
      return value <= operand;
    case '>':
      return value > operand;
    default:
      return value >= operand;
  }
};

/** Whether one present value meets one condition. */
const meets = (condition: unknown, value: FilterValue): boolean => {
  if (!isRecord(condition)) return condition === value;
  const [operator = ''] = Object.keys(condition);
  const operand = condition[operator];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && typeof operand === 'string' && value.startsWith(operand);
    case 'suffix':
      return typeof value === 'string' && typeof operand === 'string' && value.endsWith(operand);
    case 'equals-ignore-case':
      return typeof value === 'string' && typeof operand === 'string' && value.toLowerCase() === operand.toLowerCase();
    case 'numeric': {
      if (typeof value !== 'number' || !Array.isArray(operand)) return false;
      for (let i = 0; i < operand.length; i += 2)
        if (!compare(value, String(operand[i]), Number(operand[i + 1]))) return false;
      return true;
    }
    case 'anything-but': {
      if (isRecord(operand)) {
        if (typeof value !== 'string') return true;
        if (typeof operand.prefix === 'string') return !value.startsWith(operand.prefix);
        if (typeof operand.suffix === 'string') return !value.endsWith(operand.suffix);
        return false;
      }
      const values = Array.isArray(operand) ? operand : [operand];
      return !values.some((v) => v === value);
    }
    default:
      return false;
  }
};

/** A key's values (undefined: absent) against its list of conditions. */
const matchesKey = (conditions: unknown[], values: FilterValue[] | undefined): boolean =>
  conditions.some((condition) => {
    if (isRecord(condition) && 'exists' in condition) return (values !== undefined) === (condition.exists === true);
    if (values === undefined) return false;
    // anything-but is met only if no value is excluded.
    if (isRecord(condition) && 'anything-but' in condition) return values.every((v) => meets(condition, v));
    return values.some((v) => meets(condition, v));
  });

/** An attribute's values for matching: String.Array's elements, Number as a number; Binary cannot match. */
export const attributeValues = (attribute: SnsMessageAttribute): FilterValue[] | undefined => {
  const { DataType, StringValue } = attribute;
  if (DataType.startsWith('Binary') || StringValue === undefined) return undefined;
  if (DataType === 'String.Array') {
    try {
      const parsed: unknown = JSON.parse(StringValue);
      if (Array.isArray(parsed))
        return parsed.filter((v): v is FilterValue => v === null || ['string', 'number', 'boolean'].includes(typeof v));
    } catch {
      return undefined;
    }
    return undefined;
  }
  if (DataType.startsWith('Number')) {
    const n = Number(StringValue);
    return Number.isFinite(n) ? [n] : undefined;
  }
  return [StringValue];
};

const jsonValues = (value: unknown): FilterValue[] | undefined => {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is FilterValue => v === null || ['string', 'number', 'boolean'].includes(typeof v));
};

interface Scope {
  values(key: string): FilterValue[] | undefined;
  children(key: string): Scope[];
}

const bodyScope = (object: Record<string, unknown>): Scope => ({
  values: (key) => jsonValues(object[key]),
  children: (key) => {
    const inner = object[key];
    return (Array.isArray(inner) ? inner : [inner]).filter(isRecord).map(bodyScope);
  },
});

const matchesObject = (policy: Record<string, unknown>, scope: Scope): boolean =>
  Object.entries(policy).every(([key, conditions]) => {
    if (key === '$or')
      return Array.isArray(conditions) && conditions.some((p) => isRecord(p) && matchesObject(p, scope));
    if (isRecord(conditions)) return scope.children(key).some((child) => matchesObject(conditions, child));
    return Array.isArray(conditions) && matchesKey(conditions, scope.values(key));
  });

/** Whether a published message passes a subscription's filter policy (no policy passes everything). */
export const matchesFilterPolicy = (
  policy: unknown,
  scope: 'MessageAttributes' | 'MessageBody',
  message: { body: string; attributes: Readonly<Record<string, SnsMessageAttribute>> },
): boolean => {
  if (policy === undefined || policy === null) return true;
  if (!isRecord(policy)) return false;
  if (scope === 'MessageBody') {
    let body: unknown;
    try {
      body = JSON.parse(message.body);
    } catch {
      return false;
    }
    if (!isRecord(body)) return false;
    return matchesObject(policy, bodyScope(body));
  }
  return matchesObject(policy, {
    values: (key) => {
      const attribute = message.attributes[key];
      return attribute ? attributeValues(attribute) : undefined;
    },
    children: () => [],
  });
};
