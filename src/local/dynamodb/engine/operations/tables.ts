import { DatabaseError, invalid, notFound } from '../errors';
import type { IndexSpec, KeyAttribute, KeySchema, KeyType } from '../indexes';
import { definitionOf, type Store } from '../storage';
import { ARN_PREFIX, arr, type Json, labelOf, rec, str, TABLE_NAME, type Table, type TableDefinition } from '../types';

/** CreateTable, DescribeTable, ListTables, UpdateTable and DeleteTable, with their secondary indexes. */

export const keySchema = (schema: unknown, definitions: Map<string, KeyType>, what: string): KeySchema => {
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
};

export const indexSpec = (input: unknown, kind: 'GSI' | 'LSI', definitions: Map<string, KeyType>): IndexSpec => {
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
    key: keySchema(index.KeySchema, definitions, `index ${name}`),
    projection: {
      type,
      ...(type === 'INCLUDE' ? { nonKeyAttributes: (arr(projection.NonKeyAttributes) ?? []).map(String) } : {}),
    },
  };
};

export const createTable = (store: Store, input: Json): Json => {
  const name = input.TableName;
  if (typeof name !== 'string' || !TABLE_NAME.test(name)) store.table(name);
  if (store.tables.has(String(name)))
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
  const key = keySchema(input.KeySchema, definitions, 'table');
  const indexes = [
    ...(arr(input.GlobalSecondaryIndexes) ?? []).map((g) => indexSpec(g, 'GSI', definitions)),
    ...(arr(input.LocalSecondaryIndexes) ?? []).map((l) => indexSpec(l, 'LSI', definitions)),
  ];
  for (const index of indexes) {
    if (index.kind !== 'LSI') continue;
    if (!key.range) throw invalid('Local Secondary indices are not allowed on hash tables, only hash and range tables');
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
  if (billingMode === 'PROVISIONED' && !provisioned) throw invalid('No provisioned throughput specified for the table');
  const stream = rec(input.StreamSpecification);
  checkStreamSpecification(stream);
  const now = store.clock();
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
  store.record({ kind: 'table', definition });
  return { TableDescription: describe(store.table(name)) };
};

export const keySchemaJson = (key: KeySchema): Json[] => {
  return [
    { AttributeName: key.hash.name, KeyType: 'HASH' },
    ...(key.range ? [{ AttributeName: key.range.name, KeyType: 'RANGE' }] : []),
  ];
};

export const describe = (table: Table): Json => {
  const seconds = table.createdAt / 1000;
  const index = (spec: IndexSpec) => ({
    IndexName: spec.name,
    KeySchema: keySchemaJson(spec.key),
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
    KeySchema: keySchemaJson(table.key),
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
};

export const listTables = (store: Store, input: Json): Json => {
  const names = [...store.tables.keys()].sort();
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
};

export const updateTable = (store: Store, input: Json): Json => {
  const table = store.table(input.TableName);
  const definition = definitionOf(table);
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
      const spec = indexSpec(create, 'GSI', definitions);
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
    const now = store.clock();
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
  store.record({ kind: 'table', definition });
  return { TableDescription: describe(store.table(table.name)) };
};

export const deleteTable = (store: Store, input: Json): Json => {
  const table = store.table(input.TableName);
  const description = describe(table);
  store.record({ kind: 'drop', table: table.name });
  return { TableDescription: { ...description, TableStatus: 'DELETING' } };
};

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
