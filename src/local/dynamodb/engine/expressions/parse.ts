import { ValidationError } from '../errors';
import { RESERVED_WORDS } from '../reserved-words';
import type { Condition, Operand, Path, PathElement, Placeholders, UpdateActions } from './ast';
import { checkArithmetic, checkPaths } from './validate';

/**
 * The parser of DynamoDB's expression language: condition and filter
 * expressions, key conditions, update expressions and projections, parsed
 * once into a tree (`ast.ts`). Errors are DynamoDB's ValidationException.
 */

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
export const MAX_OPERATORS = 300;
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
/** The functions of conditions, with their number of operands. */
const CONDITION_FUNCTIONS = new Map([
  ['attribute_exists', 1],
  ['attribute_not_exists', 1],
  ['attribute_type', 2],
  ['begins_with', 2],
  ['contains', 2],
]);

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

  /** DynamoDB names the offending token and quotes the source from the token before it to the one after it. */
  private fail(token: Token = this.peek()): never {
    const index = this.tokens.indexOf(token);
    const previous = index > 0 ? (this.tokens[index - 1] as Token) : token;
    const following = this.tokens[index + 1];
    const last = token.type !== 'end' && following && following.type !== 'end' ? following : token;
    const near = this.source.slice(previous.start, last.start + last.text.length);
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
    if (token.text === '(' && this.kind !== 'UpdateExpression' && this.kind !== 'ProjectionExpression') {
      this.next();
      const inner = this.operand();
      this.expect(')');
      return inner;
    }
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
        const subject = this.operand();
        let count = 1;
        while (this.peek().text === ',') {
          this.next();
          this.operand();
          count += 1;
        }
        this.expect(')');
        if (count !== 1)
          throw new ValidationError(
            `Invalid ${this.kind}: Incorrect number of operands for operator or function; operator or function: size, number of operands: ${count}`,
          );
        return { kind: 'size', subject };
      }
      if (this.kind === 'UpdateExpression' && CONDITION_FUNCTIONS.has(name))
        throw new ValidationError(
          `Invalid ${this.kind}: The function is not allowed in an update expression; function: ${name}`,
        );
      if (name === 'if_not_exists' || name === 'list_append') {
        if (this.kind !== 'UpdateExpression')
          throw new ValidationError(
            `Invalid ${this.kind}: The function is not allowed to be used this way in an expression; function: ${name}`,
          );
        this.next();
        this.expect('(');
        if (name === 'if_not_exists') {
          if (this.peek().type === 'valueRef')
            throw new ValidationError(
              `Invalid ${this.kind}: Operator or function requires a document path; operator or function: ${name}`,
            );
          const path = this.path();
          this.expect(',');
          // A function's arguments are operands: `+` and `-` stand only between a SET's two operands.
          const fallback = this.operand();
          this.expect(')');
          return { kind: 'if_not_exists', path, fallback };
        }
        const left = this.operand();
        this.expect(',');
        const right = this.operand();
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

  /** Whether the parenthesis at the cursor encloses an operand, `(a) = :v`: a comparison follows its match. */
  private enclosesOperand(): boolean {
    let depth = 0;
    for (let at = this.at; at < this.tokens.length; at += 1) {
      const text = this.tokens[at]?.text;
      if (text === '(') depth += 1;
      else if (text === ')' && --depth === 0) {
        const after = this.tokens[at + 1];
        return (
          after !== undefined &&
          (COMPARATORS.has(after.text) || this.isWord(after, 'BETWEEN') || this.isWord(after, 'IN'))
        );
      }
    }
    return false;
  }

  private primary(): Condition {
    const token = this.peek();
    if (token.text === '(' && !this.enclosesOperand()) {
      this.next();
      const inner = this.condition();
      this.expect(')');
      return inner;
    }
    if (token.type === 'name' && this.peek(1).text === '(' && token.text !== 'size') return this.func();
    const operand = this.operand();
    const op = this.peek();
    if (operand.kind === 'size' && !COMPARATORS.has(op.text) && !this.isWord(op, 'BETWEEN') && !this.isWord(op, 'IN'))
      throw new ValidationError(
        `Invalid ${this.kind}: The function is not allowed to be used this way in an expression; function: size`,
      );
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
    const wanted = CONDITION_FUNCTIONS.get(name);
    if (wanted === undefined) {
      if ((name === 'if_not_exists' || name === 'list_append') && this.kind === 'ConditionExpression')
        throw new ValidationError(
          `Invalid ${this.kind}: The function is not allowed in a condition expression; function: ${name}`,
        );
      throw new ValidationError(`Invalid ${this.kind}: Invalid function name; function: ${name}`);
    }
    // `f()` is a syntax error at its closing parenthesis.
    if (this.peek().text === ')') this.fail();
    const args: Operand[] = [];
    args.push(this.operand());
    while (this.peek().text === ',') {
      this.next();
      args.push(this.operand());
    }
    this.expect(')');
    if (args.length !== wanted)
      throw new ValidationError(
        `Invalid ${this.kind}: Incorrect number of operands for operator or function; operator or function: ${name}, number of operands: ${args.length}`,
      );
    const [subject, second] = args as [Operand, Operand];
    switch (name) {
      case 'attribute_exists':
      case 'attribute_not_exists':
        if (subject.kind !== 'path')
          throw new ValidationError(
            `Invalid ${this.kind}: Operator or function requires a document path; operator or function: ${name}`,
          );
        return { kind: name === 'attribute_exists' ? 'exists' : 'not_exists', path: subject.path };
      case 'attribute_type':
        return { kind: 'type', subject, type: second };
      case 'begins_with':
        return { kind: 'begins_with', subject, prefix: second };
      default:
        return { kind: 'contains', subject, operand: second };
    }
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

export const parseProjection = (source: string, placeholders: Placeholders): Path[] => {
  const parser = new Parser(source, 'ProjectionExpression', placeholders);
  const paths = parser.projection();
  parser.end();
  checkPaths(paths, 'ProjectionExpression');
  return paths;
};
