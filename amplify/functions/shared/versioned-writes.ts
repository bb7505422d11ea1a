/**
 * Writes to a model table that DataStore can see, made the way AppSync's
 * versioned DynamoDB data source makes them: the sync fields on the item
 * (`_version`, `_lastChangedAt`, `_deleted`, `_ttl` on a tombstone) and one
 * entry per change in the DeltaSync table, which `sync<Model>s(lastSync)`
 * reads. A function that wrote around them would be seen by a device's next
 * base sync only.
 */

/** Where a function's versioned writes go: from defineSyncedData's `tableAccess` with `versioned: true`. */
export interface SyncSettings {
  deltaSyncTableName: string;
  /** Minutes a change stays in the DeltaSync table (the data source's DeltaSyncTableTTL). */
  deltaSyncTableTtlMinutes: number;
  /** Minutes a tombstone stays in the base table (the data source's BaseTableTTL). */
  baseTableTtlMinutes: number;
}

/** The env vars that carry SyncSettings; the table name comes through an SSM parameter like the model tables'. */
export const SYNC_ENV = {
  deltaSyncTableName: 'DELTASYNC_TABLE_NAME',
  deltaSyncTableTtlMinutes: 'DELTASYNC_TABLE_TTL_MINUTES',
  baseTableTtlMinutes: 'BASE_TABLE_TTL_MINUTES',
} as const;

export type Item = Record<string, unknown>;

/** The DeltaSync entry of one change: partition `<table>:<date>`, sort `<time>:<id>:<version>`. */
export const deltaSyncEntry = <T extends { id: unknown; _version: unknown; _lastChangedAt: unknown }>(
  tableName: string,
  item: T,
  settings: SyncSettings,
): T & { ds_pk: string; ds_sk: string; _ttl: number } => {
  const changedAt = Number(item._lastChangedAt);
  if (!Number.isFinite(changedAt)) throw new Error('a versioned item needs a numeric _lastChangedAt');
  const when = new Date(changedAt).toISOString();
  return {
    ...item,
    ds_pk: `${tableName}:${when.slice(0, 10)}`,
    ds_sk: `${when.slice(11, 23)}:${String(item.id)}:${String(item._version)}`,
    _ttl: Math.floor(changedAt / 1000) + settings.deltaSyncTableTtlMinutes * 60,
  };
};

/** A new item at version 1. */
export const firstVersion = <T extends Item>(item: T, now: Date): T & { _version: 1; _lastChangedAt: number } => ({
  ...item,
  _version: 1,
  _lastChangedAt: now.getTime(),
});

/**
 * The UpdateItem that soft-deletes an item, only if it is still at the
 * version the caller decided on (a newer version may be a change the caller
 * has not seen), as a DeleteItem with `_version` does through the API.
 */
export const softDeleteUpdate = (
  tableName: string,
  id: string,
  seenVersion: number,
  now: Date,
  settings: SyncSettings,
) => ({
  TableName: tableName,
  Key: { id },
  UpdateExpression: 'SET #deleted = :true, #version = #version + :one, #changed = :now, #ttl = :ttl',
  ConditionExpression: 'attribute_exists(id) AND #version = :seen',
  ExpressionAttributeNames: {
    '#deleted': '_deleted',
    '#version': '_version',
    '#changed': '_lastChangedAt',
    '#ttl': '_ttl',
  },
  ExpressionAttributeValues: {
    ':true': true,
    ':one': 1,
    ':now': now.getTime(),
    ':ttl': Math.floor(now.getTime() / 1000) + settings.baseTableTtlMinutes * 60,
    ':seen': seenVersion,
  },
  ReturnValues: 'ALL_NEW' as const,
});

/** Reads SyncSettings from the environment (the table name already resolved), naming what is missing. */
export const syncSettingsFrom = (env: Record<string, string | undefined>, deltaSyncTableName: string): SyncSettings => {
  const minutes = (name: string): number => {
    const value = Number(env[name]);
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`Missing or invalid ${name}: defineSyncedData's tableAccess with versioned: true sets it.`);
    }
    return value;
  };
  return {
    deltaSyncTableName,
    deltaSyncTableTtlMinutes: minutes(SYNC_ENV.deltaSyncTableTtlMinutes),
    baseTableTtlMinutes: minutes(SYNC_ENV.baseTableTtlMinutes),
  };
};
