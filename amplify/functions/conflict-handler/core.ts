/**
 * The API's conflict handler (AppSync `ConflictHandler: LAMBDA`). AppSync calls
 * it when a versioned write's `_version` does not match the stored item's:
 *
 * - a write that names no `_version` (Gen 2's `client.models`, which cannot send
 *   one) is last-writer-wins: an update is applied on top of the stored item, a
 *   delete removes it;
 * - a write that names a stale `_version` (DataStore after offline edits) is
 *   merged as AUTOMERGE does: scalars keep the server's value, lists are
 *   concatenated, maps merge field by field, fields new or null on the server
 *   take the incoming value; a stale delete is rejected, and DataStore retries it
 *   with the server's version;
 * - nothing brings a soft-deleted item back: any write to one is rejected.
 *
 * A rejection reaches the client as `ConflictUnhandled` with the stored item.
 */

export type Item = Record<string, unknown>;

/** What AppSync passes to a conflict-handler Lambda. */
export interface ConflictEvent {
  /** The item as the mutation would have written it; null for a delete. */
  newItem?: Item | null;
  /** The item as it is stored. */
  existingItem?: Item | null;
  /** The mutation's GraphQL arguments. */
  arguments?: Record<string, unknown>;
  resolver?: { field?: string; parentType?: string; tableName?: string; outputType?: string };
  identity?: unknown;
}

export type ConflictResolution = { action: 'RESOLVE'; item: Item } | { action: 'REJECT' } | { action: 'REMOVE' };

/** Maintained by AppSync on every versioned write; a resolution never sets them itself. */
const SYNC_FIELDS = new Set(['_version', '_lastChangedAt', '_deleted', '_ttl']);

const isRecord = (value: unknown): value is Item =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The mutation's input object (`input` for model mutations), if any. */
const inputOf = (event: ConflictEvent): Item => {
  const args = event.arguments ?? {};
  return isRecord(args.input) ? args.input : args;
};

/** A write is versionless when its input names no `_version`. */
export const isVersionless = (event: ConflictEvent): boolean => {
  const version = inputOf(event)._version;
  return version === undefined || version === null;
};

const isDelete = (event: ConflictEvent): boolean =>
  event.newItem === null || event.newItem === undefined || (event.resolver?.field ?? '').startsWith('delete');

const withoutSyncFields = (item: Item): Item =>
  Object.fromEntries(Object.entries(item).filter(([key]) => !SYNC_FIELDS.has(key)));

/** AUTOMERGE's rules for one value (server first). */
export const automerge = (server: unknown, incoming: unknown): unknown => {
  if (server === null || server === undefined) return incoming;
  if (incoming === undefined) return server;
  if (Array.isArray(server) && Array.isArray(incoming)) return [...server, ...incoming];
  if (isRecord(server) && isRecord(incoming)) {
    const merged: Item = { ...server };
    for (const [key, value] of Object.entries(incoming)) merged[key] = automerge(server[key], value);
    return merged;
  }
  return server;
};

/** Decides one conflict. Pure: the handler only adapts the event. */
export const resolveConflict = (event: ConflictEvent): ConflictResolution => {
  const existing = event.existingItem;
  if (!isRecord(existing) || existing._deleted === true) return { action: 'REJECT' };
  const versionless = isVersionless(event);
  if (isDelete(event)) return versionless ? { action: 'REMOVE' } : { action: 'REJECT' };
  const next = isRecord(event.newItem) ? withoutSyncFields(event.newItem) : {};
  const input = withoutSyncFields(inputOf(event));
  if (versionless) {
    // Last writer wins: the new item over the stored one; a null in the input removes the field.
    const item: Item = { ...withoutSyncFields(existing), ...next };
    for (const [key, value] of Object.entries(input)) if (value === null) delete item[key];
    return { action: 'RESOLVE', item: { ...item, _version: existing._version } };
  }
  // AUTOMERGE over the fields the mutation names, with the values it would have written.
  const incoming: Item = Object.fromEntries(
    Object.keys(input).map((key) => [key, key in next ? next[key] : input[key]]),
  );
  const merged = automerge(withoutSyncFields(existing), incoming);
  return { action: 'RESOLVE', item: { ...(isRecord(merged) ? merged : {}), _version: existing._version } };
};
