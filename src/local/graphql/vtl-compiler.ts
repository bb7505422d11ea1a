import { createRequire } from 'node:module';

/**
 * A compiler for the Velocity templates the AppSync simulator renders: it
 * parses a template once, with the parser of the simulator's engine
 * (`amplify-velocity-template`), and turns the tree into JavaScript closures,
 * so a render no longer walks the tree, re-reads its nodes or rebuilds the
 * text of every reference.
 *
 * The closures do what the engine's interpreter (`src/compile/*.js`) does,
 * step for step and in the same order, quirks included, because the local
 * API must answer as it did: a reference is looked up in the loop scopes,
 * then its path is walked with the engine's `get`/`set`/`is` getters and
 * built-in `size`/`put`/`add`/`remove`; `#break` skips only the loop's next
 * item; `#return` stops the render before it evaluates its value, so strings
 * in it render empty; a failed method call appends " on <reference> at L/N"
 * to the error; loop scopes left open by an error live on into the next
 * render of the same template. Values stay the simulator's own (JavaMap,
 * JavaArray, JavaString and `$util`), so methods behave exactly as before.
 *
 * `#macro`, `#define`, macro calls and `.eval(…)` are not compiled; such a
 * template is reported as unsupported, and its caller renders it with the
 * interpreter.
 */

const engineRequire = createRequire(
  createRequire(import.meta.url).resolve('@aws-amplify/amplify-appsync-simulator/lib/velocity'),
);
const engine = engineRequire('amplify-velocity-template') as {
  parse: (text: string) => Node[];
  Compile: new (asts: Node[]) => { getPropMethod: (property: object, base: object, ast: object) => unknown };
  Helper: { getRefText: (ast: Node) => unknown };
};
const { isEqual } = createRequire(engineRequire.resolve('amplify-velocity-template'))('lodash') as {
  isEqual: (a: unknown, b: unknown) => boolean;
};

/** A node of the parser's tree; its shape depends on `type`. */
interface Node {
  readonly type?: string;
  readonly [key: string]: unknown;
}
type Pos = { first_line: number; first_column: number };

/** What the engine's interpreter keeps across renders of one template. */
class RenderState {
  context: Record<string, unknown> = {};
  /** Loop scopes by id; the interpreter's `this.local`. */
  readonly local = new Map<number, Record<string, unknown>>();
  /** Open loop scopes, innermost first; the interpreter's `this.conditions`. */
  readonly conditions: number[] = [];
  /** The scope the current block renders in (0 for none); the interpreter's `this.condition`. */
  condition = 0;
  stop = false;
  break = false;
  return = false;
  /** What the interpreter puts on objects it calls methods on; see makeEval. */
  readonly evalFunction: unknown = makeEval(this);
  private nextId = 1;

  scopeId(): number {
    return this.nextId++;
  }

  /**
   * The interpreter's `eval` as a template can reach it: through the function
   * it leaves on objects, called without arguments (`.eval(…)` with some is
   * not compiled), which makes it evaluate `undefined` as a string and fail.
   */
  eval(text?: unknown): unknown {
    const escaped = stringOps(text).replace(/[#]/g, '\\#');
    return renderBlock(compileNodes(engine.parse(escaped)), this, this.condition);
  }
}

type Expr = (state: RenderState) => unknown;
/** A built-in method's answer when it does not apply to the value. */
const UNHANDLED: unique symbol = Symbol('unhandled');
type Step = (state: RenderState, out: unknown) => unknown;
type ValueMapper = (value: unknown, hint?: string) => unknown;

/** Thrown for a template with a construct this compiler leaves to the interpreter. */
export class UnsupportedVtlError extends Error {
  override readonly name = 'UnsupportedVtlError';
}

export interface CompiledVtl {
  /**
   * Renders with `context` as the template's variables (the interpreter's
   * `render(context)`); throws what the template throws.
   */
  render(context: Record<string, unknown>): { output: unknown; isReturn: boolean };
}

/**
 * Compiles a template. Throws the parser's error for a template that does not
 * parse, and UnsupportedVtlError for one that uses macros or `.eval(…)`.
 * `valueMapper` is the simulator's mapper, which `#set` applies to literals
 * and references (`map` of its value-mapper module).
 */
export const compileVtl = (text: string, valueMapper: ValueMapper): CompiledVtl => {
  const tree = engine.parse(text);
  const unsupported = findUnsupported(tree);
  if (unsupported) throw new UnsupportedVtlError(`the template uses ${unsupported}`);
  const root = withMapper(valueMapper, () => compileNodes(tree));
  const state = new RenderState();
  return {
    render(context) {
      state.stop = false;
      state.break = false;
      state.return = false;
      state.context = context;
      const output = renderBlock(root, state, 0);
      return { output, isReturn: state.return };
    },
  };
};

/** The first construct the compiler does not handle, searched through the whole tree. */
const findUnsupported = (value: unknown): string | undefined => {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findUnsupported(item);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const node: Node = { ...value };
  if (node.type === 'macro' || node.type === 'macro_call' || node.type === 'macro_body' || node.type === 'define') {
    return `#${node.type}`;
  }
  if (node.type === 'method' && node.id === 'eval') return '.eval(…)';
  if (node.type === 'references' && node.id === 'eval' && node.args !== undefined) return '$eval(…)';
  for (const key of Object.keys(node)) {
    const found = findUnsupported(node[key]);
    if (found) return found;
  }
  return undefined;
};

/** The mapper `#set` applies; set while one template compiles. */
let mapValue: ValueMapper = (value) => value;
const withMapper = <T>(mapper: ValueMapper, compile: () => T): T => {
  const previous = mapValue;
  mapValue = mapper;
  try {
    return compile();
  } finally {
    mapValue = previous;
  }
};

// JavaScript's own operators on values of any type: the interpreter applies
// them to whatever a template produces (wrappers, plain objects, primitives),
// and so must the closures, with the same coercions and the same TypeErrors.
type Bag = Record<PropertyKey, unknown>;
const get = (base: unknown, key: unknown): unknown => (base as Bag)[key as PropertyKey];
const set = (base: unknown, key: unknown, value: unknown): unknown => {
  (base as Bag)[key as PropertyKey] = value;
  return value;
};
const has = (key: unknown, base: unknown): boolean => (key as PropertyKey) in (base as object);
const remove = (base: unknown, key: unknown): boolean => delete (base as Bag)[key as PropertyKey];
const plus = (a: unknown, b: unknown): unknown => (a as string) + (b as string);
const arith = (a: unknown): number => a as number;
const stringOps = (value: unknown): string => value as string;
const call = (fn: unknown, self: unknown, args: unknown[]): unknown =>
  (fn as (...a: unknown[]) => unknown).apply(self, args);
const arrayOps = (value: unknown): unknown[] => value as unknown[];

const tag = (value: unknown): string => Object.prototype.toString.call(value);
/** The interpreter's `utils.isArray`. */
const isArray = (value: unknown): boolean => tag(value) === '[object Array]';
/** The interpreter's `utils.isObject`. */
const isObject = (value: unknown): boolean => tag(value) === '[object Object]';

/** The interpreter's `utils.forEach` over a value of any kind. */
const forEachOf = (value: unknown, fn: (item: unknown, key: unknown) => void): void => {
  if (!value || typeof value === 'string') return;
  const own = get(value, 'forEach');
  if (own) {
    call(own, value, [fn]);
    return;
  }
  for (const key of Object.keys(value)) fn(get(value, key), key);
};

/** The interpreter's `format`: how a reference's value becomes output text. */
const format = (value: unknown): unknown => {
  if (isArray(value)) return plus(plus('[', arrayOps(value).map(format).join(', ')), ']');
  if (isObject(value)) {
    const own = get(value, 'toString');
    if (stringOps(call(get(own, 'toString'), own, [])).indexOf('[native code]') === -1) return value;
    const entries = Object.keys(value as object).map((key) => plus(plus(key, '='), format(get(value, key))));
    return plus(plus('{', entries.join(', ')), '}');
  }
  return value;
};

/** The interpreter's `getter`: `get(key)`, `getFoo()` and `isFoo()` on a value without such a method. */
const getter = (base: unknown, property: unknown): unknown => {
  if (typeof property === 'number') return get(base, property);
  const name = stringOps(property);
  const letter = name.charCodeAt(0);
  const isUpper = letter < 91;
  const found = get(base, name);
  if (found !== undefined) return found;
  const other = isUpper
    ? String.fromCharCode(letter).toLowerCase() + name.slice(1)
    : String.fromCharCode(letter).toUpperCase() + name.slice(1);
  return get(base, other);
};

/** The interpreter's `getSize`, for `size()` on a value without such a method. */
const sizeOf = (value: unknown): unknown => {
  if (isArray(value)) return get(value, 'length');
  if (isObject(value)) return Object.keys(value as object).length;
  return undefined;
};

/**
 * The function the interpreter puts on every object it calls a method on
 * (`base.eval = function () { return that.eval.apply(that, arguments) }`).
 * Its text shows when a plain object is output, so it is the engine's own,
 * taken from the engine once.
 */
const makeEval: (that: { eval: (...args: unknown[]) => unknown }) => unknown = (() => {
  const probe: Record<string, unknown> = { probe: () => 0 };
  const compile = new engine.Compile([]);
  compile.getPropMethod({ id: 'probe', args: [] }, probe, { pos: { first_line: 0, first_column: 0 } });
  const source = String(probe.eval);
  return new Function('that', `return ${source};`) as (that: unknown) => unknown;
})();

/** `$foreach.hasNext` as the interpreter builds it; like `eval`, its text shows when `$foreach` is output. */
const makeHasNext = new Function('i', 'len', 'return () => i + 1 < len;') as (i: number, len: number) => unknown;

/** The interpreter's `_render`: a block's steps, in a scope, until `#stop`/`#return`, skipping after `#break`. */
const renderBlock = (steps: Step[], state: RenderState, scope: number): unknown => {
  if (scope) {
    if (scope !== state.condition && state.conditions.indexOf(scope) === -1) state.conditions.unshift(scope);
    state.condition = scope;
  } else {
    state.condition = 0;
  }
  let out: unknown = '';
  for (const step of steps) {
    if (state.stop) break;
    if (state.break) continue;
    out = step(state, out);
  }
  return out;
};

/** A step that throws what the interpreter would throw when it reached this node. */
const failing =
  (error: unknown): Step & Expr =>
  () => {
    throw error;
  };

/** Compiles nodes; a node the compiler cannot read fails when reached, as in the interpreter. */
const compileNodes = (nodes: unknown[]): Step[] => {
  const steps: Step[] = [];
  for (const node of nodes) {
    try {
      const step = compileNode(node);
      if (step) steps.push(step);
    } catch (error) {
      steps.push(failing(error));
    }
  }
  return steps;
};

const compileNode = (node: unknown): Step | undefined => {
  if (typeof node === 'string') return node === '' ? undefined : (_state, out) => plus(out, node);
  if (Array.isArray(node)) {
    const block = compileBlock(node);
    return (state, out) => {
      const value = block(state);
      return plus(out, value === undefined ? '' : value);
    };
  }
  const ast = node as Node;
  switch (ast.type) {
    case 'references': {
      const ref = compileReference(ast, true);
      return (state, out) => plus(out, format(ref(state)));
    }
    case 'set': {
      const assign = compileSet(ast);
      return (state, out) => {
        assign(state);
        return out;
      };
    }
    case 'break':
      return (state, out) => {
        state.break = true;
        return out;
      };
    case 'comment':
      return undefined;
    case 'raw': {
      const value = ast.value;
      return (_state, out) => plus(out, value);
    }
    case 'return': {
      const value = ast.value ? compileExpression(ast.value as Node) : undefined;
      return (state) => {
        state.stop = true;
        state.return = true;
        if (!value) return null;
        const result = value(state);
        try {
          return JSON.stringify(result);
        } catch {
          return result;
        }
      };
    }
    default: {
      // The interpreter takes any other node for a block and fails on it.
      const error = readError(() => get(get(ast, 0), 'type'));
      return failing(error);
    }
  }
};

/** The error reading does throw; the interpreter would throw it at this point. */
const readError = (read: () => unknown): unknown => {
  try {
    read();
  } catch (error) {
    return error;
  }
  return new TypeError('unreadable template node');
};

/** A block: `#if`, `#foreach` or `#noescape` with the nodes up to its `#end`. */
const compileBlock = (block: unknown[]): Expr => {
  const head = block[0] as Node;
  switch (head.type) {
    case 'if':
      return compileIf(block);
    case 'foreach':
      return compileForeach(head, compileNodes(block.slice(1)));
    case 'noescape': {
      const body = compileNodes(block.slice(1));
      return (state) => renderBlock(body, state, 0);
    }
    default: {
      const body = compileNodes(block);
      return (state) => renderBlock(body, state, 0);
    }
  }
};

/** `#if`/`#elseif`/`#else`: the body after the first truthy marker, rendered in the current scope. */
const compileIf = (block: unknown[]): Expr => {
  const branches: Array<{ test: Expr | undefined; body: unknown[] }> = [];
  for (const item of block) {
    const node = item as Node;
    const condition = get(node, 'condition');
    if (condition) branches.push({ test: compileExpression(condition as Node), body: [] });
    else if (get(node, 'type') === 'else') branches.push({ test: undefined, body: [] });
    else branches.at(-1)?.body.push(item);
  }
  const compiled = branches.map(({ test, body }) => ({ test, body: compileNodes(body) }));
  const none: Step[] = [];
  return (state) => {
    let chosen = none;
    for (const branch of compiled) {
      if (branch.test ? branch.test(state) : true) {
        chosen = branch.body;
        break;
      }
    }
    return renderBlock(chosen, state, state.condition);
  };
};

/** `#foreach`: a list's items or an object's keys' values, each in the loop's scope. */
const compileForeach = (head: Node, body: Step[]): Expr => {
  const from = compileLiteral(head.from as Node);
  const name = String(head.to);
  return (state) => {
    const items = from(state);
    const local: Record<string, unknown> = { foreach: { count: 0 } };
    let out: unknown = '';
    const scope = state.scopeId();
    const type = tag(items);
    if (!items || (type !== '[object Array]' && type !== '[object Object]')) return '';
    const each = (value: unknown, i: number, len: number) => {
      if (state.break) {
        state.break = false;
        return;
      }
      local[name] = value;
      local.foreach = { count: i + 1, index: i, hasNext: makeHasNext(i, len) };
      local.velocityCount = i + 1;
      state.local.set(scope, local);
      out = plus(out, renderBlock(body, state, scope));
    };
    if (isArray(items)) {
      const len = arrayOps(items).length;
      forEachOf(items, (value, i) => each(value, Number(i), len));
    } else {
      const keys = Object.keys(items as object);
      keys.forEach((key, i) => {
        each(get(items, key), i, keys.length);
      });
    }
    if (items && get(items, 'length')) {
      state.break = false;
      state.local.set(scope, {});
      state.conditions.shift();
      state.condition = state.conditions[0] || 0;
    }
    return out;
  };
};

/** `#set`: the value (mapped unless it is arithmetic), then the variable or the path's last key. */
const compileSet = (ast: Node): ((state: RenderState) => void) => {
  const [target, source] = ast.equal as [Node, Node];
  const mapper = mapValue;
  const value: Expr =
    source.type === 'math'
      ? compileExpression(source)
      : (() => {
          const literal = compileLiteral(source);
          const hint = source.type;
          return (state) => mapper(literal(state), hint);
        })();
  const id = String(target.id);
  const path = target.path as Node[] | undefined;
  if (!path) {
    return (state) => {
      state.context[id] = value(state);
    };
  }
  const keys: Expr[] = path.map((step) => {
    if (step.type !== 'index') return () => step.id;
    if (step.id) return compileLiteralOrFail(step.id);
    return () => get(step.id, 'value');
  });
  return (state) => {
    const val = value(state);
    const context = state.context;
    let base = context[id];
    if (typeof base !== 'object') base = {};
    context[id] = base;
    for (let i = 0; i < keys.length; i++) {
      const key = (keys[i] as Expr)(state);
      if (i === keys.length - 1) {
        set(base, key, val);
        return;
      }
      base = get(base, key);
      if (base === undefined) return;
    }
  };
};

/** The interpreter's `getExpression`: arithmetic, comparisons and logic over literals and references. */
const compileExpression = (ast: Node): Expr => {
  if (ast.type !== 'math') return compileLiteral(ast);
  const [left, right] = (ast.expression as Node[]).map(compileExpression) as [Expr, Expr | undefined];
  const r = right ?? failing(new TypeError('missing operand'));
  switch (ast.operator) {
    case '+':
      return (s) => plus(left(s), r(s));
    case '-':
      return (s) => arith(left(s)) - arith(r(s));
    case '/':
      return (s) => arith(left(s)) / arith(r(s));
    case '%':
      return (s) => arith(left(s)) % arith(r(s));
    case '*':
      return (s) => arith(left(s)) * arith(r(s));
    case '||':
      return (s) => left(s) || r(s);
    case '&&':
      return (s) => left(s) && r(s);
    case '>':
      return (s) => arith(left(s)) > arith(r(s));
    case '<':
      return (s) => arith(left(s)) < arith(r(s));
    case '>=':
      return (s) => arith(left(s)) >= arith(r(s));
    case '<=':
      return (s) => arith(left(s)) <= arith(r(s));
    case '==':
      return (s) => equals(left(s), r(s));
    case '!=':
      return (s) => !equals(left(s), r(s));
    case 'minus':
      return (s) => -arith(left(s));
    case 'not':
      return (s) => !left(s);
    case 'parenthesis':
      return left;
    default:
      return () => undefined;
  }
};

/** `==`: both sides as JSON (the wrappers' `toJSON`), compared deeply. */
const equals = (a: unknown, b: unknown): boolean => {
  const left = a && get(a, 'toJSON') ? call(get(a, 'toJSON'), a, []) : a;
  const right = b && get(b, 'toJSON') ? call(get(b, 'toJSON'), b, []) : b;
  return isEqual(left, right);
};

/** The interpreter's `getLiteral`: strings (interpolated when double-quoted), numbers, lists, maps, references. */
const compileLiteral = (ast: Node): Expr => {
  switch (ast.type) {
    case 'string':
      return compileString(ast);
    case 'integer': {
      const value = Number.parseInt(String(ast.value), 10);
      return () => value;
    }
    case 'decimal': {
      const value = Number.parseFloat(String(ast.value));
      return () => value;
    }
    case 'array':
      return ast.isRange ? compileRange(ast) : compileList(ast);
    case 'map':
      return compileMap(ast);
    case 'bool': {
      const value = ast.value === 'null' ? null : ast.value === 'false' ? false : ast.value === 'true' ? true : '';
      return () => value;
    }
    default:
      return compileReference(ast, false);
  }
};

const compileString = (ast: Node): Expr => {
  const text = String(ast.value);
  if (!ast.isEval || (text.indexOf('#') === -1 && text.indexOf('$') === -1)) return () => ast.value;
  let body: Step[];
  try {
    body = compileNodes(engine.parse(text.replace(/[#]/g, '\\#')));
  } catch (error) {
    return failing(error);
  }
  return (state) => renderBlock(body, state, state.condition);
};

const compileRange = (ast: Node): Expr => {
  const [begin, end] = ast.value as [unknown, unknown];
  const bound = (value: unknown): Expr => {
    if (get(value, 'type') === 'references') return compileReference(value as Node, false);
    return () => value;
  };
  const from = bound(begin);
  const to = bound(end);
  return (state) => {
    let first = from(state);
    let last = to(state);
    last = Number.parseInt(stringOps(last), 10);
    first = Number.parseInt(stringOps(first), 10);
    const list: number[] = [];
    const a = first as number;
    const b = last as number;
    if (!Number.isNaN(a) && !Number.isNaN(b)) {
      if (a < b) for (let i = a; i <= b; i++) list.push(i);
      else for (let i = a; i >= b; i--) list.push(i);
    }
    return list;
  };
};

const compileList = (ast: Node): Expr => {
  const items = ast.value;
  if (!items || typeof items === 'string') return () => [];
  const compiled = (items as Node[]).map((item) => compileLiteralOrFail(item));
  return (state) => {
    const list: unknown[] = [];
    for (const item of compiled) list.push(item(state));
    return list;
  };
};

const compileMap = (ast: Node): Expr => {
  const entries = ast.value;
  if (!entries || typeof entries === 'string') return () => ({});
  // A key named forEach makes the interpreter call the node as a function.
  if (get(entries, 'forEach')) {
    const error = readError(() => call(get(entries, 'forEach'), entries, [() => undefined]));
    return failing(error);
  }
  const compiled = Object.keys(entries).map((key) => [key, compileLiteralOrFail(get(entries, key))] as const);
  return (state) => {
    const map: Record<string, unknown> = {};
    for (const [key, value] of compiled) map[key] = value(state);
    return map;
  };
};

/** A literal, or a failure when reached for a node the interpreter cannot read (a map entry without a value). */
const compileLiteralOrFail = (ast: unknown): Expr => {
  try {
    return compileLiteral(ast as Node);
  } catch (error) {
    return failing(error);
  }
};

/**
 * The interpreter's `getReferences`: the variable (a loop scope's first,
 * else the context's), a top-level call, the path, and for output (`isVal`)
 * the reference's own text when undefined (empty for `$!`). A function value
 * is called.
 */
const compileReference = (ast: Node, isVal: boolean): Expr => {
  const id = ast.id as string;
  const text = engine.Helper.getRefText(ast);
  const silent = ast.leader === '$!';
  const call = ast.args !== undefined ? compileMethod(ast, ast) : undefined;
  const path = Array.isArray(ast.path) ? (ast.path as Node[]).map((step) => compileAttribute(step, ast)) : undefined;
  return (state) => {
    const context = state.context;
    let value = context[id];
    let localValue: unknown;
    let isLocal = false;
    for (const scope of state.conditions) {
      const local = state.local.get(scope);
      if (has(id, local)) {
        localValue = get(local, id);
        isLocal = true;
        break;
      }
    }
    if (has(text, context)) return get(context, text);
    if (value !== undefined && call) value = call(state, context);
    if (isLocal) value = localValue;
    if (path) for (const step of path) value = step(state, value);
    if (isVal && value === undefined) value = silent ? '' : text;
    return typeof value === 'function' ? value() : value;
  };
};

type Attribute = (state: RenderState, base: unknown) => unknown;

/** The interpreter's `getAttributes`: `.name`, `[index]` or `.method(…)`, undefined on a null base. */
const compileAttribute = (step: Node, ref: Node): Attribute => {
  if (step.type === 'method') {
    const method = compileMethod(step, ref);
    return (state, base) => (base === null || base === undefined ? undefined : method(state, base));
  }
  if (step.type === 'property') {
    const id = step.id;
    return (_state, base) => (base === null || base === undefined ? undefined : get(base, id));
  }
  const index = step.id as Node | undefined;
  let key: Expr;
  try {
    key = get(index, 'type') === 'references' ? compileReference(index as Node, false) : () => get(index, 'value');
  } catch (error) {
    key = failing(error);
  }
  return (state, base) => (base === null || base === undefined ? undefined : get(base, key(state)));
};

/**
 * The interpreter's `getPropMethod`: its built-in `get`/`set`/`is` getters,
 * `keySet`, `entrySet`, `size`, `put`, `add`, `remove` and `subList` where
 * the value lacks the method, else the value's own method. Only the checks
 * that can hold for this method's name are made, in the interpreter's order.
 */
const compileMethod = (step: Node, ref: Node): Attribute => {
  const id = String(step.id);
  const params = step.args as Node[] | false | undefined;
  const param = (i: number): Expr => {
    const ast = params ? params[i] : undefined;
    if (ast === undefined) return failing(readError(() => get(ast, 'type')));
    return compileLiteralOrFail(ast);
  };
  const args = params ? params.map((ast) => compileLiteralOrFail(ast)) : [];
  const text = String(engine.Helper.getRefText(ref));
  const pos = (ref.pos as Pos | undefined) ?? { first_line: 0, first_column: 0 };
  const invoke: Attribute = (state, base) => {
    const method = get(base, id);
    const values: unknown[] = [];
    for (const arg of args) values.push(arg(state));
    if (!method || !get(method, 'call')) return undefined;
    if (typeof base === 'object' && base) set(base, 'eval', state.evalFunction);
    try {
      return call(method, base, values);
    } catch (error) {
      const err = ` on ${text} at L/N ${pos.first_line}:${pos.first_column}`;
      set(error, 'name', '');
      set(error, 'message', plus(get(error, 'message'), err));
      throw new Error(error as string);
    }
  };
  // The built-ins this name can reach, in the interpreter's order; UNHANDLED leaves the call to the value's method.
  const checks: Array<(state: RenderState, base: unknown) => unknown> = [];
  if (id === 'get') {
    const key = param(0);
    checks.push((s, base) => (has(id, base) ? UNHANDLED : getter(base, key(s))));
  }
  if (id === 'set') {
    const key = param(0);
    const value = param(1);
    checks.push((s, base) => {
      if (has(id, base)) return UNHANDLED;
      set(base, key(s), value(s));
      return '';
    });
  }
  if (id.indexOf('get') === 0) checks.push((_s, base) => (has(id, base) ? UNHANDLED : getter(base, id.slice(3))));
  if (id.indexOf('set') === 0) {
    const value = param(0);
    checks.push((s, base) => {
      if (get(base, id)) return UNHANDLED;
      set(base, id.slice(3), value(s));
      set(base, 'toString', () => '');
      return base;
    });
  } else if (id.indexOf('is') === 0) {
    checks.push((_s, base) => (has(id, base) ? UNHANDLED : getter(base, id.slice(2))));
  } else if (id === 'keySet') {
    checks.push((_s, base) => (get(base, id) ? UNHANDLED : Object.keys(base as object)));
  } else if (id === 'entrySet') {
    checks.push((_s, base) => {
      if (get(base, id)) return UNHANDLED;
      const entries: unknown[] = [];
      forEachOf(base, (value, key) => entries.push({ key, value }));
      return entries;
    });
  } else if (id === 'size') {
    checks.push((_s, base) => (get(base, id) ? UNHANDLED : sizeOf(base)));
  } else if (id === 'put' && params && params.length === 1) {
    // No put takes one argument (a Java List has none, a Map's takes two): AppSync's Velocity renders such a
    // call as null and goes on. Amplify's owner-list field templates call `$ctx.source.<list>.put($list)`.
    checks.push((_s, base) => (get(base, id) ? UNHANDLED : undefined));
  } else if (id === 'put') {
    const key = param(0);
    const value = param(1);
    checks.push((s, base) => (get(base, id) ? UNHANDLED : set(base, key(s), value(s))));
  } else if (id === 'add') {
    const value = param(0);
    checks.push((s, base) =>
      get(base, id) || typeof get(base, 'push') !== 'function' ? UNHANDLED : call(get(base, 'push'), base, [value(s)]),
    );
  } else if (id === 'remove') {
    const item = param(0);
    checks.push((s, base) => {
      if (isArray(base)) {
        const removed = item(s);
        const index = typeof removed === 'number' ? removed : call(get(base, 'indexOf'), base, [removed]);
        const value = get(base, index);
        call(get(base, 'splice'), base, [index, 1]);
        return value;
      }
      if (isObject(base)) {
        const value = get(base, item(s));
        remove(base, item(s));
        return value;
      }
      return undefined;
    });
  } else if (id === 'subList') {
    const from = param(0);
    const to = param(1);
    checks.push((s, base) => (get(base, id) ? UNHANDLED : call(get(base, 'slice'), base, [from(s), to(s)])));
  }
  if (checks.length === 0) return invoke;
  return (state, base) => {
    for (const check of checks) {
      const value = check(state, base);
      if (value !== UNHANDLED) return value;
    }
    return invoke(state, base);
  };
};
