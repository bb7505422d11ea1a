import { createRequire } from 'node:module';
import { VelocityTemplate } from '@aws-amplify/amplify-appsync-simulator/lib/velocity';
import type { GraphQLResolveInfo } from 'graphql/index.js';
import { AUTH_TYPE_NAMES } from './auth-modes';
import { type CompiledVtl, compileVtl, UnsupportedVtlError } from './vtl-compiler';
import { normalize } from './vtl-normalize';

/**
 * Renders the generated VTL as the VTL engine and `$util` library of
 * Amplify's AppSync simulator do, plus the two things they lack:
 * `$extensions.setSubscriptionFilter` and `$util.transform.toSubscriptionFilter`.
 * Templates are compiled into closures (./vtl-compiler) that keep the
 * interpreter's semantics and the simulator's values and `$util`; the
 * patches below speed up what both engines share (value mapping, `$util`)
 * and the interpreter, which renders what the compiler leaves to it.
 */

export interface RequestIdentity {
  /** The verified JWT claims of a user-pool caller; empty for an IAM caller. */
  claims: Record<string, unknown>;
  sourceIp: string;
  headers: Record<string, string>;
  /** Set for a SigV4-signed (AWS_IAM) caller: AppSync's `$ctx.identity` for IAM. */
  iam?: IamIdentity;
  /** A caller that sent a valid API key: AppSync gives it no `$ctx.identity`. */
  apiKey?: boolean;
  /** An AWS_LAMBDA caller: what the authorizer answered for its token. */
  lambda?: { resolverContext: Record<string, unknown>; deniedFields: string[] };
  /** An OPENID_CONNECT caller; its verified claims are in `claims`. */
  oidc?: boolean;
  /**
   * An IAM caller that is no identity-pool identity (a function's role): IAM
   * decides `appsync:GraphQL` on each field it asks for, before any resolver.
   */
  iamAllows?: (typeName: string, fieldName: string) => boolean;
}

/** `$ctx.identity` of an AWS_IAM request; the cognito fields are null for a role outside the identity pool. */
export interface IamIdentity {
  accountId: string;
  /** `<role id>:CognitoIdentityCredentials`, or `<role id>:<session>` */
  username: string;
  /** `arn:aws:sts::<account>:assumed-role/<role name>/CognitoIdentityCredentials` (or `/<session>`) */
  userArn: string;
  cognitoIdentityPoolId: string | null;
  cognitoIdentityId: string | null;
  cognitoIdentityAuthType: 'authenticated' | 'unauthenticated' | null;
  cognitoIdentityAuthProvider: string | null;
}

export interface RenderInput {
  arguments: Record<string, unknown>;
  source?: unknown;
  stash: Record<string, unknown>;
  result?: unknown;
  prevResult?: unknown;
  error?: { message: string; type: string; data?: unknown };
}

export interface RenderOutput {
  result: unknown;
  stash: Record<string, unknown>;
  args: Record<string, unknown>;
  /** Errors the template raised with $util.error / $util.unauthorized / $util.appendError. */
  errors: Array<{ message: string; errorType?: string | null; data?: unknown }>;
  isReturn: boolean;
  hadException: boolean;
  subscriptionFilter?: unknown;
}

/**
 * AppSync's Velocity (Java) returns null for a method called on a null
 * reference, such as `$ctx.args.filter.get("and")` when no filter is given;
 * the JavaScript engine the simulator uses throws instead. This gives it the
 * Java behaviour, once, for the engine the simulator loads.
 */
const patchNullMethodCalls = (): void => {
  const require = createRequire(require_resolve_anchor());
  const engine: unknown = require('amplify-velocity-template');
  const compile = typeof engine === 'object' && engine !== null ? Reflect.get(engine, 'Compile') : undefined;
  const proto: unknown = typeof compile === 'function' ? compile.prototype : undefined;
  const original: unknown = proto ? Reflect.get(proto as object, 'getPropMethod') : undefined;
  if (typeof original !== 'function' || Reflect.get(original, 'nullSafe')) return;
  const nullSafe = function (this: unknown, property: unknown, baseRef: unknown, ast: unknown) {
    if (baseRef === null || baseRef === undefined) return undefined;
    // The engine reports a failing method call at ast.pos, which some nodes lack.
    if (typeof ast === 'object' && ast !== null && !Reflect.get(ast, 'pos')) {
      Reflect.set(ast, 'pos', { first_line: 0, first_column: 0 });
    }
    return Reflect.apply(original, this, [property, baseRef, ast]);
  };
  Reflect.set(nullSafe, 'nullSafe', true);
  Reflect.set(proto as object, 'getPropMethod', nullSafe);
};

// Resolve the engine from the simulator's own location, so the patched copy is the one it uses.
const require_resolve_anchor = (): string =>
  createRequire(import.meta.url).resolve('@aws-amplify/amplify-appsync-simulator/lib/velocity');

/** Java's Map.get(null) is null; the simulator's JavaMap calls toString() on the key. */
const patchNullMapKeys = (): void => {
  const require = createRequire(require_resolve_anchor());
  const module: unknown = require('./value-mapper/map');
  const javaMap = typeof module === 'object' && module !== null ? Reflect.get(module, 'JavaMap') : undefined;
  const proto: unknown = typeof javaMap === 'function' ? javaMap.prototype : undefined;
  const original: unknown = proto ? Reflect.get(proto as object, 'get') : undefined;
  if (typeof original !== 'function' || Reflect.get(original, 'nullSafe')) return;
  const nullSafe = function (this: unknown, key: unknown) {
    return key === null || key === undefined ? null : Reflect.apply(original, this, [key]);
  };
  Reflect.set(nullSafe, 'nullSafe', true);
  Reflect.set(proto as object, 'get', nullSafe);
};

/**
 * The simulator maps every value into and out of its Java-like wrappers with
 * `reduce((sum, [k, v]) => ({ ...sum, [k]: v }), {})`, which copies the
 * object once per key. These are the same functions with a loop: the same
 * wrappers, keys in the same order. Strings and numbers become their
 * wrappers directly, and a plain object's map is filled without the copy
 * the constructor makes; the proxies share one handler that does what the
 * simulator's per-map handler does.
 */
const patchLinearMapping = (): void => {
  const require = createRequire(require_resolve_anchor());
  const mapper = require('./value-mapper/mapper') as {
    map: ((value: unknown, hint?: string) => unknown) & { linear?: true };
  };
  type JavaMapLike = { map: Map<PropertyKey, unknown>; get(key: unknown): unknown } & Record<PropertyKey, unknown>;
  const javaMap = require('./value-mapper/map') as {
    JavaMap: new (obj: object, mapper: unknown) => JavaMapLike;
  };
  const { JavaString } = require('./value-mapper/string') as { JavaString: new (value: string) => object };
  const { JavaInteger } = require('./value-mapper/integer') as { JavaInteger: new (value: number) => object };
  const { JavaDecimal } = require('./value-mapper/decimal') as { JavaDecimal: new (value: number) => object };
  const { toJSON } = require('./value-mapper/to-json') as { toJSON: (value: unknown) => unknown };
  const original = mapper.map;
  if (original.linear) return;
  const handler: ProxyHandler<JavaMapLike> = {
    get(target, prop) {
      if (target.map.has(prop)) return target.get(prop);
      return target[prop];
    },
    set(target, prop, value) {
      if (typeof value !== 'function') target.map.set(prop, value);
      return true;
    },
  };
  const map = (value: unknown, hint?: string): unknown => {
    if (typeof value === 'string') return new JavaString(value);
    if (typeof value === 'number') {
      return hint === 'integer' || (hint !== 'decimal' && Math.trunc(value) === value)
        ? new JavaInteger(value)
        : new JavaDecimal(value);
    }
    if (typeof value !== 'object' || value === null) return original(value, hint);
    const proto: unknown = Object.getPrototypeOf(value);
    // Wrappers, arrays and anything unusual go the original way; plain objects are the hot case.
    if (proto !== Object.prototype && proto !== null) return original(value, hint);
    if (!isPlainObject(value)) return original(value, hint);
    const wrapped = new javaMap.JavaMap({}, map);
    if (Object.hasOwn(value, '__proto__')) {
      // Assigning `__proto__` to a plain object sets its prototype, which the simulator's copy does.
      const mapped: Record<string, unknown> = {};
      for (const key of Object.keys(value)) mapped[key] = map(value[key]);
      for (const key of Object.keys(mapped)) wrapped.map.set(key, mapped[key]);
    } else {
      for (const key of Object.keys(value)) wrapped.map.set(key, map(value[key]));
    }
    return new Proxy(wrapped, handler);
  };
  map.linear = true as const;
  mapper.map = map;
  Reflect.set(javaMap.JavaMap.prototype, 'toJSON', function (this: { map: Map<string, unknown> }) {
    const plain: Record<string, unknown> = {};
    this.map.forEach((value, key) => {
      plain[key] = toJSON(value);
    });
    return plain;
  });
};

/** lodash's isPlainObject, which the simulator's mapper uses: a null prototype or Object's. */
const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Object.prototype.toString.call(value) !== '[object Object]')
    return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === null) return true;
  const ctor: unknown = Reflect.get(proto as object, 'constructor');
  return ctor === Object || (typeof ctor === 'function' && Function.prototype.toString.call(ctor) === OBJECT_SOURCE);
};
const OBJECT_SOURCE = Function.prototype.toString.call(Object);

/**
 * The simulator builds `$util` for each render by spreading some eighty
 * functions into a new object. Only `errors`, `now`, `info` and `authType`
 * differ between renders, so those sit on an object whose prototype holds the
 * rest, built once. The functions see the same `this.errors` and `this.info`.
 */
const patchSharedUtil = (): void => {
  const require = createRequire(require_resolve_anchor());
  const util = require('./util') as {
    create: ((errors?: unknown[], now?: Date, info?: unknown, context?: unknown) => Record<string, unknown>) & {
      shared?: true;
    };
  };
  const { authUtils } = require('./util/auth-utils') as { authUtils: (context: unknown) => object };
  const original = util.create;
  if (original.shared) return;
  const shared = original([], new Date(), undefined, {});
  // The simulator names only four modes (a Lambda caller would read 'API Key Authorization'): AppSync's names.
  const authType = (context: unknown) => {
    const mode =
      typeof context === 'object' && context !== null ? Reflect.get(context, 'requestAuthorizationMode') : '';
    const name = Object.entries(AUTH_TYPE_NAMES).find(([m]) => m === mode)?.[1];
    return name ? { authType: () => name } : authUtils(context);
  };
  const create = (errors: unknown[] = [], now = new Date(), info?: unknown, context?: unknown) =>
    Object.assign(Object.create(shared) as Record<string, unknown>, authType(context), { errors, now, info });
  create.shared = true as const;
  util.create = create;
};

/**
 * The simulator's JavaArray gives every instance a prototype of its own
 * (`Object.setPrototypeOf(this, Object.create(JavaArray.prototype))`, a
 * leftover of compiling to ES5), which makes every property read on a list
 * megamorphic. This class builds the same arrays, with the same constructor
 * arguments and methods, on one shared prototype; the simulator's modules read
 * `JavaArray` from the module at each use, so they all get it.
 */
const patchJavaArray = (): void => {
  const require = createRequire(require_resolve_anchor());
  const module = require('./value-mapper/array') as {
    JavaArray: (new (...args: unknown[]) => unknown[]) & { fast?: true };
  };
  const Original = module.JavaArray;
  if (Original.fast) return;
  class JavaArray extends Array<unknown> {
    static readonly fast = true;
    mapper: unknown;
    constructor(values: unknown = [], mapper?: unknown) {
      const list = Array.isArray(values) ? values : [values];
      if (list.length !== 1) super(...list);
      else {
        super();
        this.push(list[0]);
      }
      this.mapper = mapper;
    }
  }
  // The methods (add, contains, toJSON, …) stay on the original prototype, now one level up.
  Object.setPrototypeOf(JavaArray.prototype, Original.prototype);
  module.JavaArray = JavaArray as unknown as typeof module.JavaArray;
};

/**
 * A double-quoted string with references in it (`"$ctx.identity.sub::…"`) is
 * parsed again each time the engine evaluates it. Its parse depends on the
 * text alone, so it is kept, per text.
 */
const patchStringParsing = (): void => {
  const require = createRequire(require_resolve_anchor());
  const engine = require('amplify-velocity-template') as {
    parse: (text: string) => unknown;
    Compile: { prototype: Record<string, unknown> };
  };
  const proto = engine.Compile.prototype;
  const original = proto.evalStr as ((text: string) => unknown) & { cached?: true };
  if (original.cached) return;
  const parsed = new Map<string, unknown>();
  const evalStr = function (this: Record<string, (...args: unknown[]) => unknown>, text: string) {
    let asts = parsed.get(text);
    if (asts === undefined) {
      asts = engine.parse(String(this.escapeString?.(text)));
      if (parsed.size < 10_000) parsed.set(text, asts);
    }
    return this._render?.(asts, this.condition);
  };
  evalStr.cached = true as const;
  proto.evalStr = evalStr;
};

patchNullMethodCalls();
patchNullMapKeys();
patchLinearMapping();
patchSharedUtil();
patchJavaArray();
patchStringParsing();

const SIMULATOR_CONTEXT = {
  appSyncConfig: { defaultAuthenticationType: { authenticationType: 'AMAZON_COGNITO_USER_POOLS' } },
};

/** What the simulator's `buildRenderContext` returns: the template's variables. */
interface RenderContext {
  util: { errors: unknown[] } & Record<string, unknown>;
  ctx: { stash: { toJSON(): Record<string, unknown> }; args: { toJSON(): Record<string, unknown> } };
  [name: string]: unknown;
}
type SimulatorOutput = Omit<RenderOutput, 'subscriptionFilter'>;

const simulator = createRequire(require_resolve_anchor());
const { map: mapValue } = simulator('./value-mapper/mapper') as { map: (value: unknown, hint?: string) => unknown };
const simulatorUtil = simulator('./util') as {
  create: (errors: unknown[], now: Date, info: unknown, request: unknown) => RenderContext['util'];
  TemplateSentError: new (message: string, type: string, data: null, info: null, graphqlInfo: unknown) => Error;
  ValidateError: new (...args: never[]) => Error & { data: unknown };
};
const { createInfo } = simulator('./util/info') as { createInfo: (info: unknown) => unknown };
const { transformUtils } = simulator('./util/transform') as { transformUtils: Record<string, unknown> };
transformUtils.toSubscriptionFilter ??= (filter: unknown) => filter;

/** The request context the simulator's engine takes for a caller. */
const requestOf = (identity: RequestIdentity) =>
  identity.apiKey
    ? { sourceIp: identity.sourceIp, headers: identity.headers, requestAuthorizationMode: 'API_KEY' }
    : identity.lambda
      ? { sourceIp: identity.sourceIp, headers: identity.headers, requestAuthorizationMode: 'AWS_LAMBDA' }
      : identity.iam
        ? {
            iamToken: identity.iam,
            sourceIp: identity.sourceIp,
            headers: identity.headers,
            requestAuthorizationMode: 'AWS_IAM',
          }
        : {
            jwt: identity.claims,
            sourceIp: identity.sourceIp,
            headers: identity.headers,
            requestAuthorizationMode: identity.oidc ? 'OPENID_CONNECT' : 'AMAZON_COGNITO_USER_POOLS',
          };

/** `$ctx.identity` as the simulator maps it, for a user-pool or an IAM caller. */
const identityOf = (identity: RequestIdentity): unknown => {
  if (identity.apiKey) return null;
  // AppSync's identity for a Lambda-authorized caller is the authorizer's resolverContext only.
  if (identity.lambda) return mapValue({ resolverContext: identity.lambda.resolverContext });
  const iam = identity.iam;
  if (iam) {
    return mapValue({
      sourceIp: identity.sourceIp,
      username: iam.username,
      userArn: iam.userArn,
      cognitoIdentityPoolId: iam.cognitoIdentityPoolId,
      cognitoIdentityId: iam.cognitoIdentityId,
      cognitoIdentityAuthType: iam.cognitoIdentityAuthType,
      cognitoIdentityAuthProvider: iam.cognitoIdentityAuthProvider,
    });
  }
  const jwt = identity.claims;
  const cognitoUserName = jwt['cognito:username'];
  return mapValue({
    sub: jwt.sub,
    issuer: jwt.iss,
    sourceIp: identity.sourceIp,
    'cognito:username': cognitoUserName,
    username: jwt.username || cognitoUserName,
    claims: jwt,
    // The default authorization mode is user pools (SIMULATOR_CONTEXT).
    defaultAuthStrategy: 'ALLOW',
  });
};

const UNSET: unique symbol = Symbol('unset');

/**
 * The simulator's `buildRenderContext` for the compiled engine: the same
 * variables, but `$ctx.info`, `$ctx.identity`, `$ctx.source`, `$ctx.result`
 * and `$ctx.prev` are mapped into the Java-like wrappers when a template
 * first reads them, which most never do. They stay enumerable, writable
 * properties of a plain object, in the simulator's order, so `$ctx` lists,
 * prints and serializes as before.
 */
const lazyContext = (
  input: RenderInput,
  identity: RequestIdentity,
  info: unknown,
  extensions: object,
): RenderContext => {
  const util = simulatorUtil.create([], new Date(Date.now()), info, requestOf(identity));
  const args = mapValue(input.arguments);
  let mappedInfo: unknown = UNSET;
  let mappedIdentity: unknown = UNSET;
  let source: unknown = UNSET;
  let result: unknown = UNSET;
  const error = input.error;
  const ctx = {
    arguments: args,
    args,
    get info() {
      if (mappedInfo === UNSET) mappedInfo = mapValue(createInfo(info));
      return mappedInfo;
    },
    set info(value) {
      mappedInfo = value;
    },
    request: { headers: identity.headers },
    get identity() {
      if (mappedIdentity === UNSET) mappedIdentity = identityOf(identity);
      return mappedIdentity;
    },
    set identity(value) {
      mappedIdentity = value;
    },
    stash: mapValue(input.stash || {}),
    get source() {
      if (source === UNSET) source = mapValue(input.source ?? {});
      return source;
    },
    set source(value) {
      source = value;
    },
    get result() {
      if (result === UNSET) result = mapValue(input.result);
      return result;
    },
    set result(value) {
      result = value;
    },
    error: error
      ? {
          ...error,
          type: error.type || Reflect.get(Reflect.get(error, 'extensions') ?? {}, 'errorType') || 'UnknownErrorType',
          message: error.message || `Error: ${error}`,
        }
      : error,
  };
  if (input.prevResult !== undefined) {
    let prev: unknown = UNSET;
    Object.defineProperty(ctx, 'prev', {
      enumerable: true,
      configurable: true,
      get() {
        if (prev === UNSET) prev = mapValue({ result: input.prevResult });
        return prev;
      },
      set(value) {
        prev = value;
      },
    });
  }
  return { util, utils: util, context: ctx, ctx: ctx as unknown as RenderContext['ctx'], extensions };
};

/**
 * Templates the transformer emits by the hundred whose output depends on
 * nothing but the previous result. They are answered without the engine;
 * the output is what the engine would render.
 */
const CONSTANT_TEMPLATES = new Map<string, (input: RenderInput) => unknown>([
  ['$util.toJson({})', () => ({})],
  ['$util.toJson({"version":"2018-05-29","payload":{}})', () => ({ version: '2018-05-29', payload: {} })],
  ['$util.toJson($ctx.prev.result)', (input) => toPlain(input.prevResult)],
]);

/**
 * Which engine renders: `compiled` (the default) compiles the template into
 * closures (./vtl-compiler) and falls back to the interpreter for a template
 * it does not compile; `interpreter` is the simulator's engine alone, the
 * reference the compiled one is tested against.
 */
export type VtlEngine = 'compiled' | 'interpreter';

export class Vtl {
  private readonly constant: ((input: RenderInput) => unknown) | undefined;
  private readonly compiled: CompiledVtl | undefined;
  private readonly template: VelocityTemplate | undefined;
  /** Why the compiler left this template to the interpreter; undefined when it compiled it. */
  readonly fallback: string | undefined;
  /** What `$extensions.setSubscriptionFilter` received during the current (synchronous) render. */
  private subscriptionFilter: unknown;
  private readonly extensions = {
    setSubscriptionFilter: (filter: unknown) => {
      this.subscriptionFilter = toPlain(filter);
      return '';
    },
    setSubscriptionInvalidationFilter: () => '',
    invalidateSubscriptions: () => '',
  };

  constructor(
    content: string,
    readonly path: string,
    engine: VtlEngine = 'compiled',
  ) {
    const text = normalize(content);
    if (engine === 'compiled') {
      this.constant = CONSTANT_TEMPLATES.get(content.trim());
      try {
        this.compiled = compileVtl(text, mapValue);
        return;
      } catch (error) {
        // A template that does not parse fails below, with the simulator's own parse error.
        this.fallback = error instanceof UnsupportedVtlError ? error.message : 'it does not parse';
      }
    }
    // The simulator only reads the default authorization mode from its context.
    this.template = new VelocityTemplate({ content: text, path }, SIMULATOR_CONTEXT as never);
    const original: unknown = Reflect.get(this.template, 'buildRenderContext');
    if (typeof original !== 'function') throw new Error('the VTL engine changed: buildRenderContext is missing');
    const build = original.bind(this.template);
    Reflect.set(this.template, 'buildRenderContext', (...args: unknown[]) => ({
      ...build(...args),
      extensions: this.extensions,
    }));
  }

  render(input: RenderInput, identity: RequestIdentity, info: GraphQLResolveInfo): RenderOutput {
    if (this.constant) {
      return {
        result: this.constant(input),
        stash: input.stash,
        args: input.arguments,
        errors: [],
        isReturn: false,
        hadException: false,
        subscriptionFilter: undefined,
      };
    }
    this.subscriptionFilter = undefined;
    if (this.compiled) {
      return {
        ...this.renderCompiled(this.compiled, input, identity, info),
        subscriptionFilter: this.subscriptionFilter,
      };
    }
    const output: SimulatorOutput = (this.template as VelocityTemplate).render(
      {
        arguments: input.arguments,
        source: input.source ?? {},
        stash: input.stash,
        result: input.result,
        prevResult: input.prevResult,
        error: input.error,
      },
      requestOf(identity) as never,
      // The simulator bundles its own graphql copy; it reads only plain fields of info.
      info as never,
    );
    return { ...output, subscriptionFilter: this.subscriptionFilter };
  }

  /** The simulator's `VelocityTemplate.render`, with the compiled template in place of the interpreter. */
  private renderCompiled(
    compiled: CompiledVtl,
    input: RenderInput,
    identity: RequestIdentity,
    info: GraphQLResolveInfo,
  ): SimulatorOutput {
    const context = lazyContext(input, identity, info, this.extensions);
    let rendered: { output: unknown; isReturn: boolean };
    try {
      rendered = compiled.render(context);
    } catch {
      const errors = context.util.errors;
      const last = errors.length && errors[errors.length - 1];
      return {
        result: last && last instanceof simulatorUtil.ValidateError ? last.data : null,
        errors: [...errors] as RenderOutput['errors'],
        isReturn: Boolean(last && last instanceof simulatorUtil.ValidateError),
        stash: context.ctx.stash.toJSON(),
        args: context.ctx.args.toJSON(),
        hadException: true,
      };
    }
    const { output, isReturn } = rendered;
    const stash = context.ctx.stash.toJSON();
    const args = context.ctx.args.toJSON();
    const errors = context.util.errors as RenderOutput['errors'];
    try {
      return { result: JSON.parse(output as string), stash, args, errors, isReturn, hadException: false };
    } catch {
      if (isReturn) return { result: output, stash, args, errors, isReturn, hadException: false };
      throw new simulatorUtil.TemplateSentError(
        `Unable to convert ${output} to class com.amazonaws.deepdish.transform.model.lambda.LambdaVersionedConfig.`,
        'MappingTemplate',
        null,
        null,
        info,
      );
    }
  }
}

/** VTL values are Java-like wrappers; their toJSON gives plain JSON. */
const toPlain = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null));
