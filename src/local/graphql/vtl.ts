import { VelocityTemplate } from '@aws-amplify/amplify-appsync-simulator/lib/velocity';
import type { GraphQLResolveInfo } from 'graphql/index.js';

/**
 * Renders the generated VTL with the VTL engine and `$util` library of
 * Amplify's AppSync simulator, plus the two things it lacks:
 * `$extensions.setSubscriptionFilter` and `$util.transform.toSubscriptionFilter`.
 */

export interface RequestIdentity {
  /** The verified JWT claims of a user-pool caller. */
  claims: Record<string, unknown>;
  sourceIp: string;
  headers: Record<string, string>;
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

const SIMULATOR_CONTEXT = {
  appSyncConfig: { defaultAuthenticationType: { authenticationType: 'AMAZON_COGNITO_USER_POOLS' } },
};

type BuildContext = (...args: unknown[]) => { util: Record<string, unknown>; ctx: unknown };

export class Vtl {
  private readonly template: VelocityTemplate;

  constructor(content: string, path: string) {
    // The simulator only reads the default authorization mode from its context.
    this.template = new VelocityTemplate({ content: normalize(content), path }, SIMULATOR_CONTEXT as never);
  }

  render(input: RenderInput, identity: RequestIdentity, info: GraphQLResolveInfo): RenderOutput {
    let subscriptionFilter: unknown;
    const original: unknown = Reflect.get(this.template, 'buildRenderContext');
    if (typeof original !== 'function') throw new Error('the VTL engine changed: buildRenderContext is missing');
    const build: BuildContext = original.bind(this.template);
    Reflect.set(this.template, 'buildRenderContext', (...args: unknown[]) => {
      const context = build(...args);
      const transform = context.util.transform;
      if (typeof transform === 'object' && transform !== null) {
        Reflect.set(transform, 'toSubscriptionFilter', (filter: unknown) => filter);
      }
      return {
        ...context,
        extensions: {
          setSubscriptionFilter: (filter: unknown) => {
            subscriptionFilter = toPlain(filter);
            return '';
          },
          setSubscriptionInvalidationFilter: () => '',
          invalidateSubscriptions: () => '',
        },
      };
    });
    try {
      const output = this.template.render(
        {
          arguments: input.arguments,
          source: input.source ?? {},
          stash: input.stash,
          result: input.result,
          prevResult: input.prevResult,
          error: input.error,
        },
        {
          jwt: identity.claims,
          sourceIp: identity.sourceIp,
          headers: identity.headers,
          requestAuthorizationMode: 'AMAZON_COGNITO_USER_POOLS',
        } as never,
        // The simulator bundles its own graphql copy; it reads only plain fields of info.
        info as never,
      );
      return { ...output, subscriptionFilter };
    } finally {
      Reflect.set(this.template, 'buildRenderContext', original);
    }
  }
}

/**
 * AppSync's Velocity reads `$x.or` as the property `or`; the simulator's parser
 * takes `or`, `and` and `not` for operators there. The generated sync
 * resolvers use `$ctx.stash.authFilter.or`, so such property reads become
 * `.get("or")`, which means the same.
 */
export const normalize = (content: string): string =>
  content.replace(/(\$[\w{}.]*\w)\.(or|and|not)(?=[\s)\],}])/g, '$1.get("$2")');

/** VTL values are Java-like wrappers; their toJSON gives plain JSON. */
const toPlain = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null));
