import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamoDb } from '../dynamodb/embedded';
import type { LocalDynamoDb } from '../dynamodb/local';
import { AppSyncJs, AppSyncJsError } from './appsync-js';
import { DynamoDataSource } from './dynamodb-source';

/**
 * Resolvers written the way AppSync's docs show them, importing
 * `@aws-appsync/utils/dynamodb`, run in the local APPSYNC_JS runtime; their
 * request objects go through the DynamoDB data source to the embedded store,
 * so each helper is held to what it does to data, not to its text.
 */
describe('APPSYNC_JS with @aws-appsync/utils/dynamodb', () => {
  let dynamodb: LocalDynamoDb;
  let source: DynamoDataSource;

  /** Runs one resolver module's request and response handlers around the data source, as a unit resolver does. */
  const resolve = async (code: string, args: Record<string, unknown>): Promise<unknown> => {
    const js = new AppSyncJs(code, 'resolver.js');
    const ctx: Record<string, unknown> = { args, arguments: args, stash: {}, identity: null };
    const request = js.run('request', ctx);
    if (request.earlyReturn) return request.value;
    const outcome = await source.invoke(request.value as Record<string, unknown>);
    Object.assign(ctx, { result: outcome.result ?? null, error: outcome.error });
    return js.run('response', ctx).value;
  };

  beforeAll(async () => {
    dynamodb = await startEmbeddedDynamoDb();
    await dynamodb.client.send(
      new CreateTableCommand({
        TableName: 'Post',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'blog', AttributeType: 'S' },
          { AttributeName: 'id', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'blog', KeyType: 'HASH' },
          { AttributeName: 'id', KeyType: 'RANGE' },
        ],
      }),
    );
    source = new DynamoDataSource(dynamodb.wire, { tableName: 'Post' });
  });
  afterAll(async () => {
    await dynamodb?.stop();
  });

  const PUT = `
    import { util } from '@aws-appsync/utils';
    import * as ddb from '@aws-appsync/utils/dynamodb';
    export function request(ctx) {
      return ddb.put({ key: { blog: ctx.args.blog, id: ctx.args.id }, item: { title: ctx.args.title, views: 0, tags: ['a'] },
        condition: { id: { attributeExists: false } } });
    }
    export function response(ctx) { if (ctx.error) util.error(ctx.error.message, ctx.error.type); return ctx.result; }`;

  it('puts with a condition, and the condition refuses a second put', async () => {
    // Act
    const first = await resolve(PUT, { blog: 'b', id: '1', title: 'one' });
    const again = await resolve(PUT, { blog: 'b', id: '1', title: 'two' }).catch((e: unknown) => e);
    // Assess
    expect(first).toMatchObject({ blog: 'b', id: '1', title: 'one', views: 0, tags: ['a'] });
    expect(again).toBeInstanceOf(AppSyncJsError);
    expect(again).toMatchObject({ errorType: 'DynamoDB:ConditionalCheckFailedException' });
  });

  it('updates with operations: replace, increment, append, prepend, remove, and a plain value', async () => {
    // Prepare
    await resolve(PUT, { blog: 'b', id: '2', title: 'two' });
    const UPDATE = `
      import { update, operations } from '@aws-appsync/utils/dynamodb';
      export function request(ctx) {
        return update({ key: { blog: 'b', id: '2' }, update: {
          title: operations.replace('renamed'), views: operations.increment(5), tags: operations.append(['z']),
          first: operations.prepend(['x']), stale: operations.remove(), subtitle: 'plain' } });
      }
      export function response(ctx) { return ctx.result; }`;
    // Act
    const updated = await resolve(UPDATE, {});
    // Assess
    expect(updated).toEqual({
      blog: 'b',
      id: '2',
      title: 'renamed',
      views: 5,
      tags: ['a', 'z'],
      first: ['x'],
      subtitle: 'plain',
    });
  });

  it('queries a partition with a sort-key condition and a filter, scans, gets and removes', async () => {
    // Prepare
    for (const [id, title] of [
      ['3', 'alpha'],
      ['4', 'beta'],
      ['5', 'alpine'],
    ])
      await resolve(PUT, { blog: 'q', id, title });
    const QUERY = `
      import * as ddb from '@aws-appsync/utils/dynamodb';
      export function request(ctx) {
        return ddb.query({ query: { blog: { eq: 'q' }, id: { between: ['3', '5'] } },
          filter: { or: [{ title: { beginsWith: 'alp' } }, { views: { gt: 10 } }] }, scanIndexForward: false });
      }
      export function response(ctx) { return ctx.result.items.map((i) => i.id); }`;
    const SCAN = `
      import { scan } from '@aws-appsync/utils/dynamodb';
      export function request() { return scan({ filter: { title: { contains: 'et' } } }); }
      export function response(ctx) { return ctx.result.items.map((i) => i.title); }`;
    const GET = `
      import { get } from '@aws-appsync/utils/dynamodb';
      export function request(ctx) { return get({ key: { blog: 'q', id: ctx.args.id } }); }
      export function response(ctx) { return ctx.result; }`;
    const REMOVE = `
      import { remove } from '@aws-appsync/utils/dynamodb';
      export function request(ctx) { return remove({ key: { blog: 'q', id: ctx.args.id } }); }
      export function response(ctx) { return ctx.result; }`;
    // Act / Assess
    expect(await resolve(QUERY, {})).toEqual(['5', '3']);
    expect(await resolve(SCAN, {})).toEqual(['beta']);
    expect(await resolve(REMOVE, { id: '4' })).toMatchObject({ title: 'beta' });
    expect(await resolve(GET, { id: '4' })).toBeNull();
  });

  it('returns early without the data source, and fails a wrong module call as an error, not a crash', async () => {
    const EARLY = `
      import { runtime } from '@aws-appsync/utils';
      import { get } from '@aws-appsync/utils/dynamodb';
      export function request(ctx) { if (!ctx.args.id) runtime.earlyReturn({ skipped: true }); return get({ key: { blog: 'q', id: ctx.args.id } }); }
      export function response() { return 'response ran'; }`;
    const WRONG = `
      import { update } from '@aws-appsync/utils/dynamodb';
      export function request() { return update({ key: { blog: 'q', id: '3' }, update: {} }); }
      export function response(ctx) { return ctx.result; }`;
    expect(await resolve(EARLY, {})).toEqual({ skipped: true });
    expect(await resolve(EARLY, { id: '3' })).toBe('response ran');
    await expect(resolve(WRONG, {})).rejects.toThrow(/update needs at least one attribute/);
    expect(() => new AppSyncJs("import x from 'lodash'; export const request = () => x;", 'bad.js')).toThrow(
      /APPSYNC_JS has no module lodash/,
    );
  });
});
