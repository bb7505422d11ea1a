import { randomUUID } from 'node:crypto';
import { createContext, Script } from 'node:vm';
import { marshall } from '@aws-sdk/util-dynamodb';
import { transformSync } from 'esbuild';

/**
 * The APPSYNC_JS runtime for the resolvers that `a.handler.custom` produces:
 * the module is compiled once, then `request(ctx)` and `response(ctx)` run in
 * a V8 context of their own with the `@aws-appsync/utils` API they import.
 */

export class AppSyncJsError extends Error {
  constructor(
    message: string,
    readonly errorType: string | null,
    readonly data: unknown = null,
  ) {
    super(message);
  }
}

export interface JsResult {
  value: unknown;
  subscriptionFilter?: unknown;
}

export class AppSyncJs {
  private readonly exports: Record<string, unknown>;
  private filter: unknown;

  constructor(code: string, path: string) {
    const { code: cjs } = transformSync(code, { loader: 'js', format: 'cjs', target: 'es2020', sourcefile: path });
    const module = { exports: {} as Record<string, unknown> };
    const utils = {
      util: {
        error: (message: string, type: string | null = null, data: unknown = null) => {
          throw new AppSyncJsError(message, type, data);
        },
        unauthorized: () => {
          throw new AppSyncJsError('Unauthorized', 'Unauthorized');
        },
        autoId: () => randomUUID(),
        isNull: (value: unknown) => value === null || value === undefined,
        isNullOrEmpty: (value: unknown) =>
          value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0),
        time: {
          nowISO8601: () => new Date().toISOString(),
          nowEpochMilliSeconds: () => Date.now(),
          nowEpochSeconds: () => Math.floor(Date.now() / 1000),
        },
        dynamodb: {
          toMapValues: (value: Record<string, unknown>) => marshall(value, { removeUndefinedValues: true }),
          toDynamoDB: (value: unknown) => marshall({ v: value }, { removeUndefinedValues: true }).v,
        },
        transform: { toSubscriptionFilter: (filter: unknown) => filter },
      },
      extensions: {
        setSubscriptionFilter: (filter: unknown) => {
          this.filter = JSON.parse(JSON.stringify(filter ?? null));
        },
      },
      runtime: {
        earlyReturn: () => {
          throw new AppSyncJsError('runtime.earlyReturn is not supported locally', 'UnsupportedOperation');
        },
      },
    };
    const context = createContext({
      module,
      exports: module.exports,
      require: (name: string) => {
        if (name === '@aws-appsync/utils') return utils;
        throw new Error(`${path}: APPSYNC_JS cannot import ${name}`);
      },
    });
    new Script(cjs, { filename: path }).runInContext(context, { timeout: 1000 });
    this.exports = module.exports;
  }

  /** Runs `request` or `response` with a context object; throws AppSyncJsError for util.error. */
  run(name: 'request' | 'response', ctx: unknown): JsResult {
    const handler = this.exports[name];
    if (typeof handler !== 'function') throw new Error(`APPSYNC_JS module has no ${name} function`);
    this.filter = undefined;
    const value: unknown = Reflect.apply(handler, undefined, [ctx]);
    return { value, subscriptionFilter: this.filter };
  }
}
