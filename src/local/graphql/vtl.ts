import { createRequire } from 'node:module';
import { VelocityTemplate } from '@aws-amplify/amplify-appsync-simulator/lib/velocity';
import type { GraphQLResolveInfo } from 'graphql/index.js';
import { normalize } from './vtl-normalize';

/**
 * Renders the generated VTL with the VTL engine and `$util` library of
 * Amplify's AppSync simulator, plus the two things it lacks:
 * `$extensions.setSubscriptionFilter` and `$util.transform.toSubscriptionFilter`.
 */

export interface RequestIdentity {
  /** The verified JWT claims of a user-pool caller; empty for an IAM caller. */
  claims: Record<string, unknown>;
  sourceIp: string;
  headers: Record<string, string>;
  /** Set for a SigV4-signed (AWS_IAM) caller: AppSync's `$ctx.identity` for IAM. */
  iam?: IamIdentity;
}

/** `$ctx.identity` of an AWS_IAM request signed with identity-pool credentials. */
export interface IamIdentity {
  accountId: string;
  /** `<role id>:CognitoIdentityCredentials` */
  username: string;
  /** `arn:aws:sts::<account>:assumed-role/<role name>/CognitoIdentityCredentials` */
  userArn: string;
  cognitoIdentityPoolId: string;
  cognitoIdentityId: string;
  cognitoIdentityAuthType: 'authenticated' | 'unauthenticated';
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
 * wrappers, keys in the same order.
 */
const patchLinearMapping = (): void => {
  const require = createRequire(require_resolve_anchor());
  const mapper = require('./value-mapper/mapper') as {
    map: ((value: unknown, hint?: string) => unknown) & { linear?: true };
  };
  const javaMap = require('./value-mapper/map') as {
    JavaMap: new (obj: object, mapper: unknown) => { map: Map<string, unknown> };
    createMapProxy: (map: object) => object;
  };
  const { toJSON } = require('./value-mapper/to-json') as { toJSON: (value: unknown) => unknown };
  const original = mapper.map;
  if (original.linear) return;
  const map = (value: unknown, hint?: string): unknown => {
    if (typeof value !== 'object' || value === null) return original(value, hint);
    const proto: unknown = Object.getPrototypeOf(value);
    // Wrappers, arrays and anything unusual go the original way; plain objects are the hot case.
    if (proto !== Object.prototype && proto !== null) return original(value, hint);
    if (!isPlainObject(value)) return original(value, hint);
    const mapped: Record<string, unknown> = {};
    for (const key of Object.keys(value)) mapped[key] = map(value[key]);
    return javaMap.createMapProxy(new javaMap.JavaMap(mapped, map));
  };
  map.linear = true as const;
  mapper.map = map;
  Reflect.set(javaMap.JavaMap.prototype, 'toJSON', function (this: { map: Map<string, unknown> }) {
    const plain: Record<string, unknown> = {};
    for (const [key, value] of this.map) plain[key] = toJSON(value);
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
  return (
    typeof ctor === 'function' && Function.prototype.toString.call(ctor) === Function.prototype.toString.call(Object)
  );
};

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
  const create = (errors: unknown[] = [], now = new Date(), info?: unknown, context?: unknown) =>
    Object.assign(Object.create(shared) as Record<string, unknown>, authUtils(context), { errors, now, info });
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

type BuildContext = (...args: unknown[]) => { util: Record<string, unknown>; ctx: unknown };

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

export class Vtl {
  private readonly template: VelocityTemplate;
  private readonly constant: ((input: RenderInput) => unknown) | undefined;
  /** What `$extensions.setSubscriptionFilter` received during the current (synchronous) render. */
  private subscriptionFilter: unknown;

  constructor(content: string, path: string) {
    this.constant = CONSTANT_TEMPLATES.get(content.trim());
    // The simulator only reads the default authorization mode from its context.
    this.template = new VelocityTemplate({ content: normalize(content), path }, SIMULATOR_CONTEXT as never);
    const original: unknown = Reflect.get(this.template, 'buildRenderContext');
    if (typeof original !== 'function') throw new Error('the VTL engine changed: buildRenderContext is missing');
    const build: BuildContext = original.bind(this.template);
    const extensions = {
      setSubscriptionFilter: (filter: unknown) => {
        this.subscriptionFilter = toPlain(filter);
        return '';
      },
      setSubscriptionInvalidationFilter: () => '',
      invalidateSubscriptions: () => '',
    };
    Reflect.set(this.template, 'buildRenderContext', (...args: unknown[]) => {
      const context = build(...args);
      const transform = context.util.transform;
      if (typeof transform === 'object' && transform !== null && !Reflect.has(transform, 'toSubscriptionFilter')) {
        Reflect.set(transform, 'toSubscriptionFilter', (filter: unknown) => filter);
      }
      return { ...context, extensions };
    });
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
      };
    }
    this.subscriptionFilter = undefined;
    const output = this.template.render(
      {
        arguments: input.arguments,
        source: input.source ?? {},
        stash: input.stash,
        result: input.result,
        prevResult: input.prevResult,
        error: input.error,
      },
      identity.iam
        ? ({
            iamToken: identity.iam,
            sourceIp: identity.sourceIp,
            headers: identity.headers,
            requestAuthorizationMode: 'AWS_IAM',
          } as never)
        : ({
            jwt: identity.claims,
            sourceIp: identity.sourceIp,
            headers: identity.headers,
            requestAuthorizationMode: 'AMAZON_COGNITO_USER_POOLS',
          } as never),
      // The simulator bundles its own graphql copy; it reads only plain fields of info.
      info as never,
    );
    return { ...output, subscriptionFilter: this.subscriptionFilter };
  }
}

/** VTL values are Java-like wrappers; their toJSON gives plain JSON. */
const toPlain = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null));
