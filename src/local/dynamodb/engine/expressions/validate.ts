import { ValidationError } from '../errors';
import { compareScalars, isTypeName, type TypeName, typeOf, type Value } from '../values';
import { type Condition, formatPath, type Operand, type Path, type PathElement, type Placeholders } from './ast';

/** What DynamoDB checks of an expression before it reads the item. */

/** `a + :v` with a value that is not a number is refused before the item is read. */
export const checkArithmetic = (operand: Operand, placeholders: Placeholders): void => {
  if (operand.kind === 'list_append') {
    for (const side of [operand.left, operand.right]) {
      if (side.kind !== 'value') continue;
      const type = typeOf(placeholders.value(side.placeholder));
      if (type !== 'L')
        throw new ValidationError(
          `Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: ${type}`,
        );
    }
    return;
  }
  if (operand.kind !== 'arithmetic') return;
  for (const side of [operand.left, operand.right]) {
    if (side.kind !== 'value') continue;
    const type = typeOf(placeholders.value(side.placeholder));
    if (type !== 'N')
      throw new ValidationError(
        `Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: ${operand.op}, operand type: ${type}`,
      );
  }
};

/**
 * DynamoDB refuses two paths of one expression where one contains the other
 * (they overlap) or where they part as a name against an index (they conflict).
 */
export const checkPaths = (paths: Path[], kind: string): void => {
  for (let i = 0; i < paths.length; i += 1) {
    for (let j = i + 1; j < paths.length; j += 1) {
      const a = paths[i] as Path;
      const b = paths[j] as Path;
      const shorter = Math.min(a.length, b.length);
      let parting = -1;
      for (let k = 0; k < shorter && parting < 0; k += 1)
        if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) parting = k;
      const how =
        parting < 0
          ? 'overlap'
          : 'name' in (a[parting] as PathElement) !== 'name' in (b[parting] as PathElement)
            ? 'conflict'
            : undefined;
      if (how)
        throw new ValidationError(
          `Invalid ${kind}: Two document paths ${how} with each other; must remove or rewrite one of these paths; path one: ${formatPath(a)}, path two: ${formatPath(b)}`,
        );
    }
  }
};

const ORDERABLE = new Set<TypeName>(['N', 'S', 'B']);

/** DynamoDB refuses, before reading the item, an ordering against a value that cannot be ordered. */
const checkOrderable = (operand: Operand, op: string, kind: string, placeholders: Placeholders): void => {
  if (operand.kind !== 'value') return;
  const type = typeOf(placeholders.value(operand.placeholder));
  if (!ORDERABLE.has(type))
    throw new ValidationError(
      `Invalid ${kind}: Incorrect operand type for operator or function; operator or function: ${op}, operand type: ${type}`,
    );
};

/** DynamoDB refuses comparing an attribute with itself (`n = n`). */
const checkDistinct = (first: Operand, rest: Operand[], op: string, kind: string): void => {
  if (first.kind !== 'path') return;
  const path = JSON.stringify(first.path);
  if (rest.some((o) => o.kind === 'path' && JSON.stringify(o.path) === path))
    throw new ValidationError(
      `Invalid ${kind}: The first operand must be distinct from the remaining operands for this operator or function; operator: ${op}, first operand: ${formatPath(first.path)}`,
    );
};

/** `size(size(a))`: a size is a number, which has none. */
const checkSizes = (operand: Operand, kind: string, placeholders: Placeholders): void => {
  if (operand.kind !== 'size') return;
  const subject = operand.subject;
  // A value has its size checked before the item is read: numbers, booleans and nulls have none.
  const valueType = subject.kind === 'value' ? typeOf(placeholders.value(subject.placeholder)) : undefined;
  const type =
    subject.kind === 'size' ? 'N' : valueType && ['N', 'BOOL', 'NULL'].includes(valueType) ? valueType : undefined;
  if (type)
    throw new ValidationError(
      `Invalid ${kind}: Incorrect operand type for operator or function; operator or function: size, operand type: ${type}`,
    );
  checkSizes(subject, kind, placeholders);
};

/** Checks what DynamoDB checks before evaluating: operand types that are known from the values alone. */
export const validateCondition = (condition: Condition, kind: string, placeholders: Placeholders): void => {
  switch (condition.kind) {
    case 'compare':
      checkDistinct(condition.left, [condition.right], condition.op, kind);
      for (const side of [condition.left, condition.right]) checkSizes(side, kind, placeholders);
      if (condition.op !== '=' && condition.op !== '<>') {
        checkOrderable(condition.left, condition.op, kind, placeholders);
        checkOrderable(condition.right, condition.op, kind, placeholders);
      }
      return;
    case 'in':
      checkDistinct(condition.operand, condition.list, 'IN', kind);
      return;
    case 'between':
      checkDistinct(condition.operand, [condition.low, condition.high], 'BETWEEN', kind);
      for (const o of [condition.operand, condition.low, condition.high])
        checkOrderable(o, 'BETWEEN', kind, placeholders);
      if (condition.low.kind === 'value' && condition.high.kind === 'value') {
        const low = placeholders.value(condition.low.placeholder);
        const high = placeholders.value(condition.high.placeholder);
        const shown = (v: Value) => `AttributeValue: {${typeOf(v)}:${String(v.S ?? v.N ?? v.B)}}`;
        const operands = `lower bound operand: ${shown(low)}, upper bound operand: ${shown(high)}`;
        if (typeOf(low) !== typeOf(high))
          throw new ValidationError(
            `Invalid ${kind}: The BETWEEN operator requires same data type for lower and upper bounds; ${operands}`,
          );
        if ((compareScalars(low, high) ?? 0) > 0)
          throw new ValidationError(
            `Invalid ${kind}: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; ${operands}`,
          );
      }
      return;
    case 'and':
    case 'or':
      validateCondition(condition.left, kind, placeholders);
      validateCondition(condition.right, kind, placeholders);
      return;
    case 'not':
      validateCondition(condition.condition, kind, placeholders);
      return;
    case 'type': {
      checkDistinct(condition.subject, [condition.type], 'attribute_type', kind);
      checkSizes(condition.subject, kind, placeholders);
      // The type to compare to must be a value, not read from the item; DynamoDB Local words it with its own types.
      if (condition.type.kind !== 'value')
        throw new ValidationError(
          `Invalid ${kind}: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: ${condition.type.kind === 'size' ? 'N' : '{N,DECIMALSET,BOOL,SS,DOUBLE,M,DOUBLESET,INT,B,INTSET,S,DECIMAL,NS,FLOAT,DICT,BS,FS,NULL,L,HDS,HD}'}`,
        );
      const value = placeholders.value(condition.type.placeholder);
      if (typeOf(value) !== 'S')
        throw new ValidationError(
          `Invalid ${kind}: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: ${typeOf(value)}`,
        );
      if (!isTypeName(String(value.S)))
        throw new ValidationError(
          `Invalid ${kind}: Invalid attribute type name found; type: ${String(value.S ?? typeOf(value))}, valid types: {N,BS,L,B,NULL,M,S,SS,NS,BOOL}`,
        );
      return;
    }
    case 'contains':
      checkDistinct(condition.subject, [condition.operand], 'contains', kind);
      return;
    case 'begins_with': {
      checkDistinct(condition.subject, [condition.prefix], 'begins_with', kind);
      if (condition.prefix.kind !== 'value') return;
      const type = typeOf(placeholders.value(condition.prefix.placeholder));
      if (type !== 'S' && type !== 'B')
        throw new ValidationError(
          `Invalid ${kind}: Incorrect operand type for operator or function; operator or function: begins_with, operand type: ${type}`,
        );
      return;
    }
    default:
      return;
  }
};

/** Evaluates a condition, filter or key condition against an item (empty for an item that does not exist). */
