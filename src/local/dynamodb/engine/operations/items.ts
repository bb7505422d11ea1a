import { invalid, ValidationError } from '../errors';
import {
  applyUpdate,
  type Condition,
  type Placeholders,
  parseUpdate,
  project,
  type UpdateActions,
} from '../expressions';
import { MISMATCH } from '../expressions/update';
import { checkItem, freezeItem, itemSize, NESTING_MESSAGE } from '../items';
import { checkMixing, LegacyValues, legacyCondition, legacyProjection, legacyUpdate } from '../legacy';
import { idOf, type Store } from '../storage';
import { arr, type Json, rec, type Table } from '../types';
import { equals, type Item } from '../values';
import { addUnits, consumedCapacities, consumedCapacity, readUnits, type Units, writeUnits } from './capacity';
import { checkCondition, checkKey, checkKeys, conditionOf, placeholdersOf, projectionOf } from './checks';

/** The single-item and batch operations: PutItem, GetItem, UpdateItem, DeleteItem, BatchGetItem, BatchWriteItem. */

/** What PutItem and DeleteItem check first: the table, ReturnValues (NONE or ALL_OLD) and the condition. */
/** DynamoDB checks the request's shape before anything else. */
const checkReturnOnFailure = (input: Json): void => {
  const value = input.ReturnValuesOnConditionCheckFailure;
  if (value !== undefined && value !== 'ALL_OLD' && value !== 'NONE')
    throw invalid(
      `1 validation error detected: Value '${String(value)}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]`,
    );
};

export const singleWrite = (store: Store, input: Json) => {
  checkReturnOnFailure(input);
  checkMixing(input, ['Expected', 'ConditionalOperator'], ['ConditionExpression']);
  const table = store.table(input.TableName);
  const returnValues = input.ReturnValues ?? 'NONE';
  if (returnValues !== 'NONE' && returnValues !== 'ALL_OLD') throw invalid('Return values set to invalid value');
  const placeholders = placeholdersOf(input, [input.ConditionExpression]);
  const condition = conditionOf(input.ConditionExpression, 'ConditionExpression', placeholders);
  placeholders.checkAllUsed();
  if (input.Expected !== undefined || input.ConditionalOperator !== undefined) {
    const legacy = new LegacyValues();
    const expected = legacyCondition(input.Expected, input.ConditionalOperator, 'Expected', legacy);
    return { table, returnValues, placeholders: legacy, condition: expected };
  }
  return { table, returnValues, placeholders, condition };
};

export const putItem = (store: Store, input: Json): Json => {
  const { table, returnValues, placeholders, condition } = singleWrite(store, input);
  const item = checkItem(input.Item);
  checkKeys(table, item);
  const id = idOf(table, item);
  const current = table.items.get(id);
  checkCondition(condition, current, placeholders, input.ReturnValuesOnConditionCheckFailure);
  store.write(table, id, item);
  return {
    ...(returnValues === 'ALL_OLD' && current ? { Attributes: current } : {}),
    ...consumedCapacity(input, table, writeUnits(table, current, item)),
  };
};

export const updateItem = (store: Store, input: Json): Json => {
  checkReturnOnFailure(input);
  const table = store.table(input.TableName);
  const returnValues = input.ReturnValues ?? 'NONE';
  if (!['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW'].includes(String(returnValues)))
    throw invalid('Return values set to invalid value');
  const { placeholders, actions, condition } = updateRequest(table, input);
  const key = checkKey(table, input.Key);
  const id = idOf(table, key);
  const current = table.items.get(id);
  checkCondition(condition, current, placeholders, input.ReturnValuesOnConditionCheckFailure);
  const item = updated(table, actions, current, key, placeholders);
  if (!current && onlyRemoves(actions)) return consumedCapacity(input, table, writeUnits(table, current, undefined));
  store.write(table, id, item);
  return {
    ...updateResult(returnValues, actions, current, item),
    ...consumedCapacity(input, table, writeUnits(table, current, item)),
  };
};

/** An UpdateItem's expressions, parsed and checked, with what DynamoDB checks before reading the item. */
export const updateRequest = (table: Table, input: Json) => {
  checkMixing(
    input,
    ['AttributeUpdates', 'Expected', 'ConditionalOperator'],
    ['UpdateExpression', 'ConditionExpression'],
  );
  let placeholders = placeholdersOf(input, [input.UpdateExpression, input.ConditionExpression]);
  let actions: UpdateActions | undefined;
  let condition: Condition | undefined;
  if (['AttributeUpdates', 'Expected', 'ConditionalOperator'].some((p) => input[p] !== undefined)) {
    const legacy = new LegacyValues();
    actions = input.AttributeUpdates === undefined ? undefined : legacyUpdate(input.AttributeUpdates, legacy);
    condition = legacyCondition(input.Expected, input.ConditionalOperator, 'Expected', legacy);
    placeholders = legacy;
  } else {
    if (input.UpdateExpression !== undefined) {
      if (typeof input.UpdateExpression !== 'string' || input.UpdateExpression.trim() === '')
        throw invalid('Invalid UpdateExpression: The expression can not be empty;');
      actions = parseUpdate(input.UpdateExpression, placeholders);
    }
    condition = conditionOf(input.ConditionExpression, 'ConditionExpression', placeholders);
    placeholders.checkAllUsed();
  }
  if (actions) {
    const keyNames = new Set([table.key.hash.name, table.key.range?.name]);
    for (const path of [
      ...actions.set.map((a) => a.path),
      ...actions.remove,
      ...actions.add.map((a) => a.path),
      ...actions.delete.map((a) => a.path),
    ]) {
      const first = path[0];
      if (first && 'name' in first && keyNames.has(first.name))
        throw invalid(
          `One or more parameter values were invalid: Cannot update attribute ${first.name}. This attribute is part of the key`,
        );
    }
  }
  return { placeholders, actions, condition };
};

/**
 * Whether an update only takes attributes away (REMOVE, DELETE): on an item
 * that does not exist, DynamoDB then creates no item, where any other update,
 * even an empty one, creates the key-only item. DynamoDB Local creates it.
 */
export const onlyRemoves = (actions: UpdateActions | undefined): boolean =>
  actions !== undefined &&
  actions.set.length === 0 &&
  actions.add.length === 0 &&
  actions.remove.length + actions.delete.length > 0;

/** The item an update leaves, checked as a put's item is. */
export const updated = (
  table: Table,
  actions: UpdateActions | undefined,
  current: Item | undefined,
  key: Item,
  placeholders: Placeholders,
): Item => {
  let updated: Item;
  try {
    updated = actions
      ? applyUpdate(actions, current ?? key, placeholders, current === undefined)
      : { ...(current ?? key) };
  } catch (error) {
    // AttributeUpdates' ADD and DELETE word a type mismatch with the item their own way.
    if (placeholders instanceof LegacyValues && error instanceof ValidationError && error.message === MISMATCH)
      throw invalid('Type mismatch for attribute to update');
    throw error;
  }
  const item = freezeItem(checkUpdated(updated));
  checkKeys(table, item);
  return item;
};

export const deleteItem = (store: Store, input: Json): Json => {
  const { table, returnValues, placeholders, condition } = singleWrite(store, input);
  const key = checkKey(table, input.Key);
  const id = idOf(table, key);
  const current = table.items.get(id);
  checkCondition(condition, current, placeholders, input.ReturnValuesOnConditionCheckFailure);
  if (current) store.write(table, id, undefined);
  return {
    ...(returnValues === 'ALL_OLD' && current ? { Attributes: current } : {}),
    ...consumedCapacity(input, table, writeUnits(table, current, undefined)),
  };
};

export const getItem = (store: Store, input: Json): Json => {
  checkMixing(input, ['AttributesToGet'], ['ProjectionExpression']);
  const table = store.table(input.TableName);
  const placeholders = placeholdersOf(input, [input.ProjectionExpression]);
  const projection = projectionOf(input.ProjectionExpression, placeholders) ?? legacyProjection(input.AttributesToGet);
  placeholders.checkAllUsed();
  const key = checkKey(table, input.Key);
  const item = table.items.get(idOf(table, key));
  const capacity = consumedCapacity(input, table, {
    table: readUnits(item ? itemSize(item) : 0, input.ConsistentRead),
  });
  if (!item) return capacity;
  return { Item: projection ? project(item, projection) : item, ...capacity };
};

export const batchGet = (store: Store, input: Json): Json => {
  const requests = rec(input.RequestItems) ?? {};
  if (Object.keys(requests).length === 0) throw invalid('BatchGetItem must have some requests set');
  const total = Object.values(requests).reduce<number>((sum, r) => sum + (arr(rec(r)?.Keys)?.length ?? 0), 0);
  if (total > 100) throw invalid('Too many items requested for the BatchGetItem call');
  const responses: Record<string, Item[]> = {};
  const batchUnits: Array<{ table: Table; units: Units }> = [];
  for (const [name, request] of Object.entries(requests)) {
    const spec = rec(request) ?? {};
    checkMixing(spec, ['AttributesToGet'], ['ProjectionExpression']);
    const table = store.table(name);
    const placeholders = placeholdersOf(spec, [spec.ProjectionExpression]);
    const projection = projectionOf(spec.ProjectionExpression, placeholders) ?? legacyProjection(spec.AttributesToGet);
    placeholders.checkAllUsed();
    const keys = (arr(spec.Keys) ?? []).map((k) => checkKey(table, k));
    const ids = keys.map((k) => idOf(table, k));
    if (new Set(ids).size !== ids.length) throw invalid('Provided list of item keys contains duplicates');
    let units = 0;
    responses[name] = ids.flatMap((id) => {
      const item = table.items.get(id);
      units += readUnits(item ? itemSize(item) : 0, spec.ConsistentRead);
      return item ? [projection ? project(item, projection) : item] : [];
    });
    batchUnits.push({ table, units: { table: units } });
  }
  return { Responses: responses, UnprocessedKeys: {}, ...consumedCapacities(input, batchUnits) };
};

export const batchWrite = (store: Store, input: Json): Json => {
  const requests = rec(input.RequestItems) ?? {};
  const all = Object.entries(requests).flatMap(([name, list]) =>
    (arr(list) ?? []).map((r) => [name, rec(r) ?? {}] as const),
  );
  if (all.length > 25) throw invalid('Too many items requested for the BatchWriteItem call');
  // Every request is checked before any is applied.
  const writes = all.map(([name, request]) => {
    const table = store.table(name);
    const put = rec(request.PutRequest);
    const del = rec(request.DeleteRequest);
    if (put) {
      const item = checkItem(put.Item);
      checkKeys(table, item);
      return { table, id: idOf(table, item), item };
    }
    if (del) {
      const key = checkKey(table, del.Key);
      return { table, id: idOf(table, key), item: undefined };
    }
    throw invalid(
      'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes',
    );
  });
  const seen = new Set(writes.map((w) => `${w.table.name}\u0001${w.id}`));
  if (seen.size !== writes.length) throw invalid('Provided list of item keys contains duplicates');
  const units = new Map<Table, Units>();
  for (const { table, id, item } of writes) {
    const current = table.items.get(id);
    units.set(table, addUnits(units.get(table), writeUnits(table, current, item)));
    if (item || current) store.write(table, id, item);
  }
  return {
    UnprocessedItems: {},
    ...consumedCapacities(
      input,
      [...units].map(([table, u]) => ({ table, units: u })),
    ),
  };
};

/** What UpdateItem answers for its ReturnValues. */
const updateResult = (
  returnValues: unknown,
  actions: UpdateActions | undefined,
  current: Item | undefined,
  item: Item,
): Json => {
  switch (returnValues) {
    case 'ALL_OLD':
      return current ? { Attributes: current } : {};
    case 'ALL_NEW':
      return { Attributes: item };
    case 'UPDATED_OLD':
    case 'UPDATED_NEW': {
      const source = returnValues === 'UPDATED_OLD' ? current : item;
      if (!source || !actions) return {};
      const paths = [
        ...actions.set.map((a) => a.path),
        ...actions.add.map((a) => a.path),
        ...actions.delete.map((a) => a.path),
        // A REMOVE that changed nothing (an index past the end of a list) updated nothing.
        ...actions.remove.filter((p) => {
          const first = p[0];
          if (!first || !('name' in first)) return true;
          const before = current?.[first.name];
          const after = item[first.name];
          return !(before && after && equals(before, after));
        }),
      ];
      const attributes = project(
        source,
        paths.map((p) => p.slice(0, 1)),
      );
      return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
    }
    default:
      return {};
  }
};

/** An update's result: DynamoDB words the nesting limit shorter here. */
const checkUpdated = (updated: Item): Item => {
  try {
    return checkItem(updated);
  } catch (error) {
    if (error instanceof ValidationError && error.message === NESTING_MESSAGE)
      throw invalid('Nesting Levels have exceeded supported limits');
    throw error;
  }
};
