import { marshall } from '@aws-sdk/util-dynamodb';
import type { DataSourceResult, DynamoDataSource } from '../graphql/dynamodb-source';
import { HttpError } from '../http/json-server';
import type { ConsoleModel } from './models';

type Json = Record<string, unknown>;

/** Fields the data source owns on a versioned table: an edit never sets them. */
const SYNC_FIELDS = new Set(['_version', '_lastChangedAt', '_deleted', '_ttl']);

const toAttributes = (value: Json) => marshall(value, { removeUndefinedValues: true, convertClassInstanceToMap: true });

const resultOf = (answer: DataSourceResult): unknown => {
  if (answer.error) throw new HttpError(400, answer.error.type, answer.error.message);
  return answer.result;
};

/**
 * The console's record edits, made through the data source the API writes the
 * table with: on a versioned table an edit is the next `_version` with a
 * DeltaSync entry and a delete is a soft delete, as `update<Model>` and
 * `delete<Model>` make them, so a DataStore client's next delta sync sees the
 * change. A write around them would be seen by a device's next base sync only.
 */
export const consoleRecords = (writer: DynamoDataSource) => {
  const current = async (key: Json): Promise<Json | undefined> => {
    const item = resultOf(await writer.invoke({ operation: 'GetItem', key: toAttributes(key), consistentRead: true }));
    return typeof item === 'object' && item !== null ? (item as Json) : undefined;
  };
  return {
    async put(model: ConsoleModel, item: Json): Promise<unknown> {
      const key = Object.fromEntries(model.keys.map((k) => [k, item[k]]));
      const stored = await current(key);
      const now = new Date().toISOString();
      const fields = new Set(model.fields.map((f) => f.name));
      const values = Object.fromEntries(
        Object.entries({
          ...(fields.has('createdAt') && stored?.createdAt === undefined && item.createdAt === undefined
            ? { createdAt: now }
            : {}),
          ...item,
          ...(fields.has('updatedAt') ? { updatedAt: now } : {}),
          __typename: item.__typename ?? stored?.__typename ?? model.name,
        }).filter(([name]) => !SYNC_FIELDS.has(name) && !model.keys.includes(name)),
      );
      return resultOf(
        await writer.invoke({
          operation: 'PutItem',
          key: toAttributes(key),
          attributeValues: toAttributes(values),
          // The stored version, so a versioned source writes the next one.
          ...(typeof stored?._version === 'number' ? { _version: stored._version } : {}),
        }),
      );
    },
    async remove(key: Json): Promise<void> {
      const stored = await current(key);
      if (!stored) return;
      resultOf(
        await writer.invoke({
          operation: 'DeleteItem',
          key: toAttributes(key),
          ...(typeof stored._version === 'number' ? { _version: stored._version } : {}),
        }),
      );
    },
  };
};
