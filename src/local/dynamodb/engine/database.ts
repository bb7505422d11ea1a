import { createHash } from 'node:crypto';
import { DatabaseError, invalid, notFound, ValidationError } from './errors';
import {
  applyUpdate,
  type Condition,
  evaluate,
  type Operand,
  type Path,
  Placeholders,
  parseCondition,
  parseProjection,
  parseUpdate,
  project,
  type UpdateActions,
  validateCondition,
} from './expressions';
import {
  checkItem,
  checkName,
  checkValue,
  freezeItem,
  itemSize,
  MAX_ITEM_BYTES,
  MAX_NESTING,
  NESTING_MESSAGE,
} from './items';
import type { Journal, JournalEntry } from './journal';
import { checkMixing, LegacyValues, legacyCondition, legacyProjection, legacyUpdate } from './legacy';
import { type IndexSpec, inKey, type KeyAttribute, type KeySchema, type KeyType, keyText, SortedItems } from './table';
import { compareScalars, equals, type Item, type Value } from './values';

/**
 * An in-process DynamoDB: tables with their keys and secondary indexes, the
 * item operations with DynamoDB's expressions, validation and messages,
 * streams of NEW_AND_OLD_IMAGES records, and a journal that makes every
 * acknowledged write survive a crash of the process. Requests and responses
 * are DynamoDB's JSON shapes, so `call` answers what DynamoDB Local answers
 * for the same request; `server.ts` serves the same over DynamoDB's HTTP
 * protocol to the AWS SDK. Checked against DynamoDB Local by
 * `database.integration.test.ts`.
 *
 * Items are frozen when stored and handed out as they are: callers read them
 * and never change them.
 */

type Json = Record<string, unknown>;

export { DatabaseError } from './errors';

/** DynamoDB Local's region and account, which appear in its ARNs. */
const ARN_PREFIX = 'arn:aws:dynamodb:ddblocal:000000000000';
const STREAM_RETENTION_MS = 24 * 60 * 60 * 1000;
/** A shard iterator is valid this long, as in DynamoDB Streams. */
const ITERATOR_TTL_MS = 15 * 60 * 1000;
const PAGE_BYTES = 1024 * 1024;
const MAX_TRANSACTION_ITEMS = 100;
const EXPIRY_INTERVAL_MS = 1000;
/** DynamoDB does not delete items whose TTL lies more than five years in the past. */
const TTL_IGNORED_AFTER_S = 5 * 365 * 24 * 60 * 60;
/** DynamoDB remembers a transaction's ClientRequestToken this long. */
const TOKEN_TTL_MS = 10 * 60 * 1000;

export interface StreamRecord {
  eventID: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  eventVersion: '1.1';
  eventSource: 'aws:dynamodb';
  awsRegion: 'ddblocal';
  /** Set on the REMOVE records of items that TTL deleted, as DynamoDB sets it. */
  userIdentity?: { type: 'Service'; principalId: 'dynamodb.amazonaws.com' };
  dynamodb: {
    ApproximateCreationDateTime: number;
    Keys: Item;
    NewImage?: Item;
    OldImage?: Item;
    SequenceNumber: string;
    SizeBytes: number;
    StreamViewType: string;
  };
}

interface Stream {
  arn: string;
  label: string;
  viewType: string;
  shardId: string;
  createdAt: number;
  records: Array<{ sequence: bigint; at: number; record: StreamRecord }>;
}

/** The state a CreateTable or UpdateTable left, as the journal keeps it. */
export interface TableDefinition {
  name: string;
  createdAt: number;
  key: KeySchema;
  attributeDefinitions: Array<{ AttributeName: string; AttributeType: KeyType }>;
  indexes: IndexSpec[];
  billingMode: string;
  /** A PROVISIONED table's capacity, as DescribeTable echoes it. */
  throughput?: { read: number; write: number };
  stream?: { viewType: string; label: string; createdAt: number };
  ttl?: { AttributeName: string; TimeToLiveStatus: string };
}

/** A live table: its definition, its items in each ordering, and its stream's records. */
interface Table extends Omit<TableDefinition, 'stream'> {
  items: Map<string, Item>;
  primary: SortedItems;
  secondary: Map<string, SortedItems>;
  bytes: number;
  stream?: Stream;
}

const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const rec = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const arr = (value: unknown): unknown[] | undefined => (Array.isArray(value) ? value : undefined);

const labelOf = (at: number): string => new Date(at).toISOString().replace(/Z$/, '');

export class Database {
  private readonly tables = new Map<string, Table>();
  private sequence = 0n;
  private replaying = false;
  /** ClientRequestTokens of the transactions written in the last ten minutes, with their requests. */
  private readonly tokens = new Map<string, { request: string; at: number }>();
  /** The store's time, in milliseconds: injectable so that tests can move it. */
  private readonly clock: () => number;
  /** When TTL last deleted what had expired. */
  private expiredAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly journal?: Journal,
    options: { clock?: () => number } = {},
  ) {
    this.clock = options.clock ?? Date.now;
    if (!journal) return;
    this.replaying = true;
    try {
      journal.replay((entry) => this.apply(entry));
    } finally {
      this.replaying = false;
    }
    journal.compact(this.snapshot());
  }

  /** One DynamoDB or DynamoDB Streams operation, by its name, with its JSON input. */
  call(operation: string, input: unknown): Promise<Json> {
    try {
      return Promise.resolve(this.execute(operation, rec(input) ?? {}));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The same, synchronously. */
  execute(operation: string, input: Json): Json {
    if (this.clock() - this.expiredAt >= EXPIRY_INTERVAL_MS) this.expire();
    switch (operation) {
      case 'CreateTable':
        return this.createTable(input);
      case 'DescribeTable':
        return { Table: this.describe(this.table(input.TableName)) };
      case 'ListTables':
        return this.listTables(input);
      case 'UpdateTable':
        return this.updateTable(input);
      case 'DeleteTable':
        return this.deleteTable(input);
      case 'UpdateTimeToLive':
        return this.updateTimeToLive(input);
      case 'DescribeTimeToLive': {
        const table = this.table(input.TableName);
        return { TimeToLiveDescription: table.ttl ?? { TimeToLiveStatus: 'DISABLED' } };
      }
      case 'PutItem':
        return this.putItem(input);
      case 'GetItem':
        return this.getItem(input);
      case 'UpdateItem':
        return this.updateItem(input);
      case 'DeleteItem':
        return this.deleteItem(input);
      case 'Query':
        return this.query(input);
      case 'Scan':
        return this.scan(input);
      case 'BatchGetItem':
        return this.batchGet(input);
      case 'BatchWriteItem':
        return this.batchWrite(input);
      case 'TransactWriteItems':
        return this.transactWrite(input);
      case 'TransactGetItems':
        return this.transactGet(input);
      case 'ListStreams':
        return this.listStreams(input);
      case 'DescribeStream':
        return this.describeStream(input);
      case 'GetShardIterator':
        return this.getShardIterator(input);
      case 'GetRecords':
        return this.getRecords(input);
      default:
        throw new DatabaseError(
          'UnknownOperationException',
          `The embedded DynamoDB does not implement ${operation}; start the backend with DynamoDB Local (--dynamodb=local) for it`,
        );
    }
  }

  // --- tables ---

  private table(name: unknown): Table {
    if (typeof name !== 'string' || !TABLE_NAME.test(name))
      throw invalid(
        "Invalid table/index name.  Table/index names must be between 3 and 255 characters long, and may contain only the characters a-z, A-Z, 0-9, '_', '-', and '.'",
      );
    const table = this.tables.get(name);
    if (!table) throw notFound('Cannot do operations on a non-existent table');
    return table;
  }

  private keySchema(schema: unknown, definitions: Map<string, KeyType>, what: string): KeySchema {
    const elements = (arr(schema) ?? []).map(rec);
    const attribute = (type: string): KeyAttribute | undefined => {
      const element = elements.find((e) => e?.KeyType === type);
      if (!element) return undefined;
      const name = String(element.AttributeName);
      const attributeType = definitions.get(name);
      if (!attributeType)
        throw invalid(
          `One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [${name}], AttributeDefinitions: [${[...definitions.keys()].join(', ')}]`,
        );
      return { name, type: attributeType };
    };
    const hash = attribute('HASH');
    if (!hash || elements.length > 2 || (elements.length === 2 && !attribute('RANGE')))
      throw invalid(`Invalid KeySchema: ${what} must have exactly one HASH key and at most one RANGE key`);
    const range = attribute('RANGE');
    return range ? { hash, range } : { hash };
  }

  private indexSpec(input: unknown, kind: 'GSI' | 'LSI', definitions: Map<string, KeyType>): IndexSpec {
    const index = rec(input) ?? {};
    const name = str(index.IndexName) ?? '';
    if (!TABLE_NAME.test(name))
      throw invalid(
        "Invalid table/index name.  Table/index names must be between 3 and 255 characters long, and may contain only the characters a-z, A-Z, 0-9, '_', '-', and '.'",
      );
    const projection = rec(index.Projection) ?? {};
    const type =
      projection.ProjectionType === 'KEYS_ONLY' || projection.ProjectionType === 'INCLUDE'
        ? projection.ProjectionType
        : 'ALL';
    return {
      name,
      kind,
      key: this.keySchema(index.KeySchema, definitions, `index ${name}`),
      projection: {
        type,
        ...(type === 'INCLUDE' ? { nonKeyAttributes: (arr(projection.NonKeyAttributes) ?? []).map(String) } : {}),
      },
    };
  }

  private createTable(input: Json): Json {
    const name = input.TableName;
    if (typeof name !== 'string' || !TABLE_NAME.test(name)) this.table(name);
    if (this.tables.has(String(name)))
      throw new DatabaseError('ResourceInUseException', `Cannot create preexisting table`);
    const definitions = new Map<string, KeyType>();
    for (const definition of (arr(input.AttributeDefinitions) ?? []).map(rec)) {
      const type = definition?.AttributeType;
      if (type !== 'S' && type !== 'N' && type !== 'B')
        throw invalid(
          `1 validation error detected: Value '${String(type)}' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]`,
        );
      if (definitions.has(String(definition?.AttributeName)))
        throw invalid('Cannot have two attributes with the same name');
      definitions.set(String(definition?.AttributeName), type);
    }
    const key = this.keySchema(input.KeySchema, definitions, 'table');
    const indexes = [
      ...(arr(input.GlobalSecondaryIndexes) ?? []).map((g) => this.indexSpec(g, 'GSI', definitions)),
      ...(arr(input.LocalSecondaryIndexes) ?? []).map((l) => this.indexSpec(l, 'LSI', definitions)),
    ];
    for (const index of indexes) {
      if (index.kind !== 'LSI') continue;
      if (!key.range)
        throw invalid('Local Secondary indices are not allowed on hash tables, only hash and range tables');
      if (index.key.hash.name !== key.hash.name)
        throw invalid('Local Secondary indices must have the same hash key as the main table');
    }
    const keyNames = new Set(
      [key, ...indexes.map((i) => i.key)].flatMap((k) => [k.hash.name, ...(k.range ? [k.range.name] : [])]),
    );
    if (keyNames.size !== definitions.size)
      throw invalid(
        'The number of attributes in key schema must match the number of attributes defined in attribute definitions.',
      );
    const billingMode = input.BillingMode === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED';
    const provisioned = rec(input.ProvisionedThroughput);
    if (billingMode === 'PROVISIONED' && !provisioned)
      throw invalid('No provisioned throughput specified for the table');
    const stream = rec(input.StreamSpecification);
    checkStreamSpecification(stream);
    const now = this.clock();
    const definition: TableDefinition = {
      name: String(name),
      createdAt: now,
      key,
      attributeDefinitions: [...definitions].map(([AttributeName, AttributeType]) => ({
        AttributeName,
        AttributeType,
      })),
      indexes,
      billingMode,
      ...(billingMode === 'PROVISIONED' && provisioned
        ? {
            throughput: {
              read: Number(provisioned.ReadCapacityUnits ?? 0),
              write: Number(provisioned.WriteCapacityUnits ?? 0),
            },
          }
        : {}),
      ...(stream?.StreamEnabled === true
        ? {
            stream: {
              viewType: str(stream.StreamViewType) ?? 'NEW_AND_OLD_IMAGES',
              label: labelOf(now),
              createdAt: now,
            },
          }
        : {}),
    };
    this.record({ kind: 'table', definition });
    return { TableDescription: this.describe(this.table(name)) };
  }

  private defineTable(definition: TableDefinition): void {
    const existing = this.tables.get(definition.name);
    const table: Table = {
      name: definition.name,
      createdAt: definition.createdAt,
      key: definition.key,
      attributeDefinitions: definition.attributeDefinitions,
      indexes: definition.indexes,
      billingMode: definition.billingMode,
      throughput: definition.throughput,
      items: existing?.items ?? new Map(),
      primary: existing?.primary ?? new SortedItems(definition.key),
      secondary: new Map(),
      bytes: existing?.bytes ?? 0,
      ttl: definition.ttl,
    };
    for (const index of definition.indexes) {
      const sorted = existing?.secondary.get(index.name) ?? new SortedItems(index.key);
      if (!existing?.secondary.has(index.name)) for (const [id, item] of table.items) sorted.add(item, id);
      table.secondary.set(index.name, sorted);
    }
    if (definition.stream) {
      const arn = `${ARN_PREFIX}:table/${definition.name}/stream/${definition.stream.label}`;
      table.stream =
        existing?.stream?.arn === arn
          ? existing.stream
          : {
              arn,
              label: definition.stream.label,
              viewType: definition.stream.viewType,
              createdAt: definition.stream.createdAt,
              shardId: `shardId-${String(definition.stream.createdAt).padStart(20, '0')}-${createHash('md5').update(arn).digest('hex').slice(0, 8)}`,
              records: [],
            };
    }
    this.tables.set(definition.name, table);
  }

  private definitionOf(table: Table): TableDefinition {
    return {
      name: table.name,
      createdAt: table.createdAt,
      key: table.key,
      attributeDefinitions: table.attributeDefinitions,
      indexes: table.indexes,
      billingMode: table.billingMode,
      ...(table.throughput ? { throughput: table.throughput } : {}),
      ...(table.stream
        ? { stream: { viewType: table.stream.viewType, label: table.stream.label, createdAt: table.stream.createdAt } }
        : {}),
      ...(table.ttl ? { ttl: table.ttl } : {}),
    };
  }

  private keySchemaJson(key: KeySchema): Json[] {
    return [
      { AttributeName: key.hash.name, KeyType: 'HASH' },
      ...(key.range ? [{ AttributeName: key.range.name, KeyType: 'RANGE' }] : []),
    ];
  }

  private describe(table: Table): Json {
    const seconds = table.createdAt / 1000;
    const index = (spec: IndexSpec) => ({
      IndexName: spec.name,
      KeySchema: this.keySchemaJson(spec.key),
      Projection: {
        ProjectionType: spec.projection.type,
        ...(spec.projection.nonKeyAttributes ? { NonKeyAttributes: spec.projection.nonKeyAttributes } : {}),
      },
      ...(spec.kind === 'GSI'
        ? { IndexStatus: 'ACTIVE', ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 0 } }
        : {}),
      IndexSizeBytes: 0,
      ItemCount: table.secondary.get(spec.name)?.size ?? 0,
      IndexArn: `${ARN_PREFIX}:table/${table.name}/index/${spec.name}`,
    });
    const gsis = table.indexes.filter((i) => i.kind === 'GSI');
    const lsis = table.indexes.filter((i) => i.kind === 'LSI');
    return {
      AttributeDefinitions: table.attributeDefinitions,
      TableName: table.name,
      KeySchema: this.keySchemaJson(table.key),
      TableStatus: 'ACTIVE',
      CreationDateTime: seconds,
      ProvisionedThroughput: {
        LastIncreaseDateTime: 0,
        LastDecreaseDateTime: 0,
        NumberOfDecreasesToday: 0,
        ReadCapacityUnits: table.throughput?.read ?? 0,
        WriteCapacityUnits: table.throughput?.write ?? 0,
      },
      TableSizeBytes: table.bytes,
      ItemCount: table.items.size,
      TableArn: `${ARN_PREFIX}:table/${table.name}`,
      // DynamoDB Local gives a summary only for on-demand tables.
      ...(table.billingMode === 'PAY_PER_REQUEST'
        ? { BillingModeSummary: { BillingMode: table.billingMode, LastUpdateToPayPerRequestDateTime: seconds } }
        : {}),
      ...(lsis.length > 0 ? { LocalSecondaryIndexes: lsis.map(index) } : {}),
      ...(gsis.length > 0 ? { GlobalSecondaryIndexes: gsis.map(index) } : {}),
      ...(table.stream
        ? {
            StreamSpecification: { StreamEnabled: true, StreamViewType: table.stream.viewType },
            LatestStreamLabel: table.stream.label,
            LatestStreamArn: table.stream.arn,
          }
        : {}),
      DeletionProtectionEnabled: false,
    };
  }

  private listTables(input: Json): Json {
    const names = [...this.tables.keys()].sort();
    const start = str(input.ExclusiveStartTableName);
    const after = start === undefined ? names : names.filter((n) => n > start);
    const limit = input.Limit === undefined ? 100 : Number(input.Limit);
    if (!Number.isInteger(limit) || limit < 1) throw invalid('Limit must be greater than or equal to 1');
    if (limit > 100) throw invalid('Limit in ListTables must be <= 100');
    const page = after.slice(0, limit);
    return {
      TableNames: page,
      ...(after.length > limit ? { LastEvaluatedTableName: page.at(-1) } : {}),
    };
  }

  private updateTable(input: Json): Json {
    const table = this.table(input.TableName);
    const definition = this.definitionOf(table);
    const definitions = new Map<string, KeyType>(
      table.attributeDefinitions.map((d) => [d.AttributeName, d.AttributeType] as const),
    );
    for (const d of (arr(input.AttributeDefinitions) ?? []).map(rec)) {
      const type = d?.AttributeType;
      if (type === 'S' || type === 'N' || type === 'B') definitions.set(String(d?.AttributeName), type);
    }
    const updates = (arr(input.GlobalSecondaryIndexUpdates) ?? []).map(rec);
    if (updates.length > 1)
      throw invalid(
        'One or more parameter values were invalid: Only 1 online index can be created or deleted simultaneously per table',
      );
    for (const update of updates) {
      const create = rec(update?.Create);
      const remove = rec(update?.Delete);
      if (create) {
        const spec = this.indexSpec(create, 'GSI', definitions);
        if (table.indexes.some((i) => i.name === spec.name))
          throw invalid(`One or more parameter values were invalid: Index ${spec.name} already exists`);
        // DynamoDB Local lists the newest index first.
        definition.indexes = [spec, ...definition.indexes];
      } else if (remove) {
        const name = String(remove.IndexName);
        if (!table.indexes.some((i) => i.name === name && i.kind === 'GSI'))
          throw notFound(`Requested resource not found: Index: ${name} not found`);
        definition.indexes = definition.indexes.filter((i) => i.name !== name);
      }
    }
    definition.attributeDefinitions = [...definitions].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    }));
    const stream = rec(input.StreamSpecification);
    checkStreamSpecification(stream);
    if (stream?.StreamEnabled === true && table.stream) throw invalid('Table already has an enabled stream');
    if (stream?.StreamEnabled === false && !table.stream) throw invalid('Table has no stream to disable');
    if (
      [
        'GlobalSecondaryIndexUpdates',
        'StreamSpecification',
        'BillingMode',
        'ProvisionedThroughput',
        'TableClass',
        'DeletionProtectionEnabled',
        'SSESpecification',
        'OnDemandThroughput',
      ].every((p) => input[p] === undefined)
    )
      throw invalid('Nothing to update');
    if (stream?.StreamEnabled === true && !table.stream) {
      const now = this.clock();
      definition.stream = {
        viewType: str(stream.StreamViewType) ?? 'NEW_AND_OLD_IMAGES',
        label: labelOf(now),
        createdAt: now,
      };
    } else if (stream?.StreamEnabled === false) delete definition.stream;
    if (input.BillingMode === 'PAY_PER_REQUEST' || input.BillingMode === 'PROVISIONED')
      definition.billingMode = input.BillingMode;
    const provisioned = rec(input.ProvisionedThroughput);
    if (provisioned && definition.billingMode === 'PROVISIONED') {
      const throughput = {
        read: Number(provisioned.ReadCapacityUnits ?? 0),
        write: Number(provisioned.WriteCapacityUnits ?? 0),
      };
      if (throughput.read === table.throughput?.read && throughput.write === table.throughput.write)
        throw invalid('The requested throughput value equals the current value');
      definition.throughput = throughput;
    }
    this.record({ kind: 'table', definition });
    return { TableDescription: this.describe(this.table(table.name)) };
  }

  private deleteTable(input: Json): Json {
    const table = this.table(input.TableName);
    const description = this.describe(table);
    this.record({ kind: 'drop', table: table.name });
    return { TableDescription: { ...description, TableStatus: 'DELETING' } };
  }

  private updateTimeToLive(input: Json): Json {
    const table = this.table(input.TableName);
    const spec = rec(input.TimeToLiveSpecification) ?? {};
    const definition = this.definitionOf(table);
    definition.ttl = {
      AttributeName: String(spec.AttributeName),
      TimeToLiveStatus: spec.Enabled === true ? 'ENABLED' : 'DISABLED',
    };
    this.record({ kind: 'table', definition });
    return { TimeToLiveSpecification: { AttributeName: spec.AttributeName, Enabled: spec.Enabled === true } };
  }

  // --- keys ---

  private idOf(table: Table, item: Item): string {
    const hash = keyText(item[table.key.hash.name] as Value);
    return table.key.range ? `${hash}\u0000${keyText(item[table.key.range.name] as Value)}` : hash;
  }

  /** A Key parameter: exactly the table's key attributes, of their types, not empty. */
  private key(table: Table, input: unknown): Item {
    const given = rec(input);
    if (!given)
      throw invalid(
        "1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null",
      );
    const expected = table.key.range ? 2 : 1;
    if (Object.keys(given).length !== expected) throw invalid('The number of conditions on the keys is invalid');
    const key: Item = {};
    for (const attribute of [table.key.hash, table.key.range]) {
      if (!attribute) continue;
      const raw = given[attribute.name];
      if (raw === undefined) throw invalid('One of the required keys was not given a value');
      const value = checkValue(raw);
      if (value[attribute.type] === undefined)
        throw invalid('One or more parameter values were invalid: Type mismatch for key');
      if (value.S === '' || value.B === '')
        throw invalid(
          `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${attribute.name}`,
        );
      key[attribute.name] = value;
    }
    return key;
  }

  /** The checks on an item's key and index-key attributes that PutItem and UpdateItem make. */
  private checkKeys(table: Table, item: Item): void {
    for (const attribute of [table.key.hash, table.key.range]) {
      if (!attribute) continue;
      const value = item[attribute.name];
      if (value === undefined) throw invalid('One of the required keys was not given a value');
      if (value[attribute.type] === undefined)
        throw invalid('One or more parameter values were invalid: Type mismatch for key');
      if (value.S === '' || value.B === '')
        throw invalid(
          `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${attribute.name}`,
        );
    }
    for (const index of table.indexes) {
      for (const attribute of [index.key.hash, index.key.range]) {
        const value = attribute ? item[attribute.name] : undefined;
        if (!attribute || value === undefined) continue;
        if (value[attribute.type] === undefined) {
          throw invalid('One or more parameter values were invalid: Type mismatch for Index Key');
        }
        if (value.S === '' || value.B === '')
          throw invalid(
            `One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: ${index.name}, IndexKey: ${attribute.name}`,
          );
      }
    }
    if (itemSize(item) > MAX_ITEM_BYTES) throw invalid('Item size has exceeded the maximum allowed size');
  }

  // --- expressions ---

  /**
   * The request's placeholders, checked and normalized, and a checker that
   * refuses placeholders without expressions and unused ones.
   */
  private placeholders(input: Json, expressions: unknown[]): Placeholders {
    const names = rec(input.ExpressionAttributeNames);
    const values = rec(input.ExpressionAttributeValues);
    const anyExpression = expressions.some((e) => e !== undefined);
    if (names && !anyExpression) throw invalid('ExpressionAttributeNames can only be specified when using expressions');
    if (values && !anyExpression)
      throw invalid('ExpressionAttributeValues can only be specified when using expressions');
    if (names && Object.keys(names).length === 0) throw invalid('ExpressionAttributeNames must not be empty');
    if (values && Object.keys(values).length === 0) throw invalid('ExpressionAttributeValues must not be empty');
    const checked: Record<string, Value> = {};
    for (const [placeholder, value] of Object.entries(values ?? {})) {
      try {
        // A value is checked as an attribute of its own, one level shallower than an item's.
        checked[placeholder] = checkValue(value, false, MAX_NESTING + 1);
      } catch (error) {
        if (error instanceof ValidationError)
          throw invalid(`ExpressionAttributeValues contains invalid value: ${error.message} for key ${placeholder}`);
        throw error;
      }
    }
    for (const [placeholder, name] of Object.entries(names ?? {})) {
      try {
        checkName(String(name));
      } catch (error) {
        if (error instanceof ValidationError)
          throw invalid(`ExpressionAttributeNames contains invalid value: ${error.message} for key ${placeholder}`);
        throw error;
      }
    }
    return new Placeholders((names ?? {}) as Record<string, string>, checked);
  }

  private condition(source: unknown, kind: string, placeholders: Placeholders): Condition | undefined {
    if (source === undefined) return undefined;
    if (typeof source !== 'string' || source.trim() === '')
      throw invalid(`Invalid ${kind}: The expression can not be empty;`);
    const condition = parseCondition(source, kind, placeholders);
    validateCondition(condition, kind, placeholders);
    return condition;
  }

  private projection(source: unknown, placeholders: Placeholders): Path[] | undefined {
    if (source === undefined) return undefined;
    if (typeof source !== 'string' || source.trim() === '')
      throw invalid('Invalid ProjectionExpression: The expression can not be empty;');
    return parseProjection(source, placeholders);
  }

  private checkCondition(
    condition: Condition | undefined,
    current: Item | undefined,
    placeholders: Placeholders,
    returnOld: unknown,
  ): void {
    if (!condition || evaluate(condition, current ?? {}, placeholders)) return;
    throw new DatabaseError(
      'ConditionalCheckFailedException',
      'The conditional request failed',
      400,
      returnOld === 'ALL_OLD' && current ? { Item: current } : undefined,
    );
  }

  // --- writes ---

  /** What PutItem and DeleteItem check first: the table, ReturnValues (NONE or ALL_OLD) and the condition. */
  private singleWrite(input: Json) {
    checkMixing(input, ['Expected', 'ConditionalOperator'], ['ConditionExpression']);
    const table = this.table(input.TableName);
    const returnValues = input.ReturnValues ?? 'NONE';
    if (returnValues !== 'NONE' && returnValues !== 'ALL_OLD') throw invalid('Return values set to invalid value');
    const placeholders = this.placeholders(input, [input.ConditionExpression]);
    const condition = this.condition(input.ConditionExpression, 'ConditionExpression', placeholders);
    placeholders.checkAllUsed();
    if (input.Expected !== undefined || input.ConditionalOperator !== undefined) {
      const legacy = new LegacyValues();
      const expected = legacyCondition(input.Expected, input.ConditionalOperator, 'Expected', legacy);
      return { table, returnValues, placeholders: legacy, condition: expected };
    }
    return { table, returnValues, placeholders, condition };
  }

  private putItem(input: Json): Json {
    const { table, returnValues, placeholders, condition } = this.singleWrite(input);
    const item = checkItem(input.Item);
    this.checkKeys(table, item);
    const id = this.idOf(table, item);
    const current = table.items.get(id);
    this.checkCondition(condition, current, placeholders, input.ReturnValuesOnConditionCheckFailure);
    this.write(table, id, item);
    return {
      ...(returnValues === 'ALL_OLD' && current ? { Attributes: current } : {}),
      ...this.capacity(input, table, this.writeUnits(table, current, item)),
    };
  }

  private updateItem(input: Json): Json {
    const table = this.table(input.TableName);
    const returnValues = input.ReturnValues ?? 'NONE';
    if (!['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW'].includes(String(returnValues)))
      throw invalid('Return values set to invalid value');
    const { placeholders, actions, condition } = this.updateRequest(table, input);
    const key = this.key(table, input.Key);
    const id = this.idOf(table, key);
    const current = table.items.get(id);
    this.checkCondition(condition, current, placeholders, input.ReturnValuesOnConditionCheckFailure);
    const item = this.updated(table, actions, current, key, placeholders);
    this.write(table, id, item);
    return {
      ...updateResult(returnValues, actions, current, item),
      ...this.capacity(input, table, this.writeUnits(table, current, item)),
    };
  }

  /** An UpdateItem's expressions, parsed and checked, with what DynamoDB checks before reading the item. */
  private updateRequest(table: Table, input: Json) {
    checkMixing(
      input,
      ['AttributeUpdates', 'Expected', 'ConditionalOperator'],
      ['UpdateExpression', 'ConditionExpression'],
    );
    let placeholders = this.placeholders(input, [input.UpdateExpression, input.ConditionExpression]);
    let actions: UpdateActions | undefined;
    let condition: Condition | undefined;
    if (['AttributeUpdates', 'Expected', 'ConditionalOperator'].some((p) => input[p] !== undefined)) {
      const legacy = new LegacyValues();
      actions = input.AttributeUpdates === undefined ? undefined : legacyUpdate(input.AttributeUpdates, legacy);
      condition = legacyCondition(input.Expected, input.ConditionalOperator, 'Expected', legacy);
      placeholders = legacy;
    } else {
      if (input.UpdateExpression !== undefined) {
        if (typeof input.UpdateExpression !== 'string' || input.UpdateExpression.trim() === '')
          throw invalid('Invalid UpdateExpression: The expression can not be empty;');
        actions = parseUpdate(input.UpdateExpression, placeholders);
      }
      condition = this.condition(input.ConditionExpression, 'ConditionExpression', placeholders);
      placeholders.checkAllUsed();
    }
    if (actions) {
      const keyNames = new Set([table.key.hash.name, table.key.range?.name]);
      for (const path of [
        ...actions.set.map((a) => a.path),
        ...actions.remove,
        ...actions.add.map((a) => a.path),
        ...actions.delete.map((a) => a.path),
      ]) {
        const first = path[0];
        if (first && 'name' in first && keyNames.has(first.name))
          throw invalid(
            `One or more parameter values were invalid: Cannot update attribute ${first.name}. This attribute is part of the key`,
          );
      }
    }
    return { placeholders, actions, condition };
  }

  /** The item an update leaves, checked as a put's item is. */
  private updated(
    table: Table,
    actions: UpdateActions | undefined,
    current: Item | undefined,
    key: Item,
    placeholders: Placeholders,
  ): Item {
    const updated = actions ? applyUpdate(actions, current ?? key, placeholders) : { ...(current ?? key) };
    const item = freezeItem(checkUpdated(updated));
    this.checkKeys(table, item);
    return item;
  }

  private deleteItem(input: Json): Json {
    const { table, returnValues, placeholders, condition } = this.singleWrite(input);
    const key = this.key(table, input.Key);
    const id = this.idOf(table, key);
    const current = table.items.get(id);
    this.checkCondition(condition, current, placeholders, input.ReturnValuesOnConditionCheckFailure);
    if (current) this.write(table, id, undefined);
    return {
      ...(returnValues === 'ALL_OLD' && current ? { Attributes: current } : {}),
      ...this.capacity(input, table, this.writeUnits(table, current, undefined)),
    };
  }

  // --- time to live ---

  /**
   * Deletes the items of tables with TTL enabled whose TTL attribute, a
   * number of epoch seconds, lies in the past (but not more than five years,
   * which DynamoDB ignores), as the service does: a REMOVE stream record
   * whose userIdentity is the DynamoDB service. Runs before an operation at
   * most once a second, and when called; returns how many it deleted.
   */
  expire(): number {
    const now = this.clock();
    this.expiredAt = now;
    const seconds = now / 1000;
    let deleted = 0;
    for (const table of this.tables.values()) {
      const attribute = table.ttl?.TimeToLiveStatus === 'ENABLED' ? table.ttl.AttributeName : undefined;
      if (attribute === undefined) continue;
      const expired: Item[] = [];
      for (const item of table.items.values()) {
        const value = item[attribute]?.N;
        const at = value === undefined ? Number.NaN : Number(value);
        if (at < seconds && at > seconds - TTL_IGNORED_AFTER_S) expired.push(item);
      }
      for (const item of expired) {
        this.sequence += 1n;
        this.record({
          kind: 'write',
          table: table.name,
          key: this.keyOf(table, item),
          sequence: this.sequence.toString(),
          at: now,
          expired: true,
        });
        deleted += 1;
      }
    }
    return deleted;
  }

  // --- consumed capacity ---

  /** ConsumedCapacity for one table, as ReturnConsumedCapacity asks: TOTAL, or INDEXES with the parts. */
  private capacity(input: Json, table: Table, units: Units, extra?: string): Json {
    const mode = input.ReturnConsumedCapacity;
    if (mode !== 'TOTAL' && mode !== 'INDEXES') return {};
    return { ConsumedCapacity: capacityOf(mode, table.name, units, extra) };
  }

  /** The same for operations on several tables: a list, one per table. */
  private capacities(input: Json, perTable: Array<{ table: Table; units: Units }>, extra?: string): Json {
    const mode = input.ReturnConsumedCapacity;
    if (mode !== 'TOTAL' && mode !== 'INDEXES') return {};
    return { ConsumedCapacity: perTable.map(({ table, units }) => capacityOf(mode, table.name, units, extra)) };
  }

  /**
   * A write's units: one per KB of the larger of the old and new item, and
   * for each index the item is in, one per KB of what it projects (twice
   * when the index key changes); an index whose view is unchanged costs none.
   */
  private writeUnits(table: Table, old: Item | undefined, item: Item | undefined): Units {
    const size = Math.max(old ? itemSize(old) : 0, item ? itemSize(item) : 0);
    const indexes: Array<[IndexSpec, number]> = [];
    for (const index of table.indexes) {
      const view = (value: Item | undefined) =>
        value && inKey(value, index.key) ? this.projected(table, index, value) : undefined;
      const before = view(old);
      const after = view(item);
      if (!before && !after) continue;
      if (before && after && sameItem(before, after)) continue;
      const keyChanged =
        before &&
        after &&
        [index.key.hash, index.key.range].some((k) => k && !equals(before[k.name] as Value, after[k.name] as Value));
      const units = (view: Item | undefined) => (view ? writeUnitsOf(itemSize(view)) : 0);
      indexes.push([index, keyChanged ? units(before) + units(after) : Math.max(units(before), units(after))]);
    }
    return { table: writeUnitsOf(size), indexes };
  }

  // --- transactions ---

  /**
   * TransactWriteItems: every request is checked first (those errors are the
   * whole call's), then every key and condition against the items as they
   * are; any failure cancels all of it, with a reason per item. The writes
   * go to the journal as one line, so a crash keeps all of them or none.
   * The store runs one call at a time, so no other write comes between.
   */
  private transactWrite(input: Json): Json {
    const token = input.ClientRequestToken;
    if (token !== undefined && (typeof token !== 'string' || token.length > 36))
      throw invalid(
        `Value ${String(token)} at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36`,
      );
    const list = arr(input.TransactItems);
    if (!list) throw invalid("Value null at 'transactItems' failed to satisfy constraint: Member must not be null");
    if (list.length === 0)
      throw invalid(
        "Value [] at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    if (list.length > MAX_TRANSACTION_ITEMS) throw invalid('Member must have length less than or equal to 100');
    const request = JSON.stringify(list);
    const now = this.clock();
    for (const [seen, { at }] of this.tokens) if (at < now - TOKEN_TTL_MS) this.tokens.delete(seen);
    if (token) {
      const seen = this.tokens.get(token);
      if (seen && seen.request !== request) throw new DatabaseError('IdempotentParameterMismatchException', '');
      // The same request again: it was done, and is not done twice.
      if (seen) return {};
    }
    const plans = list.map((element, at) => this.transactPlan(rec(element) ?? {}, at));
    const items = new Set<string>();
    for (const plan of plans) {
      if (plan.id === undefined) continue;
      const id = `${plan.table.name}\u0001${plan.id}`;
      if (items.has(id)) throw invalid('Transaction request cannot include multiple operations on one item');
      items.add(id);
    }
    const outcomes = plans.map((plan) => plan.run());
    if (outcomes.some((o) => o.reason.Code !== 'None')) {
      const codes = outcomes.map((o) => String(o.reason.Code));
      throw new DatabaseError(
        'TransactionCanceledException',
        `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
        400,
        { CancellationReasons: outcomes.map((o) => o.reason) },
      );
    }
    const writes = outcomes.flatMap((o) => (o.write ? [o.write] : []));
    // DynamoDB Local counts a transactional write as four writes, and a condition check as two reads.
    const units = new Map<Table, Units>();
    for (const plan of plans) units.set(plan.table, addUnits(units.get(plan.table), { table: 0 }));
    for (const { table, id, item } of writes) {
      const { table: tableUnits } = this.writeUnits(table, table.items.get(id), item);
      units.set(table, addUnits(units.get(table), { table: 4 * tableUnits }));
    }
    if (writes.length > 0) {
      this.record({
        kind: 'transaction',
        writes: writes.map(({ table, id, item }) => {
          this.sequence += 1n;
          return {
            table: table.name,
            ...(item ? { item } : { key: this.keyOf(table, table.items.get(id) as Item) }),
            sequence: this.sequence.toString(),
          };
        }),
        at: now,
      });
    }
    if (token) this.tokens.set(token, { request, at: now });
    return this.capacities(
      input,
      [...units].map(([table, u]) => ({ table, units: u })),
      'WriteCapacityUnits',
    );
  }

  /**
   * One element of TransactWriteItems, checked as its own operation would be
   * checked; `run` then reads the item and gives the element's reason, and
   * the write it would make. A key DynamoDB refuses is that item's reason.
   */
  private transactPlan(
    element: Json,
    at: number,
  ): {
    table: Table;
    id: string | undefined;
    run: () => { reason: Json; write?: { table: Table; id: string; item: Item | undefined } };
  } {
    const kinds = ['ConditionCheck', 'Put', 'Delete', 'Update'].filter((k) => element[k] !== undefined);
    if (kinds.length > 1) throw invalid('TransactItems can only contain one of Check, Put, Update or Delete');
    const kind = kinds[0];
    if (kind === undefined)
      throw invalid('Invalid Request: TransactWriteRequest should contain Delete or Put or Update request');
    const request = rec(element[kind]) ?? {};
    const table = this.table(request.TableName);
    if (kind === 'ConditionCheck' && request.ConditionExpression === undefined)
      throw invalid(
        `Value null at 'transactItems.${at + 1}.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null`,
      );
    // DynamoDB Local gives these as the item's reason; every other error is the whole call's.
    let itemError: ValidationError | undefined;
    const asReason = (error: unknown, pattern: RegExp): void => {
      if (!(error instanceof ValidationError) || !pattern.test(error.message)) throw error;
      itemError ??= error;
    };
    let update: ReturnType<Database['updateRequest']> | undefined;
    if (kind === 'Update') {
      try {
        update = this.updateRequest(table, request);
      } catch (error) {
        asReason(error, /This attribute is part of the key$/);
      }
    }
    const failed = itemError;
    if (failed)
      return { table, id: undefined, run: () => ({ reason: { Code: 'ValidationError', Message: failed.message } }) };
    const placeholders = update?.placeholders ?? this.placeholders(request, [request.ConditionExpression]);
    const condition =
      update?.condition ?? this.condition(request.ConditionExpression, 'ConditionExpression', placeholders);
    if (!update) placeholders.checkAllUsed();
    const item = kind === 'Put' ? checkItem(request.Item) : undefined;
    let key: Item | undefined;
    try {
      if (item) this.checkKeys(table, item);
      key = item ? this.keyOf(table, item) : this.key(table, request.Key);
    } catch (error) {
      asReason(error, /Type mismatch for key$/);
    }
    const id = key && !itemError ? this.idOf(table, key) : undefined;
    const run = () => {
      if (itemError || !key || id === undefined)
        return { reason: { Code: 'ValidationError', Message: itemError?.message ?? 'The provided key is invalid' } };
      const current = table.items.get(id);
      if (condition && !evaluate(condition, current ?? {}, placeholders))
        return {
          reason: {
            Code: 'ConditionalCheckFailed',
            // DynamoDB Local ends this one with a full stop for a ConditionCheck only.
            Message: kind === 'ConditionCheck' ? 'The conditional request failed.' : 'The conditional request failed',
            ...(request.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && current ? { Item: current } : {}),
          },
        };
      if (kind === 'ConditionCheck' || (kind === 'Delete' && !current)) return { reason: { Code: 'None' } };
      if (kind === 'Delete') return { reason: { Code: 'None' }, write: { table, id, item: undefined } };
      // An update that cannot be applied to the item fails the whole call.
      const written = item ?? this.updated(table, update?.actions, current, key, placeholders);
      return { reason: { Code: 'None' }, write: { table, id, item: written } };
    };
    return { table, id, run };
  }

  /** TransactGetItems: up to 100 items, read together (the store runs one call at a time). */
  private transactGet(input: Json): Json {
    const list = arr(input.TransactItems);
    const gets = (list ?? []).map((element) => rec(rec(element)?.Get));
    if (!list || list.length === 0 || gets.some((g) => g === undefined))
      throw invalid("Value null at 'transactItems' failed to satisfy constraint: Member must not be null");
    if (list.length > MAX_TRANSACTION_ITEMS) throw invalid('Member must have length less than or equal to 100');
    const reads = gets.map((get = {}) => {
      const table = this.table(get.TableName);
      const placeholders = this.placeholders(get, [get.ProjectionExpression]);
      const projection = this.projection(get.ProjectionExpression, placeholders);
      placeholders.checkAllUsed();
      let key: Item;
      try {
        key = this.key(table, get.Key);
      } catch (error) {
        // DynamoDB Local cancels the whole read, with the key's message and no reasons.
        if (error instanceof ValidationError) throw new DatabaseError('TransactionCanceledException', error.message);
        throw error;
      }
      return { table, id: this.idOf(table, key), projection };
    });
    const items = new Set(reads.map((r) => `${r.table.name}\u0001${r.id}`));
    if (items.size !== reads.length)
      throw invalid('Transaction request cannot include multiple operations on one item');
    const units = new Map<Table, Units>();
    const responses = reads.map(({ table, id, projection }) => {
      const item = table.items.get(id);
      units.set(table, addUnits(units.get(table), { table: 2 * readUnits(item ? itemSize(item) : 0, true) }));
      return item ? { Item: projection ? project(item, projection) : item } : {};
    });
    return {
      Responses: responses,
      ...this.capacities(
        input,
        [...units].map(([table, u]) => ({ table, units: u })),
        'ReadCapacityUnits',
      ),
    };
  }

  /** A write (undefined deletes), journaled before it is applied and acknowledged. */
  private write(table: Table, id: string, item: Item | undefined): void {
    this.sequence += 1n;
    this.record({
      kind: 'write',
      table: table.name,
      ...(item ? { item } : { key: this.keyOf(table, table.items.get(id) as Item) }),
      sequence: this.sequence.toString(),
      at: this.clock(),
    });
  }

  private keyOf(table: Table, item: Item): Item {
    const key: Item = { [table.key.hash.name]: item[table.key.hash.name] as Value };
    if (table.key.range) key[table.key.range.name] = item[table.key.range.name] as Value;
    return key;
  }

  /** Journals an entry, then applies it: the one path every change takes, live or replayed. */
  private record(entry: JournalEntry): void {
    if (!this.replaying) this.journal?.append(entry);
    this.apply(entry);
    if (!this.replaying && this.journal?.due) this.journal.compact(this.snapshot());
  }

  private apply(entry: JournalEntry): void {
    switch (entry.kind) {
      case 'table':
        this.defineTable(entry.definition);
        return;
      case 'drop':
        this.tables.delete(entry.table);
        return;
      case 'write':
        this.applyWrite(entry.table, entry, entry.at, entry.expired);
        return;
      case 'transaction':
        for (const write of entry.writes) this.applyWrite(write.table, write, entry.at);
        return;
      case 'records': {
        const table = this.tables.get(entry.table);
        if (!table?.stream) return;
        for (const record of entry.records) {
          const sequence = BigInt(record.dynamodb.SequenceNumber);
          if (sequence > this.sequence) this.sequence = sequence;
          table.stream.records.push({ sequence, at: record.dynamodb.ApproximateCreationDateTime * 1000, record });
        }
        return;
      }
      case 'sequence':
        if (BigInt(entry.sequence) > this.sequence) this.sequence = BigInt(entry.sequence);
        return;
      case 'seed': {
        const table = this.tables.get(entry.table);
        if (!table) return;
        for (const raw of entry.items) {
          const item = checkItem(raw);
          const id = this.idOf(table, item);
          table.items.set(id, item);
          table.primary.add(item, id);
          for (const index of table.secondary.values()) index.add(item, id);
          table.bytes += itemSize(item);
        }
        return;
      }
    }
  }

  private applyWrite(
    name: string,
    write: { item?: Item; key?: Item; sequence: string },
    at: number,
    expired?: true,
  ): void {
    const table = this.tables.get(name);
    if (!table) return;
    const sequence = BigInt(write.sequence);
    if (sequence > this.sequence) this.sequence = sequence;
    const item = write.item ? (this.replaying ? checkItem(write.item) : write.item) : undefined;
    const id = this.idOf(table, item ?? checkItem(write.key));
    const old = table.items.get(id);
    if (old) {
      table.primary.remove(old, id);
      for (const index of table.secondary.values()) index.remove(old, id);
      table.bytes -= itemSize(old);
      table.items.delete(id);
    }
    if (item) {
      table.items.set(id, item);
      table.primary.add(item, id);
      for (const index of table.secondary.values()) index.add(item, id);
      table.bytes += itemSize(item);
    }
    if (table.stream && (old || item)) this.streamRecord(table, old, item, sequence, at, expired);
  }

  /** What a compacted journal holds: the tables, their items, the retained stream records, the sequence. */
  private *snapshot(): Generator<JournalEntry> {
    yield { kind: 'sequence', sequence: this.sequence.toString() };
    for (const table of this.tables.values()) {
      yield { kind: 'table', definition: this.definitionOf(table) };
      const items = [...table.items.values()];
      for (let at = 0; at < items.length; at += 1000)
        yield { kind: 'seed', table: table.name, items: items.slice(at, at + 1000) };
      if (table.stream) {
        this.trim(table.stream);
        const records = table.stream.records.map((r) => r.record);
        for (let at = 0; at < records.length; at += 1000)
          yield { kind: 'records', table: table.name, records: records.slice(at, at + 1000) };
      }
    }
  }

  // --- streams ---

  private streamRecord(
    table: Table,
    old: Item | undefined,
    item: Item | undefined,
    sequence: bigint,
    at: number,
    expired?: true,
  ): void {
    const stream = table.stream as Stream;
    // A write that leaves the item as it was adds no record.
    if (old && item && sameItem(old, item)) return;
    const viewType = stream.viewType;
    const record: StreamRecord = {
      eventID: createHash('md5').update(`${stream.arn}/${sequence}`).digest('hex'),
      eventName: !old ? 'INSERT' : !item ? 'REMOVE' : 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'ddblocal',
      ...(expired ? { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } as const } : {}),
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(at / 1000),
        Keys: this.keyOf(table, (item ?? old) as Item),
        ...(item && (viewType === 'NEW_IMAGE' || viewType === 'NEW_AND_OLD_IMAGES') ? { NewImage: item } : {}),
        ...(old && (viewType === 'OLD_IMAGE' || viewType === 'NEW_AND_OLD_IMAGES') ? { OldImage: old } : {}),
        SequenceNumber: sequence.toString().padStart(21, '0'),
        SizeBytes:
          (item ? itemSize(item) : 0) + (old ? itemSize(old) : 0) + itemSize(this.keyOf(table, (item ?? old) as Item)),
        StreamViewType: viewType,
      },
    };
    stream.records.push({ sequence, at, record });
    if ((stream.records[0]?.at ?? at) < at - STREAM_RETENTION_MS) this.trim(stream);
  }

  private trim(stream: Stream): void {
    const horizon = this.clock() - STREAM_RETENTION_MS;
    const first = stream.records.findIndex((r) => r.at >= horizon);
    if (first > 0) stream.records.splice(0, first);
    else if (first === -1) stream.records.length = 0;
  }

  private stream(arn: unknown): { table: Table; stream: Stream } {
    for (const table of this.tables.values())
      if (table.stream && table.stream.arn === arn) return { table, stream: table.stream };
    throw notFound(`Requested resource not found: Stream: ${String(arn)} not found`);
  }

  /**
   * ListStreams as DynamoDB Local pages it: oldest first, Limit at a time,
   * after ExclusiveStartStreamArn; each page is listed newest first.
   */
  private listStreams(input: Json): Json {
    const limit = streamLimit(input.Limit, ' allowed size: 100');
    const streams = [...this.tables.values()]
      .filter((t) => t.stream && (input.TableName === undefined || t.name === input.TableName))
      .flatMap((t) => (t.stream ? [{ table: t.name, stream: t.stream }] : []))
      .sort((a, b) => a.stream.createdAt - b.stream.createdAt || a.stream.arn.localeCompare(b.stream.arn));
    let from = 0;
    if (input.ExclusiveStartStreamArn !== undefined) {
      const at = streams.findIndex((s) => s.stream.arn === input.ExclusiveStartStreamArn);
      from = at === -1 ? streams.length : at + 1;
    }
    const page = streams.slice(from, from + limit);
    const more = from + limit < streams.length;
    return {
      Streams: page
        .map(({ table, stream }) => ({ StreamArn: stream.arn, TableName: table, StreamLabel: stream.label }))
        .reverse(),
      ...(more && page.length > 0 ? { LastEvaluatedStreamArn: page.at(-1)?.stream.arn } : {}),
    };
  }

  private describeStream(input: Json): Json {
    streamLimit(input.Limit, ': 100');
    const { table, stream } = this.stream(input.StreamArn);
    // One shard per stream: a page that starts after it is empty.
    const after = input.ExclusiveStartShardId === stream.shardId;
    return {
      StreamDescription: {
        StreamArn: stream.arn,
        StreamLabel: stream.label,
        StreamStatus: 'ENABLED',
        StreamViewType: stream.viewType,
        CreationRequestDateTime: stream.createdAt / 1000,
        TableName: table.name,
        KeySchema: this.keySchemaJson(table.key),
        Shards: after
          ? []
          : [
              {
                ShardId: stream.shardId,
                SequenceNumberRange: {
                  StartingSequenceNumber: (stream.records[0]?.sequence ?? this.sequence + 1n)
                    .toString()
                    .padStart(21, '0'),
                },
              },
            ],
      },
    };
  }

  private getShardIterator(input: Json): Json {
    const { stream } = this.stream(input.StreamArn);
    if (input.ShardId !== stream.shardId) throw notFound(`Requested resource not found: Shard does not exist`);
    const given = input.SequenceNumber;
    if (given !== undefined && (typeof given !== 'string' || given.length < 21))
      throw invalid(
        `1 validation error detected: Value '${String(given)}' at 'sequenceNumber' failed to satisfy constraint: Member must have length greater than or equal to 21`,
      );
    if (given !== undefined && (input.ShardIteratorType === 'LATEST' || input.ShardIteratorType === 'TRIM_HORIZON'))
      throw invalid(
        'One or more parameter values were invalid: SequenceNumber should not be passed for this iterator type',
      );
    const sequenceOf = (): bigint => {
      const text = str(given);
      if (!text || !/^\d+$/.test(text))
        throw invalid('One or more parameter values were invalid: Invalid SequenceNumber');
      return BigInt(text);
    };
    let after: bigint;
    switch (input.ShardIteratorType) {
      case 'TRIM_HORIZON':
        after = (stream.records[0]?.sequence ?? this.sequence + 1n) - 1n;
        break;
      case 'LATEST':
        after = this.sequence;
        break;
      case 'AT_SEQUENCE_NUMBER':
        after = sequenceOf() - 1n;
        break;
      case 'AFTER_SEQUENCE_NUMBER':
        after = sequenceOf();
        break;
      default:
        throw invalid(
          `1 validation error detected: Value '${String(input.ShardIteratorType)}' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_SEQUENCE_NUMBER, TRIM_HORIZON]`,
        );
    }
    this.trim(stream);
    const horizon = stream.records[0]?.sequence;
    if (horizon !== undefined && after < horizon - 1n)
      throw new DatabaseError(
        'TrimmedDataAccessException',
        'The operation attempted to read past the oldest stream record in a shard.',
      );
    return { ShardIterator: iterator(stream.arn, after, this.clock()) };
  }

  private getRecords(input: Json): Json {
    const parsed = parseIterator(input.ShardIterator);
    if (this.clock() - parsed.issued > ITERATOR_TTL_MS)
      throw new DatabaseError(
        'ExpiredIteratorException',
        `Iterator expired. The iterator was created at time ${new Date(parsed.issued).toISOString()}`,
      );
    const { stream } = this.stream(parsed.arn);
    const limit = typeof input.Limit === 'number' ? input.Limit : 1000;
    if (limit < 1 || limit > 1000)
      throw invalid(
        `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 1000`,
      );
    const horizon = stream.records[0]?.sequence;
    if (horizon !== undefined && parsed.after < horizon - 1n)
      throw new DatabaseError(
        'TrimmedDataAccessException',
        'The operation attempted to read past the oldest stream record in a shard.',
      );
    // Records are in sequence order; find the first after the position.
    let low = 0;
    let high = stream.records.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((stream.records[middle]?.sequence ?? 0n) <= parsed.after) low = middle + 1;
      else high = middle;
    }
    const page = stream.records.slice(low, low + limit);
    const last = page.at(-1)?.sequence ?? parsed.after;
    return { Records: page.map((r) => r.record), NextShardIterator: iterator(stream.arn, last, this.clock()) };
  }

  // --- reads ---

  private getItem(input: Json): Json {
    checkMixing(input, ['AttributesToGet'], ['ProjectionExpression']);
    const table = this.table(input.TableName);
    const placeholders = this.placeholders(input, [input.ProjectionExpression]);
    const projection =
      this.projection(input.ProjectionExpression, placeholders) ?? legacyProjection(input.AttributesToGet);
    placeholders.checkAllUsed();
    const key = this.key(table, input.Key);
    const item = table.items.get(this.idOf(table, key));
    const capacity = this.capacity(input, table, { table: readUnits(item ? itemSize(item) : 0, input.ConsistentRead) });
    if (!item) return capacity;
    return { Item: projection ? project(item, projection) : item, ...capacity };
  }

  private batchGet(input: Json): Json {
    const requests = rec(input.RequestItems) ?? {};
    const total = Object.values(requests).reduce<number>((sum, r) => sum + (arr(rec(r)?.Keys)?.length ?? 0), 0);
    if (total > 100) throw invalid('Too many items requested for the BatchGetItem call');
    const responses: Record<string, Item[]> = {};
    const batchUnits: Array<{ table: Table; units: Units }> = [];
    for (const [name, request] of Object.entries(requests)) {
      const spec = rec(request) ?? {};
      checkMixing(spec, ['AttributesToGet'], ['ProjectionExpression']);
      const table = this.table(name);
      const placeholders = this.placeholders(spec, [spec.ProjectionExpression]);
      const projection =
        this.projection(spec.ProjectionExpression, placeholders) ?? legacyProjection(spec.AttributesToGet);
      placeholders.checkAllUsed();
      const keys = (arr(spec.Keys) ?? []).map((k) => this.key(table, k));
      const ids = keys.map((k) => this.idOf(table, k));
      if (new Set(ids).size !== ids.length) throw invalid('Provided list of item keys contains duplicates');
      let units = 0;
      responses[name] = ids.flatMap((id) => {
        const item = table.items.get(id);
        units += readUnits(item ? itemSize(item) : 0, spec.ConsistentRead);
        return item ? [projection ? project(item, projection) : item] : [];
      });
      batchUnits.push({ table, units: { table: units } });
    }
    return { Responses: responses, UnprocessedKeys: {}, ...this.capacities(input, batchUnits) };
  }

  private batchWrite(input: Json): Json {
    const requests = rec(input.RequestItems) ?? {};
    const all = Object.entries(requests).flatMap(([name, list]) =>
      (arr(list) ?? []).map((r) => [name, rec(r) ?? {}] as const),
    );
    if (all.length > 25) throw invalid('Too many items requested for the BatchWriteItem call');
    // Every request is checked before any is applied.
    const writes = all.map(([name, request]) => {
      const table = this.table(name);
      const put = rec(request.PutRequest);
      const del = rec(request.DeleteRequest);
      if (put) {
        const item = checkItem(put.Item);
        this.checkKeys(table, item);
        return { table, id: this.idOf(table, item), item };
      }
      if (del) {
        const key = this.key(table, del.Key);
        return { table, id: this.idOf(table, key), item: undefined };
      }
      throw invalid(
        'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes',
      );
    });
    const seen = new Set(writes.map((w) => `${w.table.name}\u0001${w.id}`));
    if (seen.size !== writes.length) throw invalid('Provided list of item keys contains duplicates');
    const units = new Map<Table, Units>();
    for (const { table, id, item } of writes) {
      const current = table.items.get(id);
      units.set(table, addUnits(units.get(table), this.writeUnits(table, current, item)));
      if (item || current) this.write(table, id, item);
    }
    return {
      UnprocessedItems: {},
      ...this.capacities(
        input,
        [...units].map(([table, u]) => ({ table, units: u })),
      ),
    };
  }

  private query(input: Json): Json {
    const legacyParameters = ['AttributesToGet', 'KeyConditions', 'QueryFilter', 'ConditionalOperator'];
    checkMixing(input, legacyParameters, ['ProjectionExpression', 'KeyConditionExpression', 'FilterExpression']);
    const table = this.table(input.TableName);
    const { index, sorted, key } = this.ordering(table, input);
    let placeholders = this.placeholders(input, [
      input.KeyConditionExpression,
      input.FilterExpression,
      input.ProjectionExpression,
    ]);
    if (input.KeyConditionExpression === undefined && input.KeyConditions === undefined)
      throw invalid('Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.');
    let keyCondition: Condition;
    let filter: Condition | undefined;
    let projection: Path[] | undefined;
    if (legacyParameters.some((p) => input[p] !== undefined)) {
      placeholders.checkAllUsed();
      const legacy = new LegacyValues();
      keyCondition = legacyKeyConditions(input.KeyConditions, key, legacy);
      const keyNames = [key.hash.name, key.range?.name, table.key.hash.name, table.key.range?.name];
      const onKey = Object.keys(rec(input.QueryFilter) ?? {}).find((name) => keyNames.includes(name));
      if (onKey)
        throw invalid(`QueryFilter can only contain non-primary key attributes: Primary key attribute: ${onKey}`);
      filter = legacyCondition(input.QueryFilter, input.ConditionalOperator, 'QueryFilter', legacy);
      projection = legacyProjection(input.AttributesToGet);
      placeholders = legacy;
    } else {
      keyCondition = this.condition(input.KeyConditionExpression, 'KeyConditionExpression', placeholders) as Condition;
      filter = this.condition(input.FilterExpression, 'FilterExpression', placeholders);
      projection = this.projection(input.ProjectionExpression, placeholders);
      placeholders.checkAllUsed();
      const keyNames = [key.hash.name, key.range?.name];
      const onKey = filter ? attributesOf(filter).find((name) => keyNames.includes(name)) : undefined;
      if (onKey)
        throw invalid(`Filter Expression can only contain non-primary key attributes: Primary key attribute: ${onKey}`);
    }
    const { hash, range } = keyConditions(keyCondition, key, placeholders);
    const forward = input.ScanIndexForward !== false;
    const start = this.startKey(table, index, input.ExclusiveStartKey);
    if (start && !equals(start.item[key.hash.name] as Value, hash))
      throw invalid('The provided starting key does not match the range key predicate');
    const rangeMatches = range ? (item: Item) => evaluate(range, item, placeholders) : undefined;
    return this.page(
      table,
      index,
      sorted.partition(hash, forward, start),
      input,
      filter,
      projection,
      placeholders,
      rangeMatches,
      forward && range ? rangeEnd(range, key, placeholders) : undefined,
    );
  }

  private scan(input: Json): Json {
    const legacyParameters = ['AttributesToGet', 'ScanFilter', 'ConditionalOperator'];
    checkMixing(input, legacyParameters, ['ProjectionExpression', 'FilterExpression']);
    const table = this.table(input.TableName);
    const { index, sorted } = this.ordering(table, input);
    let placeholders = this.placeholders(input, [input.FilterExpression, input.ProjectionExpression]);
    let filter: Condition | undefined;
    let projection: Path[] | undefined;
    if (legacyParameters.some((p) => input[p] !== undefined)) {
      placeholders.checkAllUsed();
      const legacy = new LegacyValues();
      filter = legacyCondition(input.ScanFilter, input.ConditionalOperator, 'ScanFilter', legacy);
      projection = legacyProjection(input.AttributesToGet);
      placeholders = legacy;
    } else {
      filter = this.condition(input.FilterExpression, 'FilterExpression', placeholders);
      projection = this.projection(input.ProjectionExpression, placeholders);
      placeholders.checkAllUsed();
    }
    const start = this.startKey(table, index, input.ExclusiveStartKey);
    let items: Iterable<Item> = sorted.all(start);
    const segments = input.TotalSegments;
    if (segments !== undefined) {
      const segment = Number(input.Segment);
      const total = Number(segments);
      if (!Number.isInteger(total) || total < 1 || total > 1_000_000)
        throw invalid(
          `1 validation error detected: Value '${String(segments)}' at 'totalSegments' failed to satisfy constraint: Member must have value between 1 and 1000000`,
        );
      if (!Number.isInteger(segment) || segment < 0 || segment >= total)
        throw invalid(
          `The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: ${String(input.Segment)} is not less than TotalSegments: ${total}`,
        );
      const hashName = (index?.key ?? table.key).hash.name;
      items = filterSegment(items, hashName, segment, total);
    }
    return this.page(table, index, items, input, filter, projection, placeholders, undefined, undefined);
  }

  /** The table or the index a Query or Scan reads, with its key schema. */
  private ordering(table: Table, input: Json): { index: IndexSpec | undefined; sorted: SortedItems; key: KeySchema } {
    if (input.IndexName === undefined) return { index: undefined, sorted: table.primary, key: table.key };
    const index = table.indexes.find((i) => i.name === input.IndexName);
    if (!index) throw invalid(`The table does not have the specified index: ${String(input.IndexName)}`);
    if (index.kind === 'GSI' && input.ConsistentRead === true)
      throw invalid('Consistent read cannot be true when querying a GSI');
    return { index, sorted: table.secondary.get(index.name) as SortedItems, key: index.key };
  }

  /** ExclusiveStartKey: the table's key, plus the index's key when reading an index. */
  private startKey(table: Table, index: IndexSpec | undefined, input: unknown): { item: Item; id: string } | undefined {
    if (input === undefined) return undefined;
    const given = rec(input);
    if (!given) throw invalid('The provided starting key is invalid');
    const names = new Set(
      [table.key.hash.name, table.key.range?.name, index?.key.hash.name, index?.key.range?.name].filter(
        (n): n is string => n !== undefined,
      ),
    );
    if (Object.keys(given).length !== names.size)
      throw invalid("Exclusive Start Key must have same size as table's key schema");
    const item: Item = {};
    for (const name of names) {
      if (given[name] === undefined)
        throw invalid('The provided starting key is invalid: The provided key element does not match the schema');
      item[name] = checkValue(given[name]);
    }
    return { item, id: this.idOf(table, item) };
  }

  /** One page of a Query or Scan: Limit and the 1 MB page, then the filter, then the projection. */
  private page(
    table: Table,
    index: IndexSpec | undefined,
    source: Iterable<Item>,
    input: Json,
    filter: Condition | undefined,
    projection: Path[] | undefined,
    placeholders: Placeholders,
    inRange: ((item: Item) => boolean) | undefined,
    pastRange: ((item: Item) => boolean) | undefined,
  ): Json {
    const limit = input.Limit;
    if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1))
      throw invalid('Limit must be greater than or equal to 1');
    const select = input.Select ?? (projection ? 'SPECIFIC_ATTRIBUTES' : 'ALL_ATTRIBUTES');
    if (input.Select === 'ALL_ATTRIBUTES' && index?.kind === 'GSI' && index.projection.type !== 'ALL')
      throw invalid(
        `One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index ${index.name} because its projection type is not ALL`,
      );
    if (select === 'SPECIFIC_ATTRIBUTES' && !projection)
      throw invalid(
        'Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES',
      );
    if (select !== 'SPECIFIC_ATTRIBUTES' && projection)
      throw invalid(
        `Cannot specify the ${input.AttributesToGet === undefined ? 'ProjectionExpression' : 'AttributesToGet'} when choosing to get ${select === 'COUNT' ? 'only the Count' : String(select)}`,
      );
    const items: Item[] = [];
    let scanned = 0;
    let bytes = 0;
    let readBytes = 0;
    let last: Item | undefined;
    let more = false;
    for (const item of source) {
      if (inRange && !inRange(item)) {
        if (pastRange?.(item)) break;
        continue;
      }
      if ((limit !== undefined && scanned >= limit) || bytes >= PAGE_BYTES) {
        more = true;
        break;
      }
      scanned += 1;
      bytes += itemSize(item);
      // An index read is charged for what the index holds.
      readBytes += index ? itemSize(this.projected(table, index, item)) : itemSize(item);
      last = item;
      if (filter && !evaluate(filter, item, placeholders)) continue;
      // An LSI fetches what it does not project from the table when asked for all attributes.
      const visible =
        index && !(index.kind === 'LSI' && input.Select === 'ALL_ATTRIBUTES')
          ? this.projected(table, index, item)
          : item;
      items.push(projection ? project(visible, projection) : visible);
    }
    // DynamoDB stops at the Limit without looking further: a page that fills its Limit has a next page.
    if (!more && limit !== undefined && scanned === limit && last) more = true;
    const result: Json = select === 'COUNT' ? {} : { Items: items };
    // DynamoDB Local charges a scan of a GSI as a consistent read.
    const units = readUnits(
      readBytes,
      input.ConsistentRead === true ||
        (!inRange &&
          !pastRange &&
          index?.kind === 'GSI' &&
          input.KeyConditionExpression === undefined &&
          input.KeyConditions === undefined),
    );
    Object.assign(
      result,
      this.capacity(input, table, index ? { table: 0, indexes: [[index, units]] } : { table: units }),
    );
    result.Count = items.length;
    result.ScannedCount = scanned;
    if (more && last) {
      const key = this.keyOf(table, last);
      if (index) {
        key[index.key.hash.name] = last[index.key.hash.name] as Value;
        if (index.key.range) key[index.key.range.name] = last[index.key.range.name] as Value;
      }
      result.LastEvaluatedKey = key;
    }
    return result;
  }

  /** An item as an index holds it: all of it, its keys, or its keys and the included attributes. */
  private projected(table: Table, index: IndexSpec, item: Item): Item {
    if (index.projection.type === 'ALL') return item;
    const names = new Set([
      table.key.hash.name,
      table.key.range?.name,
      index.key.hash.name,
      index.key.range?.name,
      ...(index.projection.nonKeyAttributes ?? []),
    ]);
    const projected: Item = {};
    for (const name of names) if (name !== undefined && item[name] !== undefined) projected[name] = item[name] as Value;
    return projected;
  }
}

const STREAM_VIEW_TYPES = ['NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'KEYS_ONLY'];

/** What CreateTable and UpdateTable check of a StreamSpecification, with DynamoDB Local's messages. */
const checkStreamSpecification = (stream: Json | undefined): void => {
  if (!stream) return;
  const viewType = stream.StreamViewType;
  if (stream.StreamEnabled === true) {
    if (viewType === undefined || viewType === '')
      throw invalid('Invalid StreamViewType: Stream ViewType must not be null or empty when enabling streams.');
    if (!STREAM_VIEW_TYPES.includes(String(viewType))) throw invalid(`Invalid StreamViewType: ${String(viewType)}`);
  } else if (viewType !== undefined)
    throw invalid('Invalid StreamViewType: Stream StreamEnabled was false but a StreamViewType was present.');
};

/** A Limit of ListStreams or DescribeStream: 1 to 100, 100 when not given. */
const streamLimit = (limit: unknown, maximum: string): number => {
  if (limit === undefined) return 100;
  const value = Number(limit);
  if (!Number.isInteger(value) || value < 1)
    throw invalid(
      `1 validation error detected: Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1`,
    );
  if (value > 100)
    throw invalid(`One or more parameter values were invalid: Limit cannot be greater than the maximum${maximum}`);
  return value;
};

/** Capacity units: the table's, and each index's. */
interface Units {
  table: number;
  indexes?: Array<[IndexSpec, number]>;
}

const addUnits = (a: Units | undefined, b: Units): Units => ({
  table: (a?.table ?? 0) + b.table,
  indexes: [...(a?.indexes ?? []), ...(b.indexes ?? [])],
});

const writeUnitsOf = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));

/** One read unit per 4 KB (at least one), half of it for an eventually consistent read. */
const readUnits = (bytes: number, consistent: unknown): number =>
  Math.max(1, Math.ceil(bytes / 4096)) * (consistent === true ? 1 : 0.5);

const capacityOf = (mode: 'TOTAL' | 'INDEXES', name: string, units: Units, extra?: string): Json => {
  const indexes = new Map<IndexSpec, number>();
  for (const [index, u] of units.indexes ?? []) indexes.set(index, (indexes.get(index) ?? 0) + u);
  const total = units.table + [...indexes.values()].reduce((sum, u) => sum + u, 0);
  const capacity: Json = { TableName: name, CapacityUnits: total, ...(extra ? { [extra]: total } : {}) };
  if (mode === 'INDEXES') {
    // DynamoDB Local repeats the write units in the table's part, not the read units.
    capacity.Table = {
      CapacityUnits: units.table,
      ...(extra === 'WriteCapacityUnits' ? { [extra]: units.table } : {}),
    };
    for (const [kind, member] of [
      ['LSI', 'LocalSecondaryIndexes'],
      ['GSI', 'GlobalSecondaryIndexes'],
    ] as const) {
      const of = [...indexes].filter(([index]) => index.kind === kind);
      if (of.length > 0)
        capacity[member] = Object.fromEntries(of.map(([index, u]) => [index.name, { CapacityUnits: u }]));
    }
  }
  return capacity;
};

/** What UpdateItem answers for its ReturnValues. */
const updateResult = (
  returnValues: unknown,
  actions: UpdateActions | undefined,
  current: Item | undefined,
  item: Item,
): Json => {
  switch (returnValues) {
    case 'ALL_OLD':
      return current ? { Attributes: current } : {};
    case 'ALL_NEW':
      return { Attributes: item };
    case 'UPDATED_OLD':
    case 'UPDATED_NEW': {
      const source = returnValues === 'UPDATED_OLD' ? current : item;
      if (!source || !actions) return {};
      const paths = [
        ...actions.set.map((a) => a.path),
        ...actions.add.map((a) => a.path),
        ...actions.delete.map((a) => a.path),
        ...actions.remove,
      ];
      const attributes = project(
        source,
        paths.map((p) => p.slice(0, 1)),
      );
      return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
    }
    default:
      return {};
  }
};

/** An update's result: DynamoDB words the nesting limit shorter here. */
const checkUpdated = (updated: Item): Item => {
  try {
    return checkItem(updated);
  } catch (error) {
    if (error instanceof ValidationError && error.message === NESTING_MESSAGE)
      throw invalid('Nesting Levels have exceeded supported limits');
    throw error;
  }
};

/** Two stored items with the same attributes and values. */
const sameItem = (a: Item, b: Item): boolean => {
  const names = Object.keys(a);
  return (
    names.length === Object.keys(b).length &&
    names.every((n) => b[n] !== undefined && equals(a[n] as Value, b[n] as Value))
  );
};

const iterator = (arn: string, after: bigint, issued: number): string =>
  Buffer.from(JSON.stringify({ arn, after: after.toString(), issued })).toString('base64url');

const parseIterator = (text: unknown): { arn: string; after: bigint; issued: number } => {
  try {
    const parsed = JSON.parse(Buffer.from(String(text), 'base64url').toString('utf8')) as {
      arn: string;
      after: string;
      issued: number;
    };
    return { arn: parsed.arn, after: BigInt(parsed.after), issued: parsed.issued };
  } catch {
    throw invalid('Invalid ShardIterator');
  }
};

function* filterSegment(items: Iterable<Item>, hashName: string, segment: number, total: number): Generator<Item> {
  for (const item of items) {
    const hash = createHash('md5')
      .update(keyText(item[hashName] as Value))
      .digest()
      .readUInt32BE(0);
    if (hash % total === segment) yield item;
  }
}

const OPERATOR_NAMES: Record<string, string> = {
  exists: 'attribute_exists',
  not_exists: 'attribute_not_exists',
  type: 'attribute_type',
  contains: 'contains',
  in: 'IN',
};

/**
 * A key condition split into the partition-key equality and the optional
 * sort-key condition, with DynamoDB's rules: one condition per key, `=` on
 * the partition key, `=`, `<`, `<=`, `>`, `>=`, BETWEEN or begins_with on the
 * sort key, and nothing else.
 */
const keyConditions = (
  condition: Condition,
  key: KeySchema,
  placeholders: Placeholders,
): { hash: Value; range?: Condition } => {
  const parts: Condition[] = [];
  const MIRRORED = { '=': '=', '<>': '<>', '<': '>', '<=': '>=', '>': '<', '>=': '<=' } as const;
  const flatten = (c: Condition): void => {
    if (c.kind === 'or' || c.kind === 'not')
      throw invalid(`Invalid operator used in KeyConditionExpression: ${c.kind.toUpperCase()}`);
    if (c.kind === 'and') {
      flatten(c.left);
      flatten(c.right);
    } else if (c.kind === 'compare' && c.left.kind === 'value' && c.right.kind === 'path')
      // `:v = key` reads as `key = :v`.
      parts.push({ kind: 'compare', op: MIRRORED[c.op], left: c.right, right: c.left });
    else parts.push(c);
  };
  flatten(condition);
  const unsupported = () => invalid('Query key condition not supported');
  const attributeOf = (c: Condition): string => {
    const path = (o: Operand | Path): string => {
      const p = Array.isArray(o) ? o : o.kind === 'path' ? o.path : undefined;
      const first = p?.[0];
      if (p?.length !== 1 || !first || !('name' in first)) throw unsupported();
      return first.name;
    };
    switch (c.kind) {
      case 'compare':
        if (c.op === '<>') throw invalid('Invalid operator used in KeyConditionExpression: <>');
        if (c.left.kind === 'path' && c.right.kind === 'value') return path(c.left);
        throw unsupported();
      case 'between':
        if (c.low.kind !== 'value' || c.high.kind !== 'value') throw unsupported();
        return path(c.operand);
      case 'begins_with':
        if (c.prefix.kind !== 'value') throw unsupported();
        return path(c.path);
      default:
        throw invalid(`Invalid operator used in KeyConditionExpression: ${OPERATOR_NAMES[c.kind] ?? c.kind}`);
    }
  };
  let hash: Value | undefined;
  let range: Condition | undefined;
  for (const part of parts) {
    const name = attributeOf(part);
    if (
      name === key.hash.name &&
      hash === undefined &&
      part.kind === 'compare' &&
      part.op === '=' &&
      part.right.kind === 'value'
    ) {
      hash = placeholders.value(part.right.placeholder);
      if (hash[key.hash.type] === undefined)
        throw invalid(`One or more parameter values were invalid: Condition parameter type does not match schema type`);
    } else if (name === key.range?.name && range === undefined) {
      range = part;
    } else if (name === key.hash.name || name === key.range?.name) {
      throw name === key.hash.name && hash === undefined
        ? unsupported()
        : invalid('KeyConditionExpressions must only contain one condition per key');
    } else {
      throw invalid(
        `Query condition missed key schema element: ${key.hash.name === name ? name : key.range && !range ? key.range.name : key.hash.name}`,
      );
    }
  }
  if (hash === undefined) throw invalid('Query condition missed key schema element');
  return range ? { hash, range } : { hash };
};

/** The top-level attributes a condition reads, in the order written. */
const attributesOf = (condition: Condition): string[] => {
  const names: string[] = [];
  const path = (p: Path) => {
    const first = p[0];
    if (first && 'name' in first) names.push(first.name);
  };
  const operand = (o: Operand): void => {
    if (o.kind === 'path' || o.kind === 'size') path(o.path);
  };
  const walk = (c: Condition): void => {
    switch (c.kind) {
      case 'and':
      case 'or':
        walk(c.left);
        walk(c.right);
        return;
      case 'not':
        walk(c.condition);
        return;
      case 'compare':
        operand(c.left);
        operand(c.right);
        return;
      case 'between':
        for (const o of [c.operand, c.low, c.high]) operand(o);
        return;
      case 'in':
        for (const o of [c.operand, ...c.list]) operand(o);
        return;
      default:
        path(c.path);
    }
  };
  walk(condition);
  return names;
};

/** KeyConditions as a key condition, with DynamoDB's checks of the legacy form. */
const legacyKeyConditions = (input: unknown, key: KeySchema, values: LegacyValues): Condition => {
  const entries = Object.entries(rec(input) ?? {});
  const names = entries.map(([name]) => name);
  if (!names.includes(key.hash.name) || names.some((n) => n !== key.hash.name && n !== key.range?.name))
    throw invalid('Query condition missed key schema element');
  for (const [name, spec] of entries) {
    const operator = rec(spec)?.ComparisonOperator;
    if (name === key.hash.name && operator !== 'EQ') throw invalid('Query key condition not supported');
    if (name !== key.hash.name && !['EQ', 'LE', 'LT', 'GE', 'GT', 'BEGINS_WITH', 'BETWEEN'].includes(String(operator)))
      throw invalid('Attempted conditional constraint is not an indexable operation');
    const attribute = name === key.hash.name ? key.hash : key.range;
    const list = rec(spec)?.AttributeValueList;
    if (attribute && Array.isArray(list) && list.some((v) => rec(v)?.[attribute.type] === undefined))
      throw invalid('One or more parameter values were invalid: Condition parameter type does not match schema type');
  }
  return legacyCondition(input, undefined, 'KeyConditions', values) as Condition;
};

/**
 * For a forward read, whether an item lies past the sort-key condition, so
 * that the read can stop: items come in sort order, and `<`, `<=`, `=`,
 * BETWEEN and begins_with all bound the range from above.
 */
const rangeEnd = (
  range: Condition,
  key: KeySchema,
  placeholders: Placeholders,
): ((item: Item) => boolean) | undefined => {
  const name = key.range?.name as string;
  const above = (bound: Value, inclusive: boolean) => (item: Item) => {
    const order = compareScalars(item[name] as Value, bound);
    return order !== undefined && (inclusive ? order > 0 : order >= 0);
  };
  if (range.kind === 'compare' && range.right.kind === 'value') {
    const bound = placeholders.value(range.right.placeholder);
    if (range.op === '<') return above(bound, false);
    if (range.op === '<=' || range.op === '=') return above(bound, true);
  }
  if (range.kind === 'between' && range.high.kind === 'value')
    return above(placeholders.value(range.high.placeholder), true);
  return undefined;
};
