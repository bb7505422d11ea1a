import { ValidationError } from './errors';
import { compareScalars, type Item, type Value } from './values';

/**
 * A table's items in key order: the table itself and each secondary index is
 * a map of partitions, each partition an array kept sorted by sort key (for
 * an index, then by the table's key, so that equal index keys keep a stable
 * order). Partitions are scanned in the order of their key's text, a stable
 * order that a scan can resume from even after the item it stopped at is gone.
 * Every operation runs to its end synchronously, so no iteration overlaps a write.
 */

export type KeyType = 'S' | 'N' | 'B';

export interface KeyAttribute {
  name: string;
  type: KeyType;
}

export interface KeySchema {
  hash: KeyAttribute;
  range?: KeyAttribute;
}

export interface Projection {
  type: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  nonKeyAttributes?: string[];
}

export interface IndexSpec {
  name: string;
  kind: 'GSI' | 'LSI';
  key: KeySchema;
  projection: Projection;
}

interface Entry {
  item: Item;
  /** The sort key value in this index, if it has one. */
  sort: Value | undefined;
  /** The item's table key as text: ties between equal index sort keys are broken by it. */
  id: string;
}

/** The text of a key value: its string, its number in normal form, or its base64. */
export const keyText = (value: Value): string => String(value.S ?? value.N ?? value.B);

const compareEntries = (a: Entry, b: Entry): number => {
  if (a.sort !== undefined && b.sort !== undefined) {
    const order = compareScalars(a.sort, b.sort) ?? 0;
    if (order !== 0) return order;
  }
  return a.id === b.id ? 0 : a.id < b.id ? -1 : 1;
};

const search = <T>(array: T[], compare: (element: T) => number): { found: boolean; at: number } => {
  let low = 0;
  let high = array.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const order = compare(array[middle] as T);
    if (order === 0) return { found: true, at: middle };
    if (order < 0) low = middle + 1;
    else high = middle;
  }
  return { found: false, at: low };
};

/** One ordering of a table's items: the table's own, or a secondary index's. */
export class SortedItems {
  private readonly partitions = new Map<string, Entry[]>();
  /** Partition keys in text order, for scans. */
  private readonly order: string[] = [];
  size = 0;

  constructor(readonly key: KeySchema) {}

  /** The entry for an item, or undefined when the item lacks this ordering's key (a sparse index). */
  private entry(item: Item, id: string): { partition: string; entry: Entry } | undefined {
    const hash = item[this.key.hash.name];
    if (!indexable(hash, this.key.hash)) return undefined;
    const sort = this.key.range ? item[this.key.range.name] : undefined;
    if (this.key.range && !indexable(sort, this.key.range)) return undefined;
    return { partition: keyText(hash), entry: { item, sort, id } };
  }

  add(item: Item, id: string): void {
    const located = this.entry(item, id);
    if (!located) return;
    let partition = this.partitions.get(located.partition);
    if (!partition) {
      partition = [];
      this.partitions.set(located.partition, partition);
      const { at } = search(this.order, (p) => (p < located.partition ? -1 : p > located.partition ? 1 : 0));
      this.order.splice(at, 0, located.partition);
    }
    const { found, at } = search(partition, (e) => compareEntries(e, located.entry));
    if (found) partition[at] = located.entry;
    else {
      partition.splice(at, 0, located.entry);
      this.size += 1;
    }
  }

  remove(item: Item, id: string): void {
    const located = this.entry(item, id);
    if (!located) return;
    const partition = this.partitions.get(located.partition);
    if (!partition) return;
    const { found, at } = search(partition, (e) => compareEntries(e, located.entry));
    if (!found) return;
    partition.splice(at, 1);
    this.size -= 1;
    if (partition.length === 0) {
      this.partitions.delete(located.partition);
      const position = search(this.order, (p) => (p < located.partition ? -1 : p > located.partition ? 1 : 0));
      if (position.found) this.order.splice(position.at, 1);
    }
  }

  /**
   * The items of one partition in sort order (or reversed), starting after
   * `after` (an item of this ordering) when given.
   */
  *partition(hash: Value, forward: boolean, after?: { item: Item; id: string }): Generator<Item> {
    const partition = this.partitions.get(keyText(hash));
    if (!partition) return;
    let at = forward ? 0 : partition.length - 1;
    if (after) {
      const located = this.entry(after.item, after.id);
      if (located) {
        const position = search(partition, (e) => compareEntries(e, located.entry));
        at = forward ? position.at + (position.found ? 1 : 0) : position.at - 1;
      }
    }
    for (; forward ? at < partition.length : at >= 0; at += forward ? 1 : -1) yield (partition[at] as Entry).item;
  }

  /** Every item, partition by partition, starting after `after` when given. */
  *all(after?: { item: Item; id: string }): Generator<Item> {
    let first = 0;
    if (after) {
      const located = this.entry(after.item, after.id);
      if (!located) throw new ValidationError('The provided starting key is invalid');
      const position = search(this.order, (p) => (p < located.partition ? -1 : p > located.partition ? 1 : 0));
      if (position.found) {
        yield* this.partition(after.item[this.key.hash.name] as Value, true, after);
        first = position.at + 1;
      } else first = position.at;
    }
    for (let at = first; at < this.order.length; at += 1) {
      for (const entry of this.partitions.get(this.order[at] as string) ?? []) yield entry.item;
    }
  }
}

/** Whether an item belongs in an ordering by this key: every key attribute indexable. */
export const inKey = (item: Item, key: KeySchema): boolean =>
  indexable(item[key.hash.name], key.hash) && (!key.range || indexable(item[key.range.name], key.range));

/**
 * Whether an item's attribute can be an index key: present and not empty.
 * An index added to a table with items (a backfill) leaves out the items
 * that fail this, as DynamoDB Local does; writes refuse them.
 */
export const indexable = (value: Value | undefined, _attribute: KeyAttribute): value is Value =>
  value !== undefined && value.S !== '' && value.B !== '';
