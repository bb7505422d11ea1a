import { type IndexSpec, inKey } from '../indexes';
import { itemSize } from '../items';
import { projected, sameItem } from '../storage';
import type { Json, Table } from '../types';
import { equals, type Item, type Value } from '../values';

/** ConsumedCapacity, as ReturnConsumedCapacity asks for it and DynamoDB Local counts it. */

/** Capacity units: the table's, and each index's. */
export interface Units {
  table: number;
  indexes?: Array<[IndexSpec, number]>;
}

export const addUnits = (a: Units | undefined, b: Units): Units => ({
  table: (a?.table ?? 0) + b.table,
  indexes: [...(a?.indexes ?? []), ...(b.indexes ?? [])],
});

const writeUnitsOf = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));

/** One read unit per 4 KB (at least one), half of it for an eventually consistent read. */
export const readUnits = (bytes: number, consistent: unknown): number =>
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

/** ConsumedCapacity for one table, as ReturnConsumedCapacity asks: TOTAL, or INDEXES with the parts. */
export const consumedCapacity = (input: Json, table: Table, units: Units, extra?: string): Json => {
  const mode = input.ReturnConsumedCapacity;
  if (mode !== 'TOTAL' && mode !== 'INDEXES') return {};
  return { ConsumedCapacity: capacityOf(mode, table.name, units, extra) };
};

/** The same for operations on several tables: a list, one per table. */
export const consumedCapacities = (
  input: Json,
  perTable: Array<{ table: Table; units: Units }>,
  extra?: string,
): Json => {
  const mode = input.ReturnConsumedCapacity;
  if (mode !== 'TOTAL' && mode !== 'INDEXES') return {};
  return { ConsumedCapacity: perTable.map(({ table, units }) => capacityOf(mode, table.name, units, extra)) };
};

/**
 * A write's units: one per KB of the larger of the old and new item, and
 * for each index the item is in, one per KB of what it projects (twice
 * when the index key changes); an index whose view is unchanged costs none.
 */
export const writeUnits = (table: Table, old: Item | undefined, item: Item | undefined): Units => {
  const size = Math.max(old ? itemSize(old) : 0, item ? itemSize(item) : 0);
  const indexes: Array<[IndexSpec, number]> = [];
  for (const index of table.indexes) {
    const view = (value: Item | undefined) =>
      value && inKey(value, index.key) ? projected(table, index, value) : undefined;
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
};
