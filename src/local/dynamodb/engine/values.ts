/**
 * DynamoDB attribute values as they travel in DynamoDB JSON (`{ S: 'x' }`,
 * `{ N: '1.50' }`, `{ B: '<base64>' }`, …) and the rules DynamoDB compares
 * them by: numbers as decimals, strings and binaries by their bytes, sets as
 * sets. The first brick of an in-process store; see ARCHITECTURE.md.
 */

/** One attribute value in DynamoDB JSON; exactly one member is set. Binaries are base64 text on the wire. */
export interface Value {
  S?: string;
  N?: string;
  B?: string | Uint8Array;
  SS?: string[];
  NS?: string[];
  BS?: Array<string | Uint8Array>;
  BOOL?: boolean;
  NULL?: boolean;
  L?: Value[];
  M?: Record<string, Value>;
}
export type Item = Record<string, Value>;

export type SetType = 'SS' | 'NS' | 'BS';

/** The elements of a set attribute of the given type (none for any other value). */
export const elementsOf = (value: Value, type: SetType): unknown[] => (value[type] as unknown[] | undefined) ?? [];

/** A set attribute of a type from its elements. */
export const makeSet = (type: SetType, elements: unknown[]): Value => ({ [type]: elements }) as Value;

/** A scalar of a set's element type (`S` for `SS`, …). */
export const element = (type: SetType, value: unknown): Value => ({ [type.slice(0, 1)]: value }) as Value;

export type TypeName = 'S' | 'N' | 'B' | 'SS' | 'NS' | 'BS' | 'BOOL' | 'NULL' | 'L' | 'M';

/** The type names DynamoDB's messages spell out. */
export const LONG_TYPE_NAMES: Record<TypeName, string> = {
  S: 'STRING',
  N: 'NUMBER',
  B: 'BINARY',
  BOOL: 'BOOLEAN',
  NULL: 'NULL',
  L: 'LIST',
  M: 'MAP',
  SS: 'STRING_SET',
  NS: 'NUMBER_SET',
  BS: 'BINARY_SET',
};

const TYPES: readonly TypeName[] = ['S', 'N', 'B', 'SS', 'NS', 'BS', 'BOOL', 'NULL', 'L', 'M'];

export const typeOf = (value: Value): TypeName => {
  for (const type of TYPES) if (value[type] !== undefined) return type;
  throw new Error(`not an attribute value: ${JSON.stringify(value)}`);
};

export const isTypeName = (name: string): name is TypeName => (TYPES as readonly string[]).includes(name);

/** A decimal as sign, digits without leading or trailing zeros, and the exponent of its first digit. */
interface Decimal {
  sign: -1 | 0 | 1;
  digits: string;
  exponent: number;
}

const parseDecimal = (text: string): Decimal => {
  const match = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) throw new Error(`not a number: ${text}`);
  const whole = match[2] ?? '';
  const fraction = match[3] ?? '';
  let digits = whole + fraction;
  let exponent = whole.length + Number(match[4] ?? 0);
  const leading = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(leading);
  exponent -= leading;
  digits = digits.replace(/0+$/, '');
  if (digits === '') return { sign: 0, digits: '', exponent: 0 };
  return { sign: match[1] === '-' ? -1 : 1, digits, exponent };
};

/** Compares two DynamoDB numbers exactly (up to DynamoDB's 38 digits and beyond). */
export const compareNumbers = (a: string, b: string): number => {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  if (x.sign !== y.sign) return x.sign < y.sign ? -1 : 1;
  if (x.sign === 0) return 0;
  let magnitude: number;
  if (x.exponent !== y.exponent) magnitude = x.exponent < y.exponent ? -1 : 1;
  else {
    const length = Math.max(x.digits.length, y.digits.length);
    const dx = x.digits.padEnd(length, '0');
    const dy = y.digits.padEnd(length, '0');
    magnitude = dx === dy ? 0 : dx < dy ? -1 : 1;
  }
  return magnitude * x.sign;
};

const compareBytes = (a: Buffer, b: Buffer): number => Buffer.compare(a, b);

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Orders strings by their UTF-8 bytes, as DynamoDB does. Without surrogates,
 * UTF-16 code units order as code points do, and code points as UTF-8 bytes,
 * so only strings with characters beyond the BMP need their bytes.
 */
export const compareStrings = (a: string, b: string): number => {
  if (SURROGATE.test(a) || SURROGATE.test(b)) return compareBytes(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  return a === b ? 0 : a < b ? -1 : 1;
};

/** DynamoDB's limits on a stored number: 38 significant digits, magnitudes from 1E-130 to below 1E+126. */
const MAX_DIGITS = 38;
const MAX_EXPONENT = 126;
const MIN_EXPONENT = -129;

/**
 * A number as DynamoDB stores and returns it: plain decimal notation, no
 * exponent, no leading or trailing zeros, no sign on zero (`1.50` → `1.5`,
 * `1e2` → `100`, `-0` → `0`). Refuses what DynamoDB refuses, with its messages.
 */
export const normalizeNumber = (text: string): string => {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text))
    throw new NumberError('A value provided cannot be converted into a number');
  const { sign, digits, exponent } = parseDecimal(text);
  if (sign === 0) return '0';
  if (digits.length > MAX_DIGITS) throw new NumberError('DynamoDB only supports precision up to 38 digits');
  if (exponent > MAX_EXPONENT)
    throw new NumberError('Number overflow. Attempting to store a number with magnitude larger than supported range');
  if (exponent < MIN_EXPONENT)
    throw new NumberError('Number underflow. Attempting to store a number with magnitude smaller than supported range');
  const body =
    exponent <= 0
      ? `0.${'0'.repeat(-exponent)}${digits}`
      : exponent >= digits.length
        ? digits + '0'.repeat(exponent - digits.length)
        : `${digits.slice(0, exponent)}.${digits.slice(exponent)}`;
  return sign < 0 ? `-${body}` : body;
};

/** A number DynamoDB cannot store; the store reports it as a ValidationException. */
export class NumberError extends Error {}

const bytesOf = (value: unknown): Buffer =>
  value instanceof Uint8Array ? Buffer.from(value) : Buffer.from(String(value), 'base64');

/** Orders two scalars of the same type (N, S or B) as DynamoDB sorts keys; undefined for any other pair. */
export const compareScalars = (a: Value, b: Value): number | undefined => {
  const type = typeOf(a);
  if (type !== typeOf(b)) return undefined;
  if (type === 'N') return compareNumbers(String(a.N), String(b.N));
  if (type === 'S') return compareStrings(String(a.S), String(b.S));
  if (type === 'B') return compareBytes(bytesOf(a.B), bytesOf(b.B));
  return undefined;
};

const setKey = (type: TypeName, element: unknown): string => {
  if (type === 'NS') {
    const d = parseDecimal(String(element));
    return `${d.sign}:${d.digits}:${d.exponent}`;
  }
  if (type === 'BS') return bytesOf(element).toString('base64');
  return String(element);
};

/** DynamoDB's equality: same type and same value; numbers as decimals, sets as sets, lists and maps deeply. */
export const equals = (a: Value, b: Value): boolean => {
  const type = typeOf(a);
  if (type !== typeOf(b)) return false;
  switch (type) {
    case 'S':
    case 'N':
    case 'B':
      return compareScalars(a, b) === 0;
    case 'BOOL':
      return a.BOOL === b.BOOL;
    case 'NULL':
      return true;
    case 'SS':
    case 'NS':
    case 'BS': {
      const left = new Set(elementsOf(a, type).map((e) => setKey(type, e)));
      const right = new Set(elementsOf(b, type).map((e) => setKey(type, e)));
      return left.size === right.size && [...left].every((e) => right.has(e));
    }
    case 'L': {
      const left = a.L ?? [];
      const right = b.L ?? [];
      return left.length === right.length && left.every((e, i) => equals(e, right[i] as Value));
    }
    case 'M': {
      const left = a.M ?? {};
      const right = b.M ?? {};
      const keys = Object.keys(left);
      return (
        keys.length === Object.keys(right).length &&
        keys.every((k) => right[k] !== undefined && equals(left[k] as Value, right[k] as Value))
      );
    }
  }
};

/** Whether a set attribute holds an element (given as a scalar of the set's element type). */
export const setHas = (set: Value, member: Value): boolean => {
  const type = typeOf(set);
  if (type !== 'SS' && type !== 'NS' && type !== 'BS') return false;
  const elementType = type.slice(0, 1) as 'S' | 'N' | 'B';
  if (typeOf(member) !== elementType) return false;
  const wanted = setKey(type, member[elementType]);
  return elementsOf(set, type).some((e) => setKey(type, e) === wanted);
};

/** `size()`: a string's length in characters, a binary's bytes, a collection's element count; undefined otherwise. */
export const sizeOf = (value: Value): number | undefined => {
  switch (typeOf(value)) {
    case 'S':
      return [...String(value.S)].length;
    case 'B':
      return bytesOf(value.B).length;
    case 'SS':
      return value.SS?.length;
    case 'NS':
      return value.NS?.length;
    case 'BS':
      return value.BS?.length;
    case 'L':
      return value.L?.length;
    case 'M':
      return Object.keys(value.M ?? {}).length;
    default:
      return undefined;
  }
};
