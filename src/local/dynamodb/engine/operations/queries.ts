import { createHash } from 'node:crypto';
import { invalid } from '../errors';
import { type Condition, evaluate, type Operand, type Path, type Placeholders, project } from '../expressions';
import { type IndexSpec, type KeySchema, keyText, type SortedItems } from '../indexes';
import { checkValue, itemSize } from '../items';
import { checkMixing, LegacyValues, legacyCondition, legacyProjection } from '../legacy';
import { idOf, keyOf, projected, type Store } from '../storage';
import { type Json, rec, type Table } from '../types';
import { compareScalars, equals, type Item, type Value } from '../values';
import { consumedCapacity, readUnits } from './capacity';
import { conditionOf, placeholdersOf, projectionOf } from './checks';

const PAGE_BYTES = 1024 * 1024;

/** Query and Scan: the key condition, the ordering read, paging, the filter and the projection. */

export const query = (store: Store, input: Json): Json => {
  const legacyParameters = ['AttributesToGet', 'QueryFilter', 'ConditionalOperator'];
  const expressionParameters = ['ProjectionExpression', 'KeyConditionExpression', 'FilterExpression'];
  // DynamoDB lets the legacy KeyConditions go with FilterExpression and ProjectionExpression.
  checkMixing(
    input,
    input.KeyConditionExpression === undefined
      ? legacyParameters
      : ['AttributesToGet', 'KeyConditions', ...legacyParameters.slice(1)],
    expressionParameters,
  );
  const table = store.table(input.TableName);
  const { index, sorted, key } = ordering(table, input);
  let placeholders = placeholdersOf(input, [
    input.KeyConditionExpression,
    input.FilterExpression,
    input.ProjectionExpression,
  ]);
  if (input.KeyConditionExpression === undefined && input.KeyConditions === undefined)
    throw invalid('Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.');
  let keyCondition: Condition;
  let keyPlaceholders: Placeholders;
  let filter: Condition | undefined;
  let projection: Path[] | undefined;
  const legacy = new LegacyValues();
  if (!expressionParameters.some((p) => input[p] !== undefined)) {
    placeholders.checkAllUsed();
    keyCondition = legacyKeyConditions(input.KeyConditions, key, legacy);
    const keyNames = [key.hash.name, key.range?.name, table.key.hash.name, table.key.range?.name];
    const onKey = Object.keys(rec(input.QueryFilter) ?? {}).find((name) => keyNames.includes(name));
    if (onKey)
      throw invalid(`QueryFilter can only contain non-primary key attributes: Primary key attribute: ${onKey}`);
    filter = legacyCondition(input.QueryFilter, input.ConditionalOperator, 'QueryFilter', legacy);
    projection = legacyProjection(input.AttributesToGet);
    placeholders = legacy;
    keyPlaceholders = legacy;
  } else {
    if (input.KeyConditions !== undefined) {
      keyCondition = legacyKeyConditions(input.KeyConditions, key, legacy);
      keyPlaceholders = legacy;
    } else {
      keyCondition = conditionOf(input.KeyConditionExpression, 'KeyConditionExpression', placeholders) as Condition;
      keyPlaceholders = placeholders;
    }
    filter = conditionOf(input.FilterExpression, 'FilterExpression', placeholders);
    projection = projectionOf(input.ProjectionExpression, placeholders);
    placeholders.checkAllUsed();
    const keyNames = [key.hash.name, key.range?.name];
    const onKey = filter ? attributesOf(filter).find((name) => keyNames.includes(name)) : undefined;
    if (onKey)
      throw invalid(`Filter Expression can only contain non-primary key attributes: Primary key attribute: ${onKey}`);
  }
  const { hash, range } = keyConditions(keyCondition, key, keyPlaceholders);
  const forward = input.ScanIndexForward !== false;
  const start = startKey(table, index, input.ExclusiveStartKey);
  if (start && !equals(start.item[key.hash.name] as Value, hash))
    throw invalid('The provided starting key does not match the range key predicate');
  const rangeMatches = range ? (item: Item) => evaluate(range, item, keyPlaceholders) : undefined;
  return page(
    table,
    index,
    sorted.partition(hash, forward, start),
    input,
    filter,
    projection,
    placeholders,
    rangeMatches,
    forward && range ? rangeEnd(range, key, keyPlaceholders) : undefined,
  );
};

export const scan = (store: Store, input: Json): Json => {
  const legacyParameters = ['AttributesToGet', 'ScanFilter', 'ConditionalOperator'];
  checkMixing(input, legacyParameters, ['ProjectionExpression', 'FilterExpression']);
  const table = store.table(input.TableName);
  const { index, sorted } = ordering(table, input);
  let placeholders = placeholdersOf(input, [input.FilterExpression, input.ProjectionExpression]);
  let filter: Condition | undefined;
  let projection: Path[] | undefined;
  if (legacyParameters.some((p) => input[p] !== undefined)) {
    placeholders.checkAllUsed();
    const legacy = new LegacyValues();
    filter = legacyCondition(input.ScanFilter, input.ConditionalOperator, 'ScanFilter', legacy);
    projection = legacyProjection(input.AttributesToGet);
    placeholders = legacy;
  } else {
    filter = conditionOf(input.FilterExpression, 'FilterExpression', placeholders);
    projection = projectionOf(input.ProjectionExpression, placeholders);
    placeholders.checkAllUsed();
  }
  const start = startKey(table, index, input.ExclusiveStartKey);
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
    const startHash = start?.item[hashName];
    if (startHash && segmentOf(startHash, total) !== segment)
      throw invalid('Exclusive start key must lie within the segment');
    items = filterSegment(items, hashName, segment, total);
  }
  return page(table, index, items, input, filter, projection, placeholders, undefined, undefined);
};

/** The table or the index a Query or Scan reads, with its key schema. */
export const ordering = (
  table: Table,
  input: Json,
): { index: IndexSpec | undefined; sorted: SortedItems; key: KeySchema } => {
  if (input.IndexName === undefined) return { index: undefined, sorted: table.primary, key: table.key };
  const index = table.indexes.find((i) => i.name === input.IndexName);
  if (!index) throw invalid(`The table does not have the specified index: ${String(input.IndexName)}`);
  if (index.kind === 'GSI' && input.ConsistentRead === true)
    throw invalid('Consistent read cannot be true when querying a GSI');
  return { index, sorted: table.secondary.get(index.name) as SortedItems, key: index.key };
};

/** ExclusiveStartKey: the table's key, plus the index's key when reading an index. */
export const startKey = (
  table: Table,
  index: IndexSpec | undefined,
  input: unknown,
): { item: Item; id: string } | undefined => {
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
  return { item, id: idOf(table, item) };
};

/** One page of a Query or Scan: Limit and the 1 MB page, then the filter, then the projection. */
export const page = (
  table: Table,
  index: IndexSpec | undefined,
  source: Iterable<Item>,
  input: Json,
  filter: Condition | undefined,
  projection: Path[] | undefined,
  placeholders: Placeholders,
  inRange: ((item: Item) => boolean) | undefined,
  pastRange: ((item: Item) => boolean) | undefined,
): Json => {
  const limit = input.Limit;
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1))
    throw invalid('Limit must be greater than or equal to 1');
  if (
    input.Select !== undefined &&
    !['ALL_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES', 'COUNT', 'SPECIFIC_ATTRIBUTES'].includes(String(input.Select))
  )
    throw invalid('Select must be ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES, COUNT, or SPECIFIC_ATTRIBUTES');
  if (input.Select === 'ALL_PROJECTED_ATTRIBUTES' && !index)
    throw invalid('ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName');
  const select = input.Select ?? (projection ? 'SPECIFIC_ATTRIBUTES' : 'ALL_ATTRIBUTES');
  if (input.Select === 'ALL_ATTRIBUTES' && index?.kind === 'GSI' && index.projection.type !== 'ALL')
    throw invalid(
      `One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index ${index.name} because its projection type is not ALL`,
    );
  if (select === 'SPECIFIC_ATTRIBUTES' && !projection)
    throw invalid('Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES');
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
    readBytes += index ? itemSize(projected(table, index, item)) : itemSize(item);
    last = item;
    if (filter && !evaluate(filter, item, placeholders)) continue;
    // An LSI fetches what it does not project from the table when asked for all attributes or for them by name.
    const visible =
      index && !(index.kind === 'LSI' && (input.Select === 'ALL_ATTRIBUTES' || projection))
        ? projected(table, index, item)
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
    consumedCapacity(input, table, index ? { table: 0, indexes: [[index, units]] } : { table: units }),
  );
  result.Count = items.length;
  result.ScannedCount = scanned;
  if (more && last) {
    const key = keyOf(table, last);
    if (index) {
      key[index.key.hash.name] = last[index.key.hash.name] as Value;
      if (index.key.range) key[index.key.range.name] = last[index.key.range.name] as Value;
    }
    result.LastEvaluatedKey = key;
  }
  return result;
};

const segmentOf = (hash: Value, total: number): number =>
  createHash('md5').update(keyText(hash)).digest().readUInt32BE(0) % total;

function* filterSegment(items: Iterable<Item>, hashName: string, segment: number, total: number): Generator<Item> {
  for (const item of items) if (segmentOf(item[hashName] as Value, total) === segment) yield item;
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
      if (p && p.length > 1) throw invalid('KeyConditionExpressions cannot have conditions on nested attributes');
      if (p?.length !== 1 || !first || !('name' in first)) throw unsupported();
      return first.name;
    };
    switch (c.kind) {
      case 'compare':
        if (c.left.kind === 'size' || c.right.kind === 'size')
          throw invalid('KeyConditionExpressions cannot contain nested operations');
        if (c.op === '<>') throw invalid('Invalid operator used in KeyConditionExpression: <>');
        if (c.left.kind === 'path' && c.right.kind === 'value') return path(c.left);
        throw unsupported();
      case 'between':
        if (c.low.kind !== 'value' || c.high.kind !== 'value') throw unsupported();
        return path(c.operand);
      case 'begins_with':
        if (c.prefix.kind !== 'value') throw unsupported();
        return path(c.subject);
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
    } else if (key.range && name === key.range.name && range === undefined) {
      range = part;
      const operands =
        part.kind === 'compare'
          ? [part.right]
          : part.kind === 'between'
            ? [part.low, part.high]
            : part.kind === 'begins_with'
              ? [part.prefix]
              : [];
      const rangeType = key.range.type;
      if (operands.some((o) => o.kind === 'value' && placeholders.value(o.placeholder)[rangeType] === undefined))
        throw invalid('One or more parameter values were invalid: Condition parameter type does not match schema type');
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
    if (o.kind === 'path') path(o.path);
    else if (o.kind === 'size') operand(o.subject);
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
      case 'exists':
      case 'not_exists':
        path(c.path);
        return;
      default:
        operand(c.subject);
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
