import { createRequire } from 'node:module';
import type { GraphQLResolveInfo } from 'graphql/index.js';
import { vi } from 'vitest';
import { type RenderInput, type RenderOutput, type RequestIdentity, Vtl } from './vtl';

/**
 * Test support: renders a template with the compiled engine and with the
 * simulator's interpreter, and reduces each outcome to plain data that two
 * engines must agree on: the whole RenderOutput (errors with their class,
 * message, type, data and extensions), or the error the render threw.
 */

export type Outcome = { output: unknown; json: string } | { thrown: { name: string; message: string } };

/** Both engines of one template; each keeps its own state across renders, as the API's instances do. */
export class TemplatePair {
  readonly compiled: Vtl;
  readonly interpreter: Vtl;

  constructor(
    readonly content: string,
    path: string,
  ) {
    this.compiled = new Vtl(content, path);
    this.interpreter = new Vtl(content, path, 'interpreter');
  }

  /**
   * One render with each engine, on equal copies of the input and the caller
   * (a template can change both: `$ctx.request.headers` is the caller's own
   * object), with the same ids and clock.
   */
  render(
    input: RenderInput,
    identity: RequestIdentity,
    info: GraphQLResolveInfo,
  ): { compiled: Outcome; interpreter: Outcome } {
    const once = (engine: Vtl) => () => engine.render(structuredClone(input), structuredClone(identity), info);
    return {
      interpreter: deterministic(() => outcome(once(this.interpreter))),
      compiled: deterministic(() => outcome(once(this.compiled))),
    };
  }
}

const outcome = (render: () => RenderOutput): Outcome => {
  try {
    const output = plain(render());
    return { output, json: JSON.stringify(output) };
  } catch (error) {
    return {
      thrown: {
        name: String(Reflect.get(Object(error), 'name')),
        message: String(Reflect.get(Object(error), 'message')),
      },
    };
  }
};

/** The output with each error as the fields a caller reads (the errors are class instances). */
const plain = (output: RenderOutput): unknown => ({
  ...output,
  errors: output.errors.map((error) => ({
    class: error instanceof Error ? error.constructor.name : typeof error,
    message: error.message,
    errorType: error.errorType,
    data: error.data,
    errorInfo: Reflect.get(error, 'errorInfo'),
    extensions: Reflect.get(error, 'extensions'),
  })),
});

const simulatorUtil = createRequire(
  createRequire(import.meta.url).resolve('@aws-amplify/amplify-appsync-simulator/lib/velocity'),
)('./util') as { create: (...args: unknown[]) => object };
/** The `$util` functions every render shares (the prototype vtl.ts gives each render's `$util`). */
const sharedUtil: Record<string, unknown> = Object.getPrototypeOf(simulatorUtil.create([], new Date(), undefined, {}));

/** Runs `render` with a fixed clock and ids that count from 1, so that two renders can be compared. */
const deterministic = <T>(render: () => T): T => {
  let next = 0;
  const id = () => `00000000-0000-4000-8000-${String(++next).padStart(12, '0')}`;
  const saved = { autoId: sharedUtil.autoId, autoUlid: sharedUtil.autoUlid };
  Object.assign(sharedUtil, {
    autoId: id,
    autoUlid: () => `01ARZ3NDEKTSV4RRFFQ69G5F${String(++next).padStart(2, '0')}`,
  });
  vi.useFakeTimers({ now: new Date('2026-11-21T12:00:00.123Z'), toFake: ['Date'] });
  try {
    return render();
  } finally {
    vi.useRealTimers();
    Object.assign(sharedUtil, saved);
  }
};

/** A GraphQL resolve info with what the simulator reads: the field, its path, the selection and variables. */
export const infoFor = (parentType: string, fieldName: string, selections: string[] = ['id']): GraphQLResolveInfo => {
  const field = {
    kind: 'Field',
    name: { kind: 'Name', value: fieldName },
    // Where errors point to.
    loc: { startToken: { line: 2, column: 3 }, source: { name: 'GraphQL request' } },
    selectionSet: {
      kind: 'SelectionSet',
      selections: selections.map((name) => ({ kind: 'Field', name: { kind: 'Name', value: name } })),
    },
  };
  const info = {
    fieldName,
    path: { key: fieldName, prev: undefined },
    parentType: { name: parentType, toJSON: () => parentType },
    variableValues: { input: { id: 'v-1' } },
    fieldNodes: [field],
    fragments: {},
    operation: { selectionSet: { selections: [field] } },
  };
  return info as unknown as GraphQLResolveInfo;
};
