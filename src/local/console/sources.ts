import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { CognitoUserPool } from '../auth/cognito';
import { CognitoError } from '../auth/errors';
import type { TableSpec } from '../dynamodb/tables';
import type { LocalFunction } from '../functions/runner';
import type { DynamoDataSource } from '../graphql/dynamodb-source';
import { HttpError } from '../http/json-server';
import type { RequestLog } from '../http/request-log';
import type { LocalCredential } from '../iam/credentials';
import type { Outbox } from '../outbox';
import type { DeadLetterQueue } from '../streams';
import { consoleModels } from './models';
import { consoleRecords } from './records';
import { replayPlan, replayStreamEvent } from './replay';
import type { ConsoleSources, InvokeResult } from './server';

/** What the running backend shows the console; the generation's parts are read at each call (hot reload swaps them). */
export interface ConsoleBackendView {
  region: string;
  admin(): LocalCredential;
  userPool: { url: string; id: string; pool: CognitoUserPool };
  dynamodb: { url: string; client: DynamoDBClient };
  outputs(): unknown;
  tables(): TableSpec[];
  /** Writes to a table as the API's data source for it makes them (versioned where the API is). */
  tableWriter(tableName: string): DynamoDataSource;
  functions(): Map<string, LocalFunction>;
  /** The stream mappings' tables and functions, by mapping id. */
  mappings(): Map<string, { tableName: string; functionId: string }>;
  storage?: { url: string; caFile: string; buckets(): string[] };
  graphql?: { url: string; realtimeUrl: string; caFile: string };
  outbox: Outbox;
  deadLetters: DeadLetterQueue;
  search?: { documents(): Array<{ id: string; fields: unknown }> };
  openSearch?: { documents(): Array<{ index: string; id: string; source: unknown }> };
  requestLog: RequestLog;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Invokes a function as the Lambda console's Test button does: the result or error, and what it logged meanwhile. */
export const invokeWithLogs = async (fn: LocalFunction, event: unknown): Promise<InvokeResult> => {
  let logs = '';
  const stop = fn.onOutput((text) => {
    // Bounded, as Lambda's LogResult is (its last 4 KB); here the first 64 KB.
    if (logs.length < 65_536) logs += text;
  });
  const started = performance.now();
  try {
    const result = await fn.invoke(event);
    return { ok: true, result, logs, ms: performance.now() - started };
  } catch (error) {
    return {
      ok: false,
      error: {
        type: error instanceof Error ? error.name : 'Error',
        message: error instanceof Error ? error.message : String(error),
      },
      logs,
      ms: performance.now() - started,
    };
  } finally {
    // Output written just before the answer may still be in the pipe.
    await new Promise((r) => setTimeout(r, 20));
    stop();
  }
};

export const consoleSources = (view: ConsoleBackendView): ConsoleSources => {
  const functionNamed = (name: string): LocalFunction | undefined => {
    const functions = view.functions();
    return functions.get(name) ?? [...functions.values()].find((fn) => fn.spec.name === name);
  };
  return {
    region: view.region,
    adminCredentials: view.admin,
    userPool: { url: view.userPool.url, id: view.userPool.id },
    signIn: async (username) => {
      let answer: Record<string, unknown>;
      try {
        answer = await view.userPool.pool.signInAs(username);
      } catch (error) {
        // The pool's own error (no such user, disabled, unconfirmed), as a 400 the console answers.
        if (error instanceof CognitoError) throw new HttpError(error.status, error.type, error.message);
        throw error;
      }
      const result = isRecord(answer.AuthenticationResult) ? answer.AuthenticationResult : {};
      return {
        IdToken: String(result.IdToken),
        AccessToken: String(result.AccessToken),
        ExpiresIn: Number(result.ExpiresIn),
      };
    },
    dynamodbUrl: view.dynamodb.url,
    models: () => consoleModels(view.outputs(), view.tables()),
    records: (model) => consoleRecords(view.tableWriter(model.table)),
    ...(view.storage ? { storage: view.storage } : {}),
    ...(view.graphql ? { graphql: view.graphql } : {}),
    outbox: view.outbox,
    deadLetters: () => view.deadLetters.letters,
    replay: async (letter) => {
      const plan = replayPlan(letter);
      const failed = (message: string): InvokeResult => ({
        ok: false,
        error: { type: 'ReplayError', message },
        logs: '',
        ms: 0,
      });
      if (!plan) return failed('This dead letter holds no event or keys to replay.');
      if (plan.kind === 'async') {
        const fn = functionNamed(plan.functionName);
        return fn ? invokeWithLogs(fn, plan.event) : failed(`The function ${plan.functionName} is not running.`);
      }
      const mapping = view.mappings().get(plan.mappingId);
      const fn = mapping && view.functions().get(mapping.functionId);
      if (!mapping || !fn) return failed(`The stream mapping ${plan.mappingId} is not running.`);
      const records = [];
      for (const keys of plan.keys) {
        const { Item } = await view.dynamodb.client.send(
          new GetItemCommand({ TableName: mapping.tableName, Key: keys, ConsistentRead: true }),
        );
        records.push({ keys, item: Item });
      }
      const result = await invokeWithLogs(fn, replayStreamEvent(mapping.tableName, view.region, records));
      // A batch response that reports failures is a failed replay, as the mapping would count it.
      const failures =
        isRecord(result.result) && Array.isArray(result.result.batchItemFailures)
          ? result.result.batchItemFailures
          : [];
      return failures.length > 0
        ? {
            ...result,
            ok: false,
            error: { type: 'BatchItemFailures', message: `${failures.length} record(s) failed again` },
          }
        : result;
    },
    functions: () => [...view.functions()].map(([id, fn]) => ({ id, name: fn.spec.name })),
    invoke: async (name, event) => {
      const fn = functionNamed(name);
      if (!fn) return { ok: false, error: { type: 'ResourceNotFoundException', message: name }, logs: '', ms: 0 };
      return invokeWithLogs(fn, event);
    },
    searchDocuments: () => [
      ...(view.search?.documents() ?? []).map((d) => ({ engine: 'cloudsearch', index: 'domain', ...d })),
      ...(view.openSearch?.documents() ?? []).map(({ index, id, source }) => ({
        engine: 'opensearch',
        index,
        id,
        fields: source,
      })),
    ],
    requestLog: view.requestLog,
  };
};
