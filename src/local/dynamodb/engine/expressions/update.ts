import { ValidationError } from '../errors';
import {
  element,
  elementsOf,
  type Item,
  LONG_TYPE_NAMES,
  makeSet,
  type SetType,
  setHas,
  type TypeName,
  typeOf,
  type Value,
} from '../values';
import type { Operand, Path, Placeholders, UpdateActions } from './ast';
import { resolvePath } from './evaluate';

/** Update actions applied to an item: SET, REMOVE, ADD and DELETE, with DynamoDB's arithmetic and path rules. */

/** Exact decimal arithmetic for ADD and SET a = b + c, as DynamoDB does it (38 significant digits). */
export const addNumbers = (a: string, b: string, negateB = false): string => {
  const scaled = (text: string): { mantissa: bigint; scale: number } => {
    const match = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
    if (!match) throw new ValidationError(`The parameter cannot be converted to a numeric value: ${text}`);
    const digits = `${match[2] ?? ''}${match[3] ?? ''}` || '0';
    let scale = (match[3] ?? '').length - Number(match[4] ?? 0);
    let mantissa = BigInt(digits) * (match[1] === '-' ? -1n : 1n);
    if (scale < 0) {
      mantissa *= 10n ** BigInt(-scale);
      scale = 0;
    }
    return { mantissa, scale };
  };
  const x = scaled(a);
  const y = scaled(b);
  const scale = Math.max(x.scale, y.scale);
  const total =
    x.mantissa * 10n ** BigInt(scale - x.scale) + (negateB ? -1n : 1n) * y.mantissa * 10n ** BigInt(scale - y.scale);
  const negative = total < 0n;
  let digits = (negative ? -total : total).toString().padStart(scale + 1, '0');
  let result = scale > 0 ? `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}` : digits;
  if (scale > 0) result = result.replace(/0+$/, '').replace(/\.$/, '');
  digits = result;
  return negative && digits !== '0' ? `-${digits}` : digits;
};

const updateValue = (operand: Operand, item: Item, placeholders: Placeholders): Value => {
  switch (operand.kind) {
    case 'value':
      return placeholders.value(operand.placeholder);
    case 'path': {
      const value = resolvePath(item, operand.path);
      if (value === undefined)
        throw new ValidationError('The provided expression refers to an attribute that does not exist in the item');
      return value;
    }
    case 'if_not_exists':
      return resolvePath(item, operand.path) ?? updateValue(operand.fallback, item, placeholders);
    case 'list_append': {
      const left = updateValue(operand.left, item, placeholders);
      const right = updateValue(operand.right, item, placeholders);
      if (left.L === undefined || right.L === undefined) throw new ValidationError(MISMATCH);
      return { L: [...left.L, ...right.L] };
    }
    case 'arithmetic': {
      const left = updateValue(operand.left, item, placeholders);
      const right = updateValue(operand.right, item, placeholders);
      if (left.N === undefined || right.N === undefined) throw new ValidationError(MISMATCH);
      return { N: addNumbers(left.N, right.N, operand.op === '-') };
    }
    case 'size':
      throw new ValidationError(
        'Invalid UpdateExpression: The function is not allowed in an update expression; function: size',
      );
  }
};

export const clone = <T>(value: T): T => structuredClone(value);

/** What DynamoDB says when ADD or DELETE meets an attribute of another type. */
export const MISMATCH = 'An operand in the update expression has an incorrect data type';

const INVALID_PATH = 'The document path provided in the update expression is invalid for update';

/** Writes a value at a path; the parent must exist (a map for a name, a list for an index). */
const writePath = (item: Item, path: Path, value: Value): void => {
  const [first, ...rest] = path;
  if (!first || !('name' in first)) throw new ValidationError(INVALID_PATH);
  if (rest.length === 0) {
    item[first.name] = value;
    return;
  }
  let parent = item[first.name];
  for (const [i, element] of rest.entries()) {
    if (parent === undefined) throw new ValidationError(INVALID_PATH);
    const last = i === rest.length - 1;
    if ('name' in element) {
      if (parent.M === undefined) throw new ValidationError(INVALID_PATH);
      if (last) parent.M[element.name] = value;
      else parent = parent.M[element.name];
    } else {
      if (parent.L === undefined) throw new ValidationError(INVALID_PATH);
      if (last) {
        if (element.index >= parent.L.length) parent.L.push(value);
        else parent.L[element.index] = value;
      } else parent = parent.L[element.index];
    }
  }
};

/** Takes a path away; its parent must exist, except in an item that does not exist yet, where DynamoDB ignores it. */
const removePath = (item: Item, path: Path, newItem = false): void => {
  const parentPath = path.slice(0, -1);
  const last = path.at(-1);
  if (!last) return;
  if (parentPath.length === 0) {
    if ('name' in last) delete item[last.name];
    return;
  }
  const parent = resolvePath(item, parentPath);
  if (parent === undefined) {
    if (newItem) return;
    throw new ValidationError(INVALID_PATH);
  }
  // A name under something that is not a map, or an index under something that is not a list, is refused.
  if ('name' in last) {
    if (!parent.M) throw new ValidationError(INVALID_PATH);
    delete parent.M[last.name];
  } else if (!parent.L) throw new ValidationError(INVALID_PATH);
  else if (last.index < parent.L.length) parent.L.splice(last.index, 1);
};

const isSetType = (type: TypeName): type is SetType => type === 'SS' || type === 'NS' || type === 'BS';

/** Applies update actions to a copy of the item (empty when it does not exist yet); returns the new item. */
export const applyUpdate = (
  actions: UpdateActions,
  current: Item,
  placeholders: Placeholders,
  newItem = false,
): Item => {
  const item = clone(current);
  // Every right-hand side reads the item as it was before the update.
  const sets = actions.set.map(({ path, value }) => ({
    path,
    value: clone(updateValue(value, current, placeholders)),
  }));
  // Writes past the end of a list append in the order of their indexes, not in the order written.
  const pastEnd = (path: Path): number => {
    const last = path.at(-1);
    if (!last || !('index' in last) || path.length < 2) return -1;
    const list = resolvePath(current, path.slice(0, -1))?.L;
    return list && last.index >= list.length ? last.index : -1;
  };
  const placed = sets.map((set) => ({ ...set, after: pastEnd(set.path) }));
  const ordered = [
    ...placed.filter((s) => s.after < 0),
    ...placed.filter((s) => s.after >= 0).sort((a, b) => a.after - b.after),
  ];
  for (const { path, value } of ordered) writePath(item, path, value);
  // List elements go from the highest index down, so that earlier removals do not shift later ones.
  const removals = [...actions.remove].sort((a, b) => {
    const ai = a.at(-1);
    const bi = b.at(-1);
    return ai && bi && 'index' in ai && 'index' in bi ? bi.index - ai.index : 0;
  });
  for (const path of removals) removePath(item, path, newItem);
  for (const { path, value } of actions.add) {
    const operand = placeholders.value((value as { placeholder: string }).placeholder);
    const existing = resolvePath(item, path);
    const type = typeOf(operand);
    if (type === 'N') {
      if (existing !== undefined && existing.N === undefined) throw new ValidationError(MISMATCH);
      writePath(item, path, { N: addNumbers(existing?.N ?? '0', String(operand.N)) });
    } else if (isSetType(type)) {
      if (existing !== undefined && typeOf(existing) !== type) throw new ValidationError(MISMATCH);
      const merged = [...(existing ? elementsOf(existing, type) : [])];
      for (const member of elementsOf(operand, type)) {
        if (!setHas(makeSet(type, merged), element(type, member))) merged.push(member);
      }
      writePath(item, path, makeSet(type, merged));
    } else {
      throw new ValidationError(
        `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: ${LONG_TYPE_NAMES[type]}, typeSet: ALLOWED_FOR_ADD_OPERAND`,
      );
    }
  }
  for (const { path, value } of actions.delete) {
    const operand = placeholders.value((value as { placeholder: string }).placeholder);
    const type = typeOf(operand);
    if (!isSetType(type))
      throw new ValidationError(
        `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: ${LONG_TYPE_NAMES[type]}, typeSet: ALLOWED_FOR_DELETE_OPERAND`,
      );
    const existing = resolvePath(item, path);
    if (existing === undefined) continue;
    if (typeOf(existing) !== type) throw new ValidationError(MISMATCH);
    const kept = elementsOf(existing, type).filter((member) => !setHas(operand, element(type, member)));
    if (kept.length === 0) removePath(item, path);
    else writePath(item, path, makeSet(type, kept));
  }
  return item;
};
