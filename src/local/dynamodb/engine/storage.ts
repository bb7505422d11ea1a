import { createHash } from 'node:crypto';
import { invalid, notFound } from './errors';
import { type IndexSpec, keyText, SortedItems } from './indexes';
import { checkItem, itemSize } from './items';
import type { Journal, JournalEntry } from './journal';
import { ARN_PREFIX, type Stream, type StreamRecord, TABLE_NAME, type Table, type TableDefinition } from './types';
import { equals, type Item, type Value } from './values';

/**
 * The storage under the operations: the tables with their items in each
 * ordering (`indexes.ts`), their stream records, and the journal. Every
 * change is a journal entry, journaled and then applied (`record`); replay
 * applies the same entries, so a crash keeps every acknowledged write.
 */

const STREAM_RETENTION_MS = 24 * 60 * 60 * 1000;

export class Store {
  readonly tables = new Map<string, Table>();
  sequence = 0n;
  private replaying = false;
  /** ClientRequestTokens of the transactions written in the last ten minutes, with their requests. */
  readonly tokens = new Map<string, { request: string; at: number }>();

  constructor(
    private readonly journal: Journal | undefined,
    /** The store's time, in milliseconds: injectable so that tests can move it. */
    readonly clock: () => number,
  ) {
    if (!journal) return;
    this.replaying = true;
    try {
      journal.replay((entry) => this.apply(entry));
    } finally {
      this.replaying = false;
    }
    journal.compact(this.snapshot());
  }

  table(name: unknown): Table {
    if (typeof name !== 'string' || !TABLE_NAME.test(name))
      throw invalid(
        "Invalid table/index name.  Table/index names must be between 3 and 255 characters long, and may contain only the characters a-z, A-Z, 0-9, '_', '-', and '.'",
      );
    const table = this.tables.get(name);
    if (!table) throw notFound('Cannot do operations on a non-existent table');
    return table;
  }

  /** A write (undefined deletes), journaled before it is applied and acknowledged. */
  write(table: Table, id: string, item: Item | undefined): void {
    this.sequence += 1n;
    this.record({
      kind: 'write',
      table: table.name,
      ...(item ? { item } : { key: keyOf(table, table.items.get(id) as Item) }),
      sequence: this.sequence.toString(),
      at: this.clock(),
    });
  }

  /** Journals an entry, then applies it: the one path every change takes, live or replayed. */
  record(entry: JournalEntry): void {
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
          const id = idOf(table, item);
          table.items.set(id, item);
          table.primary.add(item, id);
          for (const index of table.secondary.values()) index.add(item, id);
          table.bytes += itemSize(item);
        }
        return;
      }
    }
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
    const id = idOf(table, item ?? checkItem(write.key));
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
      yield { kind: 'table', definition: definitionOf(table) };
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
        Keys: keyOf(table, (item ?? old) as Item),
        ...(item && (viewType === 'NEW_IMAGE' || viewType === 'NEW_AND_OLD_IMAGES') ? { NewImage: item } : {}),
        ...(old && (viewType === 'OLD_IMAGE' || viewType === 'NEW_AND_OLD_IMAGES') ? { OldImage: old } : {}),
        SequenceNumber: sequence.toString().padStart(21, '0'),
        SizeBytes:
          (item ? itemSize(item) : 0) + (old ? itemSize(old) : 0) + itemSize(keyOf(table, (item ?? old) as Item)),
        StreamViewType: viewType,
      },
    };
    stream.records.push({ sequence, at, record });
    if ((stream.records[0]?.at ?? at) < at - STREAM_RETENTION_MS) this.trim(stream);
  }

  trim(stream: Stream): void {
    const horizon = this.clock() - STREAM_RETENTION_MS;
    const first = stream.records.findIndex((r) => r.at >= horizon);
    if (first > 0) stream.records.splice(0, first);
    else if (first === -1) stream.records.length = 0;
  }
}

export const idOf = (table: Table, item: Item): string => {
  const hash = keyText(item[table.key.hash.name] as Value);
  return table.key.range ? `${hash}\u0000${keyText(item[table.key.range.name] as Value)}` : hash;
};

export const keyOf = (table: Table, item: Item): Item => {
  const key: Item = { [table.key.hash.name]: item[table.key.hash.name] as Value };
  if (table.key.range) key[table.key.range.name] = item[table.key.range.name] as Value;
  return key;
};

export const definitionOf = (table: Table): TableDefinition => {
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
};

/** An item as an index holds it: all of it, its keys, or its keys and the included attributes. */
export const projected = (table: Table, index: IndexSpec, item: Item): Item => {
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
};

/** Two stored items with the same attributes and values. */
export const sameItem = (a: Item, b: Item): boolean => {
  const names = Object.keys(a);
  return (
    names.length === Object.keys(b).length &&
    names.every((n) => b[n] !== undefined && equals(a[n] as Value, b[n] as Value))
  );
};
