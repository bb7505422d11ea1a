import { ValidationError } from './errors';
import { type Item, NumberError, normalizeNumber, type Value } from './values';

/**
 * What DynamoDB checks of an attribute value it is given, and the form it
 * stores: one data type per value, numbers in their normal form, sets neither
 * empty nor holding duplicates. Stored items are frozen, so that the store can
 * hand them out without copying and nothing can change them behind its back.
 */

const SET_NAMES = { SS: 'string', NS: 'number', BS: 'binary' } as const;

const fail = (message: string): never => {
  throw new ValidationError(message);
};

const number = (text: unknown): string => {
  if (typeof text !== 'string') return fail('A value provided cannot be converted into a number');
  try {
    return normalizeNumber(text);
  } catch (error) {
    if (error instanceof NumberError) return fail(error.message);
    throw error;
  }
};

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const binary = (value: unknown): string => {
  const text = value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value;
  if (typeof text !== 'string' || text.length % 4 !== 0 || !BASE64.test(text))
    return fail('Invalid Binary Attribute Value: base64 encoding is malformed');
  return text;
};

const MEMBERS = ['S', 'N', 'B', 'SS', 'NS', 'BS', 'BOOL', 'NULL', 'L', 'M'] as const;

/** How many lists and maps an attribute of an item may nest: the item is the 32nd level. */
export const MAX_NESTING = 31;
export const NESTING_MESSAGE =
  'Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit';
const MAX_NAME_BYTES = 65535;

/** DynamoDB's checks of an attribute name, in an item, a map or ExpressionAttributeNames. */
export const checkName = (name: string): void => {
  if (name === '') fail('Empty attribute name');
  // A UTF-8 byte is at most three UTF-16 units' worth of a code unit: count bytes only near the limit.
  if (name.length * 3 > MAX_NAME_BYTES && Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES)
    fail('Attribute name is too large, must be less than 65536 bytes');
};

/**
 * A checked and frozen copy of an attribute value. Numbers at the top of an
 * item, alone or in a set, take their normal form; DynamoDB Local keeps the
 * text of numbers nested in lists and maps as given, after checking them.
 * `room` is how many more lists and maps may nest in it: the recursion stops
 * there, so no input can exhaust the stack.
 */
export const checkValue = (value: unknown, nested = false, room = MAX_NESTING): Value => {
  if (typeof value !== 'object' || value === null)
    return fail('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  let type: (typeof MEMBERS)[number] | undefined;
  for (const member of MEMBERS) {
    if ((value as Record<string, unknown>)[member] === undefined) continue;
    if (type !== undefined)
      fail(
        'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes',
      );
    type = member;
  }
  const raw = (value as Record<string, unknown>)[type ?? 'S'];
  switch (type) {
    case undefined:
      return fail('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
    case 'S':
      return Object.freeze({ S: String(raw) });
    case 'N': {
      const normal = number(raw);
      return Object.freeze({ N: nested ? String(raw) : normal });
    }
    case 'B':
      return Object.freeze({ B: binary(raw) });
    case 'BOOL':
      return Object.freeze({ BOOL: Boolean(raw) });
    case 'NULL':
      if (raw !== true)
        fail('One or more parameter values were invalid: Null attribute value types must have the value of true');
      return Object.freeze({ NULL: true });
    case 'L':
      if (!Array.isArray(raw))
        return fail('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
      if (room <= 0) return fail(NESTING_MESSAGE);
      return Object.freeze({ L: Object.freeze(raw.map((element) => checkValue(element, true, room - 1))) as Value[] });
    case 'M': {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        return fail('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
      if (room <= 0) return fail(NESTING_MESSAGE);
      const map: Record<string, Value> = {};
      for (const [key, member] of Object.entries(raw)) {
        checkName(key);
        map[key] = checkValue(member, true, room - 1);
      }
      return Object.freeze({ M: Object.freeze(map) });
    }
    default: {
      if (!Array.isArray(raw))
        return fail('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
      if (raw.length === 0)
        fail(`One or more parameter values were invalid: An ${SET_NAMES[type]} set  may not be empty`);
      const elements =
        type === 'NS' ? raw.map(number) : type === 'BS' ? raw.map(binary) : raw.map((element) => String(element));
      if (new Set(elements).size !== elements.length) {
        // DynamoDB Local words this one differently for strings and for the other set types.
        if (type === 'SS')
          fail(
            `One or more parameter values were invalid: Input collection [${elements.join(', ')}] contains duplicates`,
          );
        fail('Input collection contains duplicates');
      }
      return Object.freeze({ [type]: Object.freeze(elements) }) as Value;
    }
  }
};

/** A checked, normalized and frozen copy of an item. */
export const checkItem = (item: unknown): Item => {
  if (typeof item !== 'object' || item === null || Array.isArray(item))
    return fail(
      "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null",
    );
  const checked: Item = {};
  for (const [name, value] of Object.entries(item)) {
    checkName(name);
    checked[name] = checkValue(value);
  }
  return Object.freeze(checked);
};

/** An item built by the store itself from checked values (an update's result), frozen throughout. */
export const freezeItem = (item: Item): Item => {
  for (const value of Object.values(item)) freezeValue(value);
  return Object.freeze(item);
};

const freezeValue = (value: Value): void => {
  if (Object.isFrozen(value)) return;
  if (value.L) for (const element of value.L) freezeValue(element);
  if (value.M) for (const member of Object.values(value.M)) freezeValue(member);
  const inner = value.L ?? value.M ?? value.SS ?? value.NS ?? value.BS;
  if (inner) Object.freeze(inner);
  Object.freeze(value);
};

const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

/** DynamoDB's size of a value in bytes, as its item-size limit and capacity units count it. */
export const valueSize = (value: Value): number => {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined)
    return Math.floor((String(value.B).length * 3) / 4) - (String(value.B).match(/=+$/)?.[0].length ?? 0);
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS) return value.SS.reduce((sum, s) => sum + utf8(s), 0);
  if (value.NS) return value.NS.reduce((sum, n) => sum + numberSize(n), 0);
  if (value.BS) return value.BS.reduce((sum, b) => sum + valueSize({ B: b }), 0);
  if (value.L) return 3 + value.L.reduce((sum, element) => sum + 1 + valueSize(element), 0);
  if (value.M)
    return 3 + Object.entries(value.M).reduce((sum, [name, member]) => sum + 1 + utf8(name) + valueSize(member), 0);
  return 0;
};

/** About one byte per two significant digits, plus one. */
const numberSize = (text: string): number => {
  const digits = text.replace(/[-.]/g, '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(digits.length / 2) + 1;
};

export const itemSize = (item: Item): number =>
  Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + valueSize(value), 0);

export const MAX_ITEM_BYTES = 400 * 1024;
