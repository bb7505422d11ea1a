import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  ResourceInUseException,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import type { CloudAssembly } from '../cloud/assembly';

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export interface TableSpec {
  name: string;
  /** The model name for Amplify model tables (e.g. "Post"), else the logical id. */
  label: string;
  attributeDefinitions: AttributeDefinition[];
  keySchema: KeySchemaElement[];
  globalSecondaryIndexes: GlobalSecondaryIndex[];
  stream: boolean;
}

// Amplify's table custom resource uses camelCase property names; CloudFormation's use PascalCase.
const pick = (props: Json, camel: string): unknown => props[camel] ?? props[camel[0]?.toUpperCase() + camel.slice(1)];

const keys = (value: unknown): KeySchemaElement[] =>
  (Array.isArray(value) ? value : []).filter(isRecord).map((k) => ({
    AttributeName: String(pick(k, 'attributeName')),
    KeyType: pick(k, 'keyType') === 'RANGE' ? 'RANGE' : 'HASH',
  }));

/** The tables the templates define (Amplify model tables and plain DynamoDB tables), with their keys and indexes. */
export const tableSpecs = (assembly: CloudAssembly): TableSpec[] =>
  [...assembly.resources('Custom::AmplifyDynamoDBTable'), ...assembly.resources('AWS::DynamoDB::Table')].map(
    ({ stack, logicalId, properties }) => {
      const props = stack.resolve(properties);
      if (!isRecord(props)) throw new Error(`${logicalId}: no properties`);
      const stream = pick(props, 'streamSpecification');
      const gsis = pick(props, 'globalSecondaryIndexes');
      const name = String(pick(props, 'tableName') ?? logicalId);
      return {
        name,
        label: logicalId.endsWith('Table') && logicalId !== 'Table' ? logicalId.replace(/Table$/, '') : logicalId,
        attributeDefinitions: (Array.isArray(pick(props, 'attributeDefinitions'))
          ? (pick(props, 'attributeDefinitions') as unknown[])
          : []
        )
          .filter(isRecord)
          .map((a) => ({
            AttributeName: String(pick(a, 'attributeName')),
            AttributeType: pick(a, 'attributeType') === 'N' ? 'N' : pick(a, 'attributeType') === 'B' ? 'B' : 'S',
          })),
        keySchema: keys(pick(props, 'keySchema')),
        globalSecondaryIndexes: (Array.isArray(gsis) ? gsis : []).filter(isRecord).map((g) => ({
          IndexName: String(pick(g, 'indexName')),
          KeySchema: keys(pick(g, 'keySchema')),
          Projection: { ProjectionType: 'ALL' },
        })),
        stream: isRecord(stream) && pick(stream, 'streamViewType') !== undefined,
      };
    },
  );

/** Creates each table that does not exist yet; existing tables (and their data) are kept. */
export const createTables = async (client: DynamoDBClient, specs: TableSpec[]): Promise<void> => {
  for (const spec of specs) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: spec.name,
          AttributeDefinitions: spec.attributeDefinitions,
          KeySchema: spec.keySchema,
          GlobalSecondaryIndexes: spec.globalSecondaryIndexes.length > 0 ? spec.globalSecondaryIndexes : undefined,
          BillingMode: 'PAY_PER_REQUEST',
          StreamSpecification: spec.stream ? { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } : undefined,
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
};

/**
 * Adds the global secondary indexes a table's spec has and the table lacks,
 * one per UpdateTable call as DynamoDB requires: a hot reload that adds a
 * secondary index to a model keeps the table and its items.
 */
export const createMissingIndexes = async (client: DynamoDBClient, specs: TableSpec[]): Promise<void> => {
  for (const spec of specs) {
    if (spec.globalSecondaryIndexes.length === 0) continue;
    const { Table } = await client.send(new DescribeTableCommand({ TableName: spec.name }));
    const existing = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
    for (const index of spec.globalSecondaryIndexes) {
      if (existing.has(index.IndexName)) continue;
      await client.send(
        new UpdateTableCommand({
          TableName: spec.name,
          AttributeDefinitions: spec.attributeDefinitions,
          GlobalSecondaryIndexUpdates: [
            { Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection } },
          ],
        }),
      );
      await untilIndexActive(client, spec.name, String(index.IndexName));
    }
  }
};

/**
 * A new index is CREATING while DynamoDB backfills it, and queries on it
 * fail; CloudFormation finishes the update only once it is ACTIVE, and so
 * does a hot reload.
 */
const untilIndexActive = async (client: DynamoDBClient, tableName: string, indexName: string): Promise<void> => {
  const deadline = Date.now() + INDEX_ACTIVE_TIMEOUT_MS;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const status = Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === indexName)?.IndexStatus;
    if (status === 'ACTIVE') return;
    if (Date.now() > deadline)
      throw new Error(
        `index ${indexName} of ${tableName} is still ${status ?? 'missing'} after ${INDEX_ACTIVE_TIMEOUT_MS} ms`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

const INDEX_ACTIVE_TIMEOUT_MS = 60_000;
