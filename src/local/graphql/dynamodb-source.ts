import type { AttributeValue, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { type CancellationReason, type DynamoDbCaller, DynamoDbError } from '../dynamodb/wire';

/**
 * An AppSync DynamoDB data source (request format 2018-05-29), including the
 * versioned semantics behind DataStore sync: `_version` checks, AUTOMERGE
 * conflict handling, soft deletes, the DeltaSync table and the Sync operation.
 */

type Item = Record<string, AttributeValue>;
type Json = Record<string, unknown>;

export interface ExpressionSpec {
  expression: string;
  expressionNames?: Record<string, string>;
  expressionValues?: Item;
}

export interface DataSourceError {
  message: string;
  type: string;
  data?: unknown;
}

export interface DataSourceResult {
  result?: unknown;
  error?: DataSourceError;
}

export interface VersioningConfig {
  deltaSyncTableName: string;
  /** Minutes a soft-deleted item stays in the base table. */
  baseTableTtlMinutes: number;
  /** Minutes a change stays in the DeltaSync table. */
  deltaSyncTableTtlMinutes: number;
}

/** The item half of AppSync's conflict-handler event; the caller adds arguments, resolver and identity. */
export interface ConflictItems {
  /** The stored item with the mutation applied; null for a delete. */
  newItem: Json | null;
  existingItem: Json;
}

export interface DynamoDataSourceConfig {
  tableName: string;
  versioned?: VersioningConfig;
  conflictHandler?: 'AUTOMERGE' | 'OPTIMISTIC_CONCURRENCY' | 'LAMBDA' | 'NONE';
  /** For `LAMBDA`: invokes the resolver's LambdaConflictHandlerConfig function and returns what it returned. */
  lambdaConflictHandler?: (items: ConflictItems) => Promise<unknown>;
}

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

interface ExpressionParts {
  expression?: string;
  names?: Record<string, string>;
  values?: Item;
}

/** An AppSync expression object as DynamoDB's parts; an absent or blank expression gives none. */
const expressionParts = (spec: unknown): ExpressionParts => {
  if (!isRecord(spec) || typeof spec.expression !== 'string' || spec.expression.trim() === '') return {};
  const names = isRecord(spec.expressionNames) ? spec.expressionNames : {};
  const values = isRecord(spec.expressionValues) ? spec.expressionValues : {};
  return {
    expression: spec.expression,
    names: Object.keys(names).length > 0 ? (names as Record<string, string>) : undefined,
    values: Object.keys(values).length > 0 ? (values as Item) : undefined,
  };
};

/** Merges expression names and values from several parts; DynamoDB rejects empty maps. */
const mergeAttributes = (...parts: Array<{ names?: Record<string, string>; values?: Item }>) => {
  const names = Object.assign({}, ...parts.map((p) => p.names ?? {}));
  const values = Object.assign({}, ...parts.map((p) => p.values ?? {}));
  return {
    ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
    ExpressionAttributeValues: Object.keys(values).length > 0 ? values : undefined,
  };
};

const encodeToken = (key: Item | undefined): string | null =>
  key ? Buffer.from(JSON.stringify(key), 'utf8').toString('base64url') : null;

const decodeToken = (token: unknown): Item | undefined => {
  if (typeof token !== 'string' || token === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isRecord(parsed)) return parsed as Item;
  } catch {
    // fall through
  }
  throw new DataSourceFailure('Invalid nextToken', 'InvalidNextTokenException');
};

class DataSourceFailure extends Error {
  constructor(
    message: string,
    readonly type: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

const isConditionalCheckFailure = (error: unknown): boolean =>
  error instanceof DynamoDbError && error.name === 'ConditionalCheckFailedException';

/**
 * A cancelled transaction as AppSync gives it to the response handler: the
 * error, and `cancellationReasons` in the result, one per item in the order
 * written (`type`, `message`, and the item when a condition failed and the
 * request asked for it), with `keys` or `items` null.
 */
const cancelled = (error: DynamoDbError, operation: unknown): DataSourceResult => ({
  result: {
    [operation === 'TransactGetItems' ? 'items' : 'keys']: null,
    cancellationReasons: (error.cancellationReasons ?? []).map((reason: CancellationReason) => ({
      type: reason.Code ?? null,
      message: reason.Message ?? null,
      ...(reason.Item ? { item: unmarshall(reason.Item as Item) } : {}),
    })),
  },
  error: { message: error.message, type: `DynamoDB:${error.name}` },
});

const dynamoError = (error: unknown): DataSourceError => {
  if (error instanceof DataSourceFailure) return { message: error.message, type: error.type, data: error.data };
  if (error instanceof DynamoDbError) {
    return { message: error.message, type: `DynamoDB:${error.name}` };
  }
  return { message: error instanceof Error ? error.message : String(error), type: 'DynamoDB:InternalError' };
};

/**
 * AUTOMERGE as AppSync documents it: on a conflict, scalar fields keep the
 * server's value; lists are concatenated (server first); sets are unioned;
 * fields that are new or null on the server take the incoming value; maps
 * merge field by field with the same rules.
 */
export const automerge = (server: unknown, incoming: unknown): unknown => {
  if (server === null || server === undefined) return incoming;
  if (incoming === undefined) return server;
  if (server instanceof Set && incoming instanceof Set) return new Set([...server, ...incoming]);
  if (Array.isArray(server) && Array.isArray(incoming)) return [...server, ...incoming];
  if (isRecord(server) && isRecord(incoming)) {
    const merged: Json = { ...server };
    for (const [key, value] of Object.entries(incoming)) merged[key] = automerge(server[key], value);
    return merged;
  }
  return server;
};

/** The attribute values an update expression of the form `SET #a = :a, … REMOVE #b` would write. */
export const incomingFromUpdate = (update: ExpressionSpec): Json => {
  const names = update.expressionNames ?? {};
  const values = update.expressionValues ?? {};
  const incoming: Json = {};
  const set = /SET\s+(.*?)(?=\s+(?:REMOVE|ADD|DELETE)\s|$)/s.exec(update.expression)?.[1] ?? '';
  for (const assignment of set.split(',')) {
    const match = /^\s*(#?[\w]+)\s*=\s*(:[\w]+)\s*$/.exec(assignment);
    if (!match) continue;
    const name = names[match[1] ?? ''] ?? match[1] ?? '';
    const value = values[match[2] ?? ''];
    if (value) incoming[name] = unmarshall({ v: value }).v;
  }
  const remove = /REMOVE\s+(.*?)(?=\s+(?:SET|ADD|DELETE)\s|$)/s.exec(update.expression)?.[1] ?? '';
  for (const field of remove.split(',')) {
    const name = field.trim();
    if (name) incoming[names[name] ?? name] = null;
  }
  return incoming;
};

const SYNC_FIELDS = ['_version', '_lastChangedAt', '_deleted', '_ttl'];

/** What an update expression does to a stored item: its SET values, and its REMOVE (null) fields gone. */
const applyIncoming = (current: Json, incoming: Json): Json => {
  const next: Json = { ...current };
  for (const [name, value] of Object.entries(incoming)) {
    if (value === null) delete next[name];
    else next[name] = value;
  }
  return next;
};

const conflictRejected = (current: Json): DataSourceFailure =>
  new DataSourceFailure('Conflict resolver rejects mutation.', 'ConflictUnhandled', current);

/** A resolver's own condition, if any, and the `_version` check of a versioned write (`:_expectedVersion`). */
const withVersionCheck = (condition: string | undefined): string =>
  condition ? `(${condition}) AND #_version = :_expectedVersion` : '#_version = :_expectedVersion';

export class DynamoDataSource {
  constructor(
    private readonly client: DynamoDbCaller,
    private readonly config: DynamoDataSourceConfig,
  ) {}

  /** Runs one request object from a resolver and returns what the response template sees as $ctx.result / $ctx.error. */
  async invoke(request: Json): Promise<DataSourceResult> {
    try {
      return { result: await this.run(request) };
    } catch (error) {
      if (error instanceof DynamoDbError && error.name === 'TransactionCanceledException')
        return cancelled(error, request.operation);
      if (isConditionalCheckFailure(error)) {
        return {
          error: { message: 'The conditional request failed', type: 'DynamoDB:ConditionalCheckFailedException' },
        };
      }
      return { error: dynamoError(error) };
    }
  }

  private get table(): string {
    return this.config.tableName;
  }

  private async run(request: Json): Promise<unknown> {
    switch (request.operation) {
      case 'GetItem':
        return this.getItem(request.key, request.consistentRead === true);
      case 'PutItem':
        return this.putItem(request);
      case 'UpdateItem':
        return this.updateItem(request);
      case 'DeleteItem':
        return this.deleteItem(request);
      case 'Query':
        return this.query(request);
      case 'Scan':
        return this.scan(request);
      case 'Sync':
        return this.sync(request);
      case 'TransactWriteItems':
        return this.transactWrite(request);
      case 'TransactGetItems':
        return this.transactGet(request);
      default:
        throw new DataSourceFailure(`Unsupported operation ${String(request.operation)}`, 'UnsupportedOperation');
    }
  }

  /**
   * TransactWriteItems (AppSync's request: `transactItems` of PutItem,
   * UpdateItem, DeleteItem and ConditionCheck, each naming its table): the
   * result is the items' keys. A condition's item comes back in its
   * cancellation reason unless `returnValuesOnConditionCheckFailure` is false.
   */
  private async transactWrite(request: Json): Promise<Json> {
    const elements = Array.isArray(request.transactItems) ? request.transactItems : [];
    const keys: Json[] = [];
    const items = elements.map((raw): TransactWriteItem => {
      const element = isRecord(raw) ? raw : {};
      const table = typeof element.table === 'string' ? element.table : this.table;
      const key = isRecord(element.key) ? (element.key as Item) : {};
      keys.push(unmarshall(key));
      const condition = expressionParts(element.condition);
      const onFailure =
        isRecord(element.condition) && element.condition.returnValuesOnConditionCheckFailure === false
          ? undefined
          : ('ALL_OLD' as const);
      const checked = {
        ConditionExpression: condition.expression,
        ReturnValuesOnConditionCheckFailure: condition.expression ? onFailure : undefined,
      };
      switch (element.operation) {
        case 'PutItem': {
          const values = isRecord(element.attributeValues) ? (element.attributeValues as Item) : {};
          return { Put: { TableName: table, Item: { ...values, ...key }, ...checked, ...mergeAttributes(condition) } };
        }
        case 'UpdateItem': {
          const update = expressionParts(element.update);
          return {
            Update: {
              TableName: table,
              Key: key,
              UpdateExpression: String(update.expression ?? ''),
              ...checked,
              ...mergeAttributes(update, condition),
            },
          };
        }
        case 'DeleteItem':
          return { Delete: { TableName: table, Key: key, ...checked, ...mergeAttributes(condition) } };
        case 'ConditionCheck':
          return {
            ConditionCheck: {
              TableName: table,
              Key: key,
              ConditionExpression: String(condition.expression ?? ''),
              ReturnValuesOnConditionCheckFailure: onFailure,
              ...mergeAttributes(condition),
            },
          };
        default:
          throw new DataSourceFailure(
            `Unsupported operation ${String(element.operation)} in TransactWriteItems`,
            'ValidationException',
          );
      }
    });
    await this.client.call('TransactWriteItems', { TransactItems: items });
    return { keys, cancellationReasons: null };
  }

  /** TransactGetItems (`transactItems` of table, key and projection): the items, null where none is stored. */
  private async transactGet(request: Json): Promise<Json> {
    const elements = Array.isArray(request.transactItems) ? request.transactItems : [];
    const { Responses } = await this.client.call('TransactGetItems', {
      TransactItems: elements.map((raw) => {
        const element = isRecord(raw) ? raw : {};
        const projection = expressionParts(element.projection);
        return {
          Get: {
            TableName: typeof element.table === 'string' ? element.table : this.table,
            Key: isRecord(element.key) ? (element.key as Item) : {},
            ProjectionExpression: projection.expression,
            ExpressionAttributeNames: projection.names,
          },
        };
      }),
    });
    return { items: (Responses ?? []).map((r) => (r.Item ? unmarshall(r.Item) : null)), cancellationReasons: null };
  }

  private async getItem(key: unknown, consistentRead = true): Promise<Json | null> {
    if (!isRecord(key)) throw new DataSourceFailure('GetItem needs a key', 'ValidationException');
    const { Item: item } = await this.client.call('GetItem', {
      TableName: this.table,
      Key: key as Item,
      ConsistentRead: consistentRead,
    });
    return item ? unmarshall(item) : null;
  }

  private versionFields(version: number, now: number): Item {
    return { _version: { N: String(version) }, _lastChangedAt: { N: String(now) } };
  }

  private async recordDelta(item: Json): Promise<void> {
    const versioned = this.config.versioned;
    if (!versioned) return;
    const changedAt = Number(item._lastChangedAt ?? Date.now());
    const when = new Date(changedAt).toISOString();
    await this.client.call('PutItem', {
      TableName: versioned.deltaSyncTableName,
      Item: {
        ...marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: true }),
        ds_pk: { S: `${this.table}:${when.slice(0, 10)}` },
        ds_sk: { S: `${when.slice(11, 23)}:${String(item.id ?? '')}:${String(item._version ?? '')}` },
        _ttl: { N: String(Math.floor(changedAt / 1000) + versioned.deltaSyncTableTtlMinutes * 60) },
      },
    });
  }

  private async putItem(request: Json): Promise<Json> {
    const key = isRecord(request.key) ? (request.key as Item) : {};
    const values = isRecord(request.attributeValues) ? (request.attributeValues as Item) : {};
    const condition = expressionParts(request.condition);
    const now = Date.now();
    const item: Item = { ...values, ...key, ...(this.config.versioned ? this.versionFields(1, now) : {}) };
    if (this.config.versioned && typeof request._version === 'number') {
      const current = await this.getItem(key);
      if (current && Number(current._version) !== request._version) {
        throw new DataSourceFailure('Conflict resolver rejects mutation.', 'ConflictUnhandled', current);
      }
      if (current) Object.assign(item, this.versionFields(Number(current._version) + 1, now));
    }
    await this.client.call('PutItem', {
      TableName: this.table,
      Item: item,
      ConditionExpression: condition.expression,
      ...mergeAttributes(condition),
    });
    const stored = unmarshall(item);
    await this.recordDelta(stored);
    return stored;
  }

  private async updateItem(request: Json): Promise<Json | null> {
    const key = isRecord(request.key) ? (request.key as Item) : {};
    const update = isRecord(request.update) ? request.update : {};
    const condition = expressionParts(request.condition);
    const updateParts = expressionParts(update);
    const now = Date.now();
    if (!this.config.versioned) {
      const { Attributes } = await this.client.call('UpdateItem', {
        TableName: this.table,
        Key: key,
        UpdateExpression: String(updateParts.expression ?? ''),
        ConditionExpression: condition.expression,
        ...mergeAttributes(updateParts, condition),
        ReturnValues: 'ALL_NEW',
      });
      return Attributes ? unmarshall(Attributes) : {};
    }
    const expected = Number(request._version ?? 0);
    const versionNames = { '#_version': '_version', '#_lastChangedAt': '_lastChangedAt' };
    const versionValues: Item = {
      ':_expectedVersion': { N: String(expected) },
      ':_one': { N: '1' },
      ':_now': { N: String(now) },
    };
    const expression = String(updateParts.expression ?? '');
    const withVersion = /\bSET\b/.test(expression)
      ? expression.replace(/\bSET\b/, 'SET #_version = #_version + :_one, #_lastChangedAt = :_now,')
      : `SET #_version = #_version + :_one, #_lastChangedAt = :_now ${expression}`;
    try {
      const { Attributes } = await this.client.call('UpdateItem', {
        TableName: this.table,
        Key: key,
        UpdateExpression: withVersion,
        ConditionExpression: withVersionCheck(condition.expression),
        ...mergeAttributes(updateParts, condition, { names: versionNames, values: versionValues }),
        ReturnValues: 'ALL_NEW',
      });
      const stored = Attributes ? unmarshall(Attributes) : {};
      await this.recordDelta(stored);
      return stored;
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
      const current = await this.getItem(key);
      if (!current || Number(current._version) === expected) throw error;
      const incoming = incomingFromUpdate({
        expression,
        expressionNames: updateParts.names,
        expressionValues: updateParts.values,
      });
      if (this.config.conflictHandler === 'LAMBDA') {
        return this.resolveByLambda(key, current, applyIncoming(current, incoming), condition);
      }
      if (this.config.conflictHandler !== 'AUTOMERGE') throw conflictRejected(current);
      const merged = automerge(current, incoming);
      if (!isRecord(merged)) throw conflictRejected(current);
      return this.writeOver(key, current, merged, condition);
    }
  }

  /**
   * AppSync's LAMBDA conflict handler: the function answers RESOLVE (with the
   * item to write), REMOVE (delete the stored item) or REJECT (ConflictUnhandled).
   */
  private async resolveByLambda(
    key: Item,
    current: Json,
    newItem: Json | null,
    condition: ExpressionParts,
  ): Promise<Json | null> {
    const handler = this.config.lambdaConflictHandler;
    if (!handler) {
      throw new DataSourceFailure('The resolver names no conflict handler function', 'LambdaConflictHandlerFailed');
    }
    let response: unknown;
    try {
      response = await handler({ newItem, existingItem: current });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new DataSourceFailure(`The conflict handler failed: ${message}`, 'LambdaConflictHandlerFailed');
    }
    const action = isRecord(response) ? response.action : undefined;
    if (action === 'RESOLVE' && isRecord(response) && isRecord(response.item)) {
      const item = Object.fromEntries(Object.entries(response.item).filter(([name]) => !SYNC_FIELDS.includes(name)));
      return this.writeOver(key, current, item, condition);
    }
    if (action === 'REMOVE') return this.softDelete(key, Number(current._version), condition);
    if (action === 'REJECT') throw conflictRejected(current);
    throw new DataSourceFailure(
      'The conflict handler must return { action: RESOLVE, item } or { action: REJECT | REMOVE }',
      'LambdaConflictHandlerFailed',
    );
  }

  /** Writes a conflict's outcome over the stored item, if that is still the version the outcome was made from. */
  private async writeOver(key: Item, server: Json, merged: Json, condition: ExpressionParts) {
    const now = Date.now();
    const next = { ...merged, _version: Number(server._version) + 1, _lastChangedAt: now };
    try {
      await this.client.call('PutItem', {
        TableName: this.table,
        Item: { ...marshall(next, { removeUndefinedValues: true, convertClassInstanceToMap: true }), ...key },
        ConditionExpression: condition.expression
          ? `(${condition.expression}) AND #_version = :_serverVersion`
          : '#_version = :_serverVersion',
        ...mergeAttributes(condition, {
          names: { '#_version': '_version' },
          values: { ':_serverVersion': { N: String(server._version) } },
        }),
      });
    } catch (error) {
      if (isConditionalCheckFailure(error)) throw conflictRejected(server);
      throw error;
    }
    await this.recordDelta(next);
    return next;
  }

  private async deleteItem(request: Json): Promise<Json | null> {
    const key = isRecord(request.key) ? (request.key as Item) : {};
    const condition = expressionParts(request.condition);
    const versioned = this.config.versioned;
    if (!versioned) {
      const { Attributes } = await this.client.call('DeleteItem', {
        TableName: this.table,
        Key: key,
        ConditionExpression: condition.expression,
        ...mergeAttributes(condition),
        ReturnValues: 'ALL_OLD',
      });
      return Attributes ? unmarshall(Attributes) : null;
    }
    const expected = Number(request._version ?? 0);
    try {
      return await this.softDelete(key, expected, condition);
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
      const current = await this.getItem(key);
      if (!current || Number(current._version) === expected) throw error;
      if (this.config.conflictHandler === 'LAMBDA') return this.resolveByLambda(key, current, null, condition);
      throw conflictRejected(current);
    }
  }

  /** A versioned delete is a soft delete: the item stays, marked, until its TTL. */
  private async softDelete(key: Item, expected: number, condition: ExpressionParts): Promise<Json | null> {
    const versioned = this.config.versioned;
    if (!versioned) throw new DataSourceFailure('A soft delete needs a versioned data source', 'UnsupportedOperation');
    const now = Date.now();
    const { Attributes } = await this.client.call('UpdateItem', {
      TableName: this.table,
      Key: key,
      UpdateExpression: 'SET #_deleted = :_true, #_version = #_version + :_one, #_lastChangedAt = :_now, #_ttl = :_ttl',
      ConditionExpression: withVersionCheck(condition.expression),
      ...mergeAttributes(condition, {
        names: {
          '#_deleted': '_deleted',
          '#_version': '_version',
          '#_lastChangedAt': '_lastChangedAt',
          '#_ttl': '_ttl',
        },
        values: {
          ':_true': { BOOL: true },
          ':_one': { N: '1' },
          ':_now': { N: String(now) },
          ':_ttl': { N: String(Math.floor(now / 1000) + versioned.baseTableTtlMinutes * 60) },
          ':_expectedVersion': { N: String(expected) },
        },
      }),
      ReturnValues: 'ALL_NEW',
    });
    const stored = Attributes ? unmarshall(Attributes) : null;
    if (stored) await this.recordDelta(stored);
    return stored;
  }

  private async query(request: Json): Promise<Json> {
    const key = expressionParts(request.query);
    const filter = expressionParts(request.filter);
    const result = await this.client.call('Query', {
      TableName: this.table,
      IndexName: typeof request.index === 'string' ? request.index : undefined,
      KeyConditionExpression: key.expression,
      FilterExpression: filter.expression,
      ...mergeAttributes(key, filter),
      Limit: typeof request.limit === 'number' ? request.limit : undefined,
      ExclusiveStartKey: decodeToken(request.nextToken),
      ScanIndexForward: request.scanIndexForward !== false,
      ConsistentRead: request.consistentRead === true && typeof request.index !== 'string',
    });
    return {
      items: (result.Items ?? []).map((i) => unmarshall(i)),
      nextToken: encodeToken(result.LastEvaluatedKey),
      scannedCount: result.ScannedCount ?? 0,
    };
  }

  private async scan(request: Json): Promise<Json> {
    const filter = expressionParts(request.filter);
    const result = await this.client.call('Scan', {
      TableName: this.table,
      IndexName: typeof request.index === 'string' ? request.index : undefined,
      FilterExpression: filter.expression,
      ...mergeAttributes(filter),
      Limit: typeof request.limit === 'number' ? request.limit : undefined,
      ExclusiveStartKey: decodeToken(request.nextToken),
      ConsistentRead: request.consistentRead === true,
    });
    return {
      items: (result.Items ?? []).map((i) => unmarshall(i)),
      nextToken: encodeToken(result.LastEvaluatedKey),
      scannedCount: result.ScannedCount ?? 0,
    };
  }

  /**
   * DataStore's Sync: the changes since lastSync from the DeltaSync table when
   * lastSync is inside its TTL, otherwise a full read of the base table
   * (soft-deleted items included, so clients learn of deletes).
   */
  private async sync(request: Json): Promise<Json> {
    const versioned = this.config.versioned;
    if (!versioned) throw new DataSourceFailure('Sync needs a versioned data source', 'UnsupportedOperation');
    const startedAt = Date.now();
    const lastSync = typeof request.lastSync === 'number' ? request.lastSync : null;
    const limit = typeof request.limit === 'number' ? request.limit : 100;
    const filter = expressionParts(request.filter);
    const inDeltaWindow =
      lastSync !== null && lastSync !== 0 && startedAt - lastSync <= versioned.deltaSyncTableTtlMinutes * 60_000;
    if (!inDeltaWindow) {
      const page = isRecord(request.query)
        ? await this.query({ ...request, limit })
        : await this.scan({ filter: request.filter, limit, nextToken: request.nextToken });
      return { ...page, startedAt };
    }
    const items: Json[] = [];
    for (
      let day = new Date(lastSync);
      day.getTime() <= startedAt + 86_400_000;
      day = new Date(day.getTime() + 86_400_000)
    ) {
      const date = day.toISOString().slice(0, 10);
      let startKey: Item | undefined;
      do {
        const page = await this.client.call('Query', {
          TableName: versioned.deltaSyncTableName,
          KeyConditionExpression: '#pk = :pk AND #sk > :sk',
          FilterExpression: filter.expression,
          ...mergeAttributes(filter, {
            names: { '#pk': 'ds_pk', '#sk': 'ds_sk' },
            values: {
              ':pk': { S: `${this.table}:${date}` },
              ':sk': {
                S:
                  date === new Date(lastSync).toISOString().slice(0, 10)
                    ? new Date(lastSync).toISOString().slice(11, 23)
                    : '',
              },
            },
          }),
          ExclusiveStartKey: startKey,
        });
        for (const raw of page.Items ?? []) {
          const { ds_pk: _pk, ds_sk: _sk, ...item } = unmarshall(raw);
          if (Number(item._lastChangedAt) > lastSync) items.push(item);
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      if (date === new Date(startedAt).toISOString().slice(0, 10)) break;
    }
    const offset =
      typeof request.nextToken === 'string' ? Number(Buffer.from(request.nextToken, 'base64url').toString('utf8')) : 0;
    const page = items.slice(offset, offset + limit);
    const nextOffset = offset + page.length;
    return {
      items: page,
      nextToken: nextOffset < items.length ? Buffer.from(String(nextOffset), 'utf8').toString('base64url') : null,
      startedAt,
    };
  }
}
