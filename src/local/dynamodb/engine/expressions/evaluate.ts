import { ValidationError } from '../errors';
import { compareScalars, equals, type Item, setHas, sizeOf, typeOf, type Value } from '../values';
import type { Condition, Operand, Path, Placeholders } from './ast';

/** A condition against an item: DynamoDB's semantics of each operator and function. */

/** The value at a path, or undefined when any step is missing or of the wrong kind. */
export const resolvePath = (item: Item, path: Path): Value | undefined => {
  let current: Value | undefined;
  for (const [i, element] of path.entries()) {
    if (i === 0) {
      current = 'name' in element ? item[element.name] : undefined;
    } else if ('name' in element) {
      current = current?.M?.[element.name];
    } else {
      current = current?.L?.[element.index];
    }
    if (current === undefined) return undefined;
  }
  return current;
};

export const operandValue = (operand: Operand, item: Item, placeholders: Placeholders): Value | undefined => {
  switch (operand.kind) {
    case 'path':
      return resolvePath(item, operand.path);
    case 'value':
      return placeholders.value(operand.placeholder);
    case 'size': {
      const value = operandValue(operand.subject, item, placeholders);
      const size = value === undefined ? undefined : sizeOf(value);
      return size === undefined ? undefined : { N: String(size) };
    }
    default:
      throw new ValidationError('Invalid ConditionExpression: this function can be used only in an update expression');
  }
};

export const evaluate = (condition: Condition, item: Item, placeholders: Placeholders): boolean => {
  switch (condition.kind) {
    case 'and':
      return evaluate(condition.left, item, placeholders) && evaluate(condition.right, item, placeholders);
    case 'or':
      return evaluate(condition.left, item, placeholders) || evaluate(condition.right, item, placeholders);
    case 'not':
      return !evaluate(condition.condition, item, placeholders);
    case 'exists':
      return resolvePath(item, condition.path) !== undefined;
    case 'not_exists':
      return resolvePath(item, condition.path) === undefined;
    case 'type': {
      const value = operandValue(condition.subject, item, placeholders);
      const type = operandValue(condition.type, item, placeholders);
      return value !== undefined && type?.S !== undefined && typeOf(value) === type.S;
    }
    case 'begins_with': {
      const value = operandValue(condition.subject, item, placeholders);
      const prefix = operandValue(condition.prefix, item, placeholders);
      if (value === undefined || prefix === undefined) return false;
      if (value.S !== undefined && prefix.S !== undefined) return value.S.startsWith(prefix.S);
      if (value.B !== undefined && prefix.B !== undefined) {
        const bytes = Buffer.from(value.B as string, 'base64');
        const start = Buffer.from(prefix.B as string, 'base64');
        return bytes.subarray(0, start.length).equals(start);
      }
      return false;
    }
    case 'contains': {
      const value = operandValue(condition.subject, item, placeholders);
      const wanted = operandValue(condition.operand, item, placeholders);
      if (value === undefined || wanted === undefined) return false;
      if (value.S !== undefined) return wanted.S !== undefined && value.S.includes(wanted.S);
      if (value.B !== undefined)
        return (
          wanted.B !== undefined &&
          Buffer.from(String(value.B), 'base64').includes(Buffer.from(String(wanted.B), 'base64'))
        );
      if (value.L !== undefined) return value.L.some((element) => equals(element, wanted));
      return setHas(value, wanted);
    }
    case 'compare': {
      const left = operandValue(condition.left, item, placeholders);
      const right = operandValue(condition.right, item, placeholders);
      // A missing attribute equals nothing, so it differs from everything.
      if (left === undefined || right === undefined) return condition.op === '<>';
      if (condition.op === '=') return equals(left, right);
      if (condition.op === '<>') return !equals(left, right);
      const order = compareScalars(left, right);
      if (order === undefined) return false;
      switch (condition.op) {
        case '<':
          return order < 0;
        case '<=':
          return order <= 0;
        case '>':
          return order > 0;
        default:
          return order >= 0;
      }
    }
    case 'between': {
      const value = operandValue(condition.operand, item, placeholders);
      const low = operandValue(condition.low, item, placeholders);
      const high = operandValue(condition.high, item, placeholders);
      if (value === undefined || low === undefined || high === undefined) return false;
      const above = compareScalars(value, low);
      const below = compareScalars(value, high);
      return above !== undefined && below !== undefined && above >= 0 && below <= 0;
    }
    case 'in': {
      const value = operandValue(condition.operand, item, placeholders);
      if (value === undefined) return false;
      return condition.list.some((o) => {
        const candidate = operandValue(o, item, placeholders);
        return candidate !== undefined && equals(value, candidate);
      });
    }
  }
};
