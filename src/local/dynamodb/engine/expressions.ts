import { RESERVED_WORDS } from './reserved-words';
import {
  compareScalars,
  element,
  elementsOf,
  equals,
  type Item,
  isTypeName,
  makeSet,
  type SetType,
  setHas,
  sizeOf,
  type TypeName,
  typeOf,
  type Value,
} from './values';

/**
 * DynamoDB's expression language: condition and filter expressions, key
 * conditions, update expressions and projections, parsed once into a tree and
 * evaluated against items in DynamoDB JSON. Errors are DynamoDB's
 * ValidationException. Checked against DynamoDB Local by
 * `expressions.integration.test.ts`.
 */

export class ValidationError extends Error {
  override readonly name = 'ValidationException';
}

export type PathElement = { name: string } | { index: number };
export type Path = PathElement[];

export type Operand =
  | { kind: 'path'; path: Path }
  | { kind: 'value'; placeholder: string }
  | { kind: 'size'; path: Path }
  | { kind: 'if_not_exists'; path: Path; fallback: Operand }
  | { kind: 'list_append'; left: Operand; right: Operand }
  | { kind: 'arithmetic'; op: '+' | '-'; left: Operand; right: Operand };

export type Condition =
  | { kind: 'compare'; op: '=' | '<>' | '<' | '<=' | '>' | '>='; left: Operand; right: Operand }
  | { kind: 'between'; operand: Operand; low: Operand; high: Operand }
  | { kind: 'in'; operand: Operand; list: Operand[] }
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; condition: Condition }
  | { kind: 'exists' | 'not_exists'; path: Path }
  | { kind: 'type'; path: Path; type: Operand }
  | { kind: 'begins_with'; path: Path; prefix: Operand }
  | { kind: 'contains'; path: Path; operand: Operand };

export interface UpdateActions {
  set: Array<{ path: Path; value: Operand }>;
  remove: Path[];
  add: Array<{ path: Path; value: Operand }>;
  delete: Array<{ path: Path; value: Operand }>;
}

/** The placeholders of a request, and which of them its expressions used. */
export class Placeholders {
  readonly usedNames = new Set<string>();
  readonly usedValues = new Set<string>();

  constructor(
    readonly names: Record<string, string> = {},
    readonly values: Record<string, Value> = {},
  ) {}

  name(placeholder: string, kind: string): string {
    const name = this.names[placeholder];
    if (name === undefined)
      throw new ValidationError(
        `Invalid ${kind}: An expression attribute name used in the document path is not defined; attribute name: ${placeholder}`,
      );
    this.usedNames.add(placeholder);
    return name;
  }

  value(placeholder: string, kind = 'Expression'): Value {
    const value = this.values[placeholder];
    if (value === undefined)
      throw new ValidationError(
        `Invalid ${kind}: An expression attribute value used in expression is not defined; attribute value: ${placeholder}`,
      );
    this.usedValues.add(placeholder);
    return value;
  }

  /** DynamoDB refuses placeholders that no expression of the request uses. */
  checkAllUsed(): void {
    const unusedNames = Object.keys(this.names).filter((n) => !this.usedNames.has(n));
    if (unusedNames.length > 0)
      throw new ValidationError(
        `Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`,
      );
    const unusedValues = Object.keys(this.values).filter((v) => !this.usedValues.has(v));
    if (unusedValues.length > 0)
      throw new ValidationError(
        `Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`,
      );
  }
}

interface Token {
  type: 'name' | 'nameRef' | 'valueRef' | 'number' | 'op' | 'end';
  text: string;
  start: number;
}

const tokenize = (source: string, kind: string): Token[] => {
  const tokens: Token[] = [];
  const pattern =
    /\s+|(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z][A-Za-z0-9_]*)|(\d+(?![A-Za-z_]))|(<>|<=|>=|[=<>(),.[\]+-])/y;
  let at = 0;
  while (at < source.length) {
    pattern.lastIndex = at;
    const match = pattern.exec(source);
    // A name cannot start with `_` or a digit; DynamoDB quotes from the token before.
    if (!match && /[_\d]/.test(source[at] ?? '')) {
      const near = source.slice(tokens.at(-1)?.start ?? at, at + 2);
      throw new ValidationError(`Invalid ${kind}: Syntax error; token: "${source[at]}", near: "${near}"`);
    }
    if (!match) {
      throw new ValidationError(
        `Invalid ${kind}: Syntax error; token: "${source.slice(at, at + 1)}", near: "${source.slice(Math.max(0, at - 1), at + 2)}"`,
      );
    }
    const start = at;
    at = pattern.lastIndex;
    if (match[1]) tokens.push({ type: 'nameRef', text: match[1], start });
    else if (match[2]) tokens.push({ type: 'valueRef', text: match[2], start });
    else if (match[3]) tokens.push({ type: 'name', text: match[3], start });
    else if (match[4]) tokens.push({ type: 'number', text: match[4], start });
    else if (match[5]) tokens.push({ type: 'op', text: match[5], start });
  }
  tokens.push({ type: 'end', text: '', start: source.length });
  return tokens;
};

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'BETWEEN', 'IN']);

/** DynamoDB's expression limits: 4 KB of text, 300 operators and functions, 100 IN operands, 32 path levels. */
const MAX_EXPRESSION_CHARS = 4096;
const MAX_OPERATORS = 300;
const MAX_IN_OPERANDS = 100;
const MAX_PATH_LEVELS = 32;
/**
 * Every level of parentheses that is not redundant holds at least one
 * operator, so nesting deeper than this is over the operator limit; the
 * parser, which recurses on parentheses, never sees it.
 */
const MAX_PARENTHESES = MAX_OPERATORS + 2;

/** Kinds whose size error names the size. */
const SIZED_KINDS = new Set(['ConditionExpression', 'FilterExpression', 'KeyConditionExpression']);

/**
 * DynamoDB refuses parentheses that only wrap another pair, `((a = :v))`,
 * before it parses the rest. Checked over the tokens, without recursion; a
 * function's or IN's parentheses are not a grouping.
 */
const checkParentheses = (tokens: Token[], kind: string): void => {
  const open: number[] = [];
  const closing = new Map<number, number>();
  let deepest = 0;
  for (const [at, token] of tokens.entries()) {
    if (token.text === '(') {
      open.push(at);
      deepest = Math.max(deepest, open.length);
    } else if (token.text === ')') {
      const start = open.pop();
      if (start !== undefined) closing.set(start, at);
    }
  }
  const grouping = (at: number): boolean => {
    const before = tokens[at - 1];
    return before?.type !== 'name' || ['AND', 'OR', 'NOT'].includes(before.text.toUpperCase());
  };
  for (const [start, end] of closing) {
    if (grouping(start) && tokens[start + 1]?.text === '(' && closing.get(start + 1) === end - 1)
      throw new ValidationError(`Invalid ${kind}: The expression has redundant parentheses;`);
  }
  if (deepest > MAX_PARENTHESES) throw tooManyOperators(kind);
};

const tooManyOperators = (kind: string) =>
  new ValidationError(
    `Invalid ${kind}: The expression contains too many operators; operator count: ${MAX_OPERATORS + 1}`,
  );
const COMPARATORS = new Set(['=', '<>', '<', '<=', '>', '>=']);

class Parser {
  private at = 0;
  private readonly tokens: Token[];
  /** Operators and functions of a condition, which DynamoDB limits. */
  operators = 0;

  constructor(
    private readonly source: string,
    private readonly kind: string,
    private readonly placeholders: Placeholders,
  ) {
    if (source.trim() === '') throw new ValidationError(`Invalid ${kind}: The expression can not be empty;`);
    if (source.length > MAX_EXPRESSION_CHARS)
      throw new ValidationError(
        `Invalid ${kind}: Expression size has exceeded the maximum allowed size;${SIZED_KINDS.has(kind) ? ` expression size: ${source.length}` : ''}`,
      );
    this.tokens = tokenize(source, kind);
    checkParentheses(this.tokens, kind);
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.at + offset, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const token = this.peek();
    this.at += 1;
    return token;
  }

  private isWord(token: Token, word: string): boolean {
    return token.type === 'name' && token.text.toUpperCase() === word;
  }

  /** DynamoDB names the offending token and quotes the source from the token before it. */
  private fail(token: Token = this.peek()): never {
    const index = this.tokens.indexOf(token);
    const previous = index > 0 ? (this.tokens[index - 1] as Token) : token;
    const near = this.source.slice(previous.start, token.start + token.text.length);
    const text = token.type === 'end' ? '<EOF>' : token.text;
    throw new ValidationError(`Invalid ${this.kind}: Syntax error; token: "${text}", near: "${near}"`);
  }

  private expect(text: string): void {
    const token = this.next();
    if (token.text !== text) this.fail(token);
  }

  end(): void {
    if (this.peek().type !== 'end') this.fail();
  }

  path(): Path {
    const path: Path = [this.element()];
    for (;;) {
      const token = this.peek();
      if (token.text === '.') {
        this.next();
        path.push(this.element());
      } else if (token.text === '[') {
        this.next();
        const index = this.next();
        if (index.type !== 'number') this.fail(index);
        this.expect(']');
        path.push({ index: Number(index.text) });
      } else break;
    }
    if (path.length > MAX_PATH_LEVELS)
      throw new ValidationError(
        `Invalid ${this.kind}: The document path has too many nesting levels; nesting levels: ${path.length}`,
      );
    return path;
  }

  private element(): PathElement {
    const token = this.next();
    if (token.type === 'nameRef') return { name: this.placeholders.name(token.text, this.kind) };
    if (token.type === 'name' && !KEYWORDS.has(token.text.toUpperCase())) {
      if (RESERVED_WORDS.has(token.text.toLowerCase()))
        throw new ValidationError(
          `Invalid ${this.kind}: Attribute name is a reserved keyword; reserved keyword: ${token.text}`,
        );
      return { name: token.text };
    }
    return this.fail(token);
  }

  operand(): Operand {
    const token = this.peek();
    if (token.type === 'valueRef') {
      this.next();
      this.placeholders.value(token.text, this.kind);
      return { kind: 'value', placeholder: token.text };
    }
    if (token.type === 'name' && this.peek(1).text === '(') {
      const name = token.text;
      if (name === 'size') {
        this.operators += 1;
        this.next();
        this.expect('(');
        const path = this.path();
        this.expect(')');
        return { kind: 'size', path };
      }
      if (name === 'if_not_exists' || name === 'list_append') {
        if (this.kind !== 'UpdateExpression')
          throw new ValidationError(
            `Invalid ${this.kind}: The function is not allowed to be used this way in an expression; function: ${name}`,
          );
        this.next();
        this.expect('(');
        if (name === 'if_not_exists') {
          const path = this.path();
          this.expect(',');
          const fallback = this.updateValue();
          this.expect(')');
          return { kind: 'if_not_exists', path, fallback };
        }
        const left = this.updateValue();
        this.expect(',');
        const right = this.updateValue();
        this.expect(')');
        return { kind: 'list_append', left, right };
      }
      throw new ValidationError(`Invalid ${this.kind}: Invalid function name; function: ${name}`);
    }
    return { kind: 'path', path: this.path() };
  }

  /** An update's right-hand side: an operand, or two joined by + or -. */
  updateValue(): Operand {
    const left = this.operand();
    const op = this.peek().text;
    if (op === '+' || op === '-') {
      this.next();
      return { kind: 'arithmetic', op, left, right: this.operand() };
    }
    return left;
  }

  condition(): Condition {
    return this.chain('OR', () => this.conjunction());
  }

  private conjunction(): Condition {
    return this.chain('AND', () => this.negation());
  }

  /** Operands joined by one word, left to right: OR binds looser than AND. */
  private chain(word: 'AND' | 'OR', operand: () => Condition): Condition {
    let left = operand();
    while (this.isWord(this.peek(), word)) {
      this.next();
      this.operators += 1;
      left = { kind: word === 'OR' ? 'or' : 'and', left, right: operand() };
    }
    return left;
  }

  /** NOT … NOT c, counted in a loop: a long chain of NOTs does not recurse. */
  private negation(): Condition {
    let nots = 0;
    while (this.isWord(this.peek(), 'NOT')) {
      this.next();
      nots += 1;
    }
    this.operators += nots;
    let condition = this.primary();
    for (; nots > 0; nots -= 1) condition = { kind: 'not', condition };
    return condition;
  }

  private primary(): Condition {
    const token = this.peek();
    if (token.text === '(') {
      this.next();
      const inner = this.condition();
      this.expect(')');
      return inner;
    }
    if (token.type === 'name' && this.peek(1).text === '(' && token.text !== 'size') return this.func();
    const operand = this.operand();
    const op = this.peek();
    if (COMPARATORS.has(op.text)) {
      this.operators += 1;
      this.next();
      return { kind: 'compare', op: op.text as '=', left: operand, right: this.operand() };
    }
    if (this.isWord(op, 'BETWEEN')) {
      this.operators += 1;
      this.next();
      const low = this.operand();
      if (!this.isWord(this.next(), 'AND')) this.fail(this.peek(-1));
      return { kind: 'between', operand, low, high: this.operand() };
    }
    if (this.isWord(op, 'IN')) {
      this.operators += 1;
      this.next();
      this.expect('(');
      const list = [this.operand()];
      while (this.peek().text === ',') {
        this.next();
        list.push(this.operand());
      }
      this.expect(')');
      if (list.length > MAX_IN_OPERANDS)
        throw new ValidationError(
          `Invalid ${this.kind}: The IN operator is provided with too many operands; number of operands: ${list.length}`,
        );
      return { kind: 'in', operand, list };
    }
    return this.fail(op);
  }

  private func(): Condition {
    this.operators += 1;
    const name = this.next().text;
    this.expect('(');
    let result: Condition;
    switch (name) {
      case 'attribute_exists':
      case 'attribute_not_exists':
        if (this.peek().type === 'valueRef')
          throw new ValidationError(
            `Invalid ${this.kind}: Operator or function requires a document path; operator or function: ${name}`,
          );
        result = { kind: name === 'attribute_exists' ? 'exists' : 'not_exists', path: this.path() };
        break;
      case 'attribute_type':
      case 'begins_with':
      case 'contains': {
        const path = this.path();
        this.expect(',');
        const operand = this.operand();
        result =
          name === 'attribute_type'
            ? { kind: 'type', path, type: operand }
            : name === 'begins_with'
              ? { kind: 'begins_with', path, prefix: operand }
              : { kind: 'contains', path, operand };
        break;
      }
      default:
        throw new ValidationError(`Invalid ${this.kind}: Invalid function name; function: ${name}`);
    }
    this.expect(')');
    return result;
  }

  update(): UpdateActions {
    const actions: UpdateActions = { set: [], remove: [], add: [], delete: [] };
    const seen = new Set<string>();
    let repeated: string | undefined;
    while (this.peek().type !== 'end') {
      const clause = this.next();
      const word = clause.type === 'name' ? clause.text.toUpperCase() : '';
      if (!['SET', 'REMOVE', 'ADD', 'DELETE'].includes(word)) this.fail(clause);
      // Reported once the whole expression parses, as DynamoDB does.
      if (seen.has(word)) repeated ??= word;
      seen.add(word);
      do {
        if (word === 'SET') {
          const path = this.path();
          this.expect('=');
          actions.set.push({ path, value: this.updateValue() });
        } else if (word === 'REMOVE') actions.remove.push(this.path());
        else {
          const path = this.path();
          const value = this.operand();
          if (value.kind !== 'value') this.fail();
          (word === 'ADD' ? actions.add : actions.delete).push({ path, value });
        }
      } while (this.peek().text === ',' && this.next());
    }
    if (repeated)
      throw new ValidationError(
        `Invalid UpdateExpression: The "${repeated}" section can only be used once in an update expression;`,
      );
    return actions;
  }

  projection(): Path[] {
    const paths = [this.path()];
    while (this.peek().text === ',') {
      this.next();
      paths.push(this.path());
    }
    return paths;
  }
}

export const parseCondition = (source: string, kind: string, placeholders: Placeholders): Condition => {
  const parser = new Parser(source, kind, placeholders);
  const condition = parser.condition();
  parser.end();
  if (parser.operators > MAX_OPERATORS) throw tooManyOperators(kind);
  return condition;
};

export const parseUpdate = (source: string, placeholders: Placeholders): UpdateActions => {
  const parser = new Parser(source, 'UpdateExpression', placeholders);
  const actions = parser.update();
  parser.end();
  const paths = [
    ...actions.set.map((a) => a.path),
    ...actions.remove,
    ...actions.add.map((a) => a.path),
    ...actions.delete.map((a) => a.path),
  ];
  checkPaths(paths, 'UpdateExpression');
  for (const { value } of actions.set) checkArithmetic(value, placeholders);
  return actions;
};

/** `a + :v` with a value that is not a number is refused before the item is read. */
const checkArithmetic = (operand: Operand, placeholders: Placeholders): void => {
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
const checkPaths = (paths: Path[], kind: string): void => {
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

export const parseProjection = (source: string, placeholders: Placeholders): Path[] => {
  const parser = new Parser(source, 'ProjectionExpression', placeholders);
  const paths = parser.projection();
  parser.end();
  checkPaths(paths, 'ProjectionExpression');
  return paths;
};

export const formatPath = (path: Path): string =>
  `[${path.map((e) => ('name' in e ? e.name : `[${e.index}]`)).join(', ')}]`;

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

const operandValue = (operand: Operand, item: Item, placeholders: Placeholders): Value | undefined => {
  switch (operand.kind) {
    case 'path':
      return resolvePath(item, operand.path);
    case 'value':
      return placeholders.value(operand.placeholder);
    case 'size': {
      const value = resolvePath(item, operand.path);
      const size = value === undefined ? undefined : sizeOf(value);
      return size === undefined ? undefined : { N: String(size) };
    }
    default:
      throw new ValidationError('Invalid ConditionExpression: this function can be used only in an update expression');
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

/** Checks what DynamoDB checks before evaluating: operand types that are known from the values alone. */
export const validateCondition = (condition: Condition, kind: string, placeholders: Placeholders): void => {
  switch (condition.kind) {
    case 'compare':
      checkDistinct(condition.left, [condition.right], condition.op, kind);
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
      if (condition.type.kind !== 'value') return;
      const value = placeholders.value(condition.type.placeholder);
      if (typeOf(value) !== 'S' || !isTypeName(String(value.S)))
        throw new ValidationError(
          `Invalid ${kind}: Invalid attribute type name found; type: ${String(value.S ?? typeOf(value))}, valid types: {N,BS,L,B,NULL,M,S,SS,NS,BOOL}`,
        );
      return;
    }
    case 'begins_with': {
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
      const value = resolvePath(item, condition.path);
      const type = operandValue(condition.type, item, placeholders);
      return value !== undefined && type?.S !== undefined && typeOf(value) === type.S;
    }
    case 'begins_with': {
      const value = resolvePath(item, condition.path);
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
      const value = resolvePath(item, condition.path);
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
      if (left.L === undefined || right.L === undefined)
        throw new ValidationError('An operand in the update expression has an incorrect data type');
      return { L: [...left.L, ...right.L] };
    }
    case 'arithmetic': {
      const left = updateValue(operand.left, item, placeholders);
      const right = updateValue(operand.right, item, placeholders);
      if (left.N === undefined || right.N === undefined)
        throw new ValidationError('An operand in the update expression has an incorrect data type');
      return { N: addNumbers(left.N, right.N, operand.op === '-') };
    }
    case 'size':
      throw new ValidationError(
        'Invalid UpdateExpression: The function is not allowed in an update expression; function: size',
      );
  }
};

const clone = <T>(value: T): T => structuredClone(value);

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

const removePath = (item: Item, path: Path): void => {
  const parentPath = path.slice(0, -1);
  const last = path.at(-1);
  if (!last) return;
  if (parentPath.length === 0) {
    if ('name' in last) delete item[last.name];
    return;
  }
  const parent = resolvePath(item, parentPath);
  if (parent === undefined) return;
  if ('name' in last) {
    if (parent.M) delete parent.M[last.name];
  } else if (parent.L && last.index < parent.L.length) parent.L.splice(last.index, 1);
};

const LONG_TYPE_NAMES: Record<TypeName, string> = {
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

const isSetType = (type: TypeName): type is SetType => type === 'SS' || type === 'NS' || type === 'BS';

/** Applies update actions to a copy of the item (empty when it does not exist yet); returns the new item. */
export const applyUpdate = (actions: UpdateActions, current: Item, placeholders: Placeholders): Item => {
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
  for (const path of removals) removePath(item, path);
  for (const { path, value } of actions.add) {
    const operand = placeholders.value((value as { placeholder: string }).placeholder);
    const existing = resolvePath(item, path);
    const type = typeOf(operand);
    if (type === 'N') {
      if (existing !== undefined && existing.N === undefined)
        throw new ValidationError('An operand in the update expression has an incorrect data type');
      writePath(item, path, { N: addNumbers(existing?.N ?? '0', String(operand.N)) });
    } else if (isSetType(type)) {
      if (existing !== undefined && typeOf(existing) !== type)
        throw new ValidationError('An operand in the update expression has an incorrect data type');
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
    if (typeOf(existing) !== type)
      throw new ValidationError('An operand in the update expression has an incorrect data type');
    const kept = elementsOf(existing, type).filter((member) => !setHas(operand, element(type, member)));
    if (kept.length === 0) removePath(item, path);
    else writePath(item, path, makeSet(type, kept));
  }
  return item;
};

/** The parts of an item a projection names, nested as in the item; list elements keep their order. */
export const project = (item: Item, paths: Path[]): Item => {
  const result: Item = {};
  for (const path of paths) {
    const value = resolvePath(item, path);
    if (value === undefined) continue;
    let target: Record<string, Value> | Value[] = result;
    for (const [i, element] of path.entries()) {
      const last = i === path.length - 1;
      if (last) {
        if (Array.isArray(target)) target.push(clone(value));
        else target[(element as { name: string }).name] = clone(value);
        break;
      }
      const nextIsIndex = 'index' in (path[i + 1] as PathElement);
      const key = 'name' in element ? element.name : undefined;
      if (Array.isArray(target)) {
        const container: Value = nextIsIndex ? { L: [] } : { M: {} };
        target.push(container);
        target = nextIsIndex ? (container.L as Value[]) : (container.M as Record<string, Value>);
      } else if (key !== undefined) {
        const container: Value = target[key] ?? (nextIsIndex ? { L: [] } : { M: {} });
        target[key] = container;
        target = nextIsIndex ? (container.L as Value[]) : (container.M as Record<string, Value>);
      }
    }
  }
  return result;
};
