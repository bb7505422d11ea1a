import { definitionOf, keyOf, type Store } from '../storage';
import { type Json, rec } from '../types';
import type { Item } from '../values';

/** DynamoDB does not delete items whose TTL lies more than five years in the past. */
const TTL_IGNORED_AFTER_S = 5 * 365 * 24 * 60 * 60;

/** Time to live: its setting, and the expiry of items whose time has passed. */

export const updateTimeToLive = (store: Store, input: Json): Json => {
  const table = store.table(input.TableName);
  const spec = rec(input.TimeToLiveSpecification) ?? {};
  const definition = definitionOf(table);
  definition.ttl = {
    AttributeName: String(spec.AttributeName),
    TimeToLiveStatus: spec.Enabled === true ? 'ENABLED' : 'DISABLED',
  };
  store.record({ kind: 'table', definition });
  return { TimeToLiveSpecification: { AttributeName: spec.AttributeName, Enabled: spec.Enabled === true } };
};

/**
 * Deletes the items of tables with TTL enabled whose TTL attribute, a
 * number of epoch seconds, lies in the past (but not more than five years,
 * which DynamoDB ignores), as the service does: a REMOVE stream record
 * whose userIdentity is the DynamoDB service. Runs before an operation at
 * most once a second, and when called; returns how many it deleted.
 */
export const expire = (store: Store, now: number): number => {
  const seconds = now / 1000;
  let deleted = 0;
  for (const table of store.tables.values()) {
    const attribute = table.ttl?.TimeToLiveStatus === 'ENABLED' ? table.ttl.AttributeName : undefined;
    if (attribute === undefined) continue;
    const expired: Item[] = [];
    for (const item of table.items.values()) {
      const value = item[attribute]?.N;
      const at = value === undefined ? Number.NaN : Number(value);
      if (at < seconds && at > seconds - TTL_IGNORED_AFTER_S) expired.push(item);
    }
    for (const item of expired) {
      store.sequence += 1n;
      store.record({
        kind: 'write',
        table: table.name,
        key: keyOf(table, item),
        sequence: store.sequence.toString(),
        at: now,
        expired: true,
      });
      deleted += 1;
    }
  }
  return deleted;
};
