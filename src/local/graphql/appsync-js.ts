import { randomUUID } from 'node:crypto';
import { createContext, Script } from 'node:vm';
import { transformSync } from 'esbuild';
import { conditionExpression, dynamodbModule, ModuleInputError, toDynamoDB, toMapValues } from './appsync-js-dynamodb';

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
  /** `runtime.earlyReturn(value)` ran: AppSync skips the data source and the response handler. */
  earlyReturn?: boolean;
}

/** Thrown by `runtime.earlyReturn` to leave the handler; `run` turns it into the result. */
class EarlyReturn {
  constructor(readonly value: unknown) {}
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
        dynamodb: { toMapValues, toDynamoDB },
        transform: {
          toSubscriptionFilter: (filter: unknown) => filter,
          toDynamoDBFilterExpression: (filter: unknown) => JSON.stringify(conditionExpression(filter)),
          toDynamoDBConditionExpression: (filter: unknown) => JSON.stringify(conditionExpression(filter)),
        },
      },
      extensions: {
        setSubscriptionFilter: (filter: unknown) => {
          this.filter = JSON.parse(JSON.stringify(filter ?? null));
        },
      },
      runtime: {
        earlyReturn: (value: unknown = null) => {
          throw new EarlyReturn(value);
        },
      },
    };
    const context = createContext({
      module,
      exports: module.exports,
      require: (name: string) => {
        if (name === '@aws-appsync/utils') return utils;
        if (name === '@aws-appsync/utils/dynamodb') return dynamodbModule;
        throw new AppSyncJsError(
          `${path}: APPSYNC_JS has no module ${name} (AppSync's runtime offers @aws-appsync/utils, @aws-appsync/utils/dynamodb)`,
          'UnsupportedModule',
        );
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
    try {
      const value: unknown = Reflect.apply(handler, undefined, [ctx]);
      return { value, subscriptionFilter: this.filter };
    } catch (error) {
      if (error instanceof EarlyReturn)
        return { value: error.value, subscriptionFilter: this.filter, earlyReturn: true };
      // A module call the resolver got wrong fails the request, as on AppSync, not the server.
      if (error instanceof ModuleInputError) throw new AppSyncJsError(error.message, 'Code');
      throw error;
    }
  }
}
