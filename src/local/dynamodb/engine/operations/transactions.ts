import { DatabaseError, invalid, ValidationError } from '../errors';
import { evaluate, project } from '../expressions';
import { checkItem, itemSize } from '../items';
import { idOf, keyOf, type Store } from '../storage';
import { arr, type Json, rec, type Table } from '../types';
import type { Item } from '../values';
import { addUnits, consumedCapacities, readUnits, type Units, writeUnits } from './capacity';
import { checkKey, checkKeys, conditionOf, placeholdersOf, projectionOf } from './checks';
import { onlyRemoves, updated, updateRequest } from './items';

const MAX_TRANSACTION_ITEMS = 100;
/** DynamoDB remembers a transaction's ClientRequestToken this long. */
const TOKEN_TTL_MS = 10 * 60 * 1000;

/**
 * TransactWriteItems: every request is checked first (those errors are the
 * whole call's), then every key and condition against the items as they
 * are; any failure cancels all of it, with a reason per item. The writes
 * go to the journal as one line, so a crash keeps all of them or none.
 * The store runs one call at a time, so no other write comes between.
 */
export const transactWrite = (store: Store, input: Json): Json => {
  const token = input.ClientRequestToken;
  if (token !== undefined && (typeof token !== 'string' || token.length > 36))
    throw invalid(
      `Value ${String(token)} at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36`,
    );
  const list = arr(input.TransactItems);
  if (!list) throw invalid("Value null at 'transactItems' failed to satisfy constraint: Member must not be null");
  if (list.length === 0)
    throw invalid(
      "Value [] at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  if (list.length > MAX_TRANSACTION_ITEMS) throw invalid('Member must have length less than or equal to 100');
  const request = JSON.stringify(list);
  const now = store.clock();
  for (const [seen, { at }] of store.tokens) if (at < now - TOKEN_TTL_MS) store.tokens.delete(seen);
  if (token) {
    const seen = store.tokens.get(token);
    if (seen && seen.request !== request) throw new DatabaseError('IdempotentParameterMismatchException', '');
    // The same request again: it was done, and is not done twice.
    if (seen) return {};
  }
  const plans = list.map((element, at) => transactPlan(store, rec(element) ?? {}, at));
  const items = new Set<string>();
  for (const plan of plans) {
    if (plan.id === undefined) continue;
    const id = `${plan.table.name}\u0001${plan.id}`;
    if (items.has(id)) throw invalid('Transaction request cannot include multiple operations on one item');
    items.add(id);
  }
  const outcomes = plans.map((plan) => plan.run());
  if (outcomes.some((o) => o.reason.Code !== 'None')) {
    const codes = outcomes.map((o) => String(o.reason.Code));
    throw new DatabaseError(
      'TransactionCanceledException',
      `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
      400,
      { CancellationReasons: outcomes.map((o) => o.reason) },
    );
  }
  const writes = outcomes.flatMap((o) => (o.write ? [o.write] : []));
  // DynamoDB Local counts a transactional write as four writes, and a condition check as two reads.
  const units = new Map<Table, Units>();
  for (const plan of plans) units.set(plan.table, addUnits(units.get(plan.table), { table: 0 }));
  for (const { table, id, item } of writes) {
    const { table: tableUnits } = writeUnits(table, table.items.get(id), item);
    units.set(table, addUnits(units.get(table), { table: 4 * tableUnits }));
  }
  if (writes.length > 0) {
    store.record({
      kind: 'transaction',
      writes: writes.map(({ table, id, item }) => {
        store.sequence += 1n;
        return {
          table: table.name,
          ...(item ? { item } : { key: keyOf(table, table.items.get(id) as Item) }),
          sequence: store.sequence.toString(),
        };
      }),
      at: now,
    });
  }
  if (token) store.tokens.set(token, { request, at: now });
  return consumedCapacities(
    input,
    [...units].map(([table, u]) => ({ table, units: u })),
    'WriteCapacityUnits',
  );
};

/**
 * One element of TransactWriteItems, checked as its own operation would be
 * checked; `run` then reads the item and gives the element's reason, and
 * the write it would make. A key DynamoDB refuses is that item's reason.
 */
export const transactPlan = (
  store: Store,
  element: Json,
  at: number,
): {
  table: Table;
  id: string | undefined;
  run: () => { reason: Json; write?: { table: Table; id: string; item: Item | undefined } };
} => {
  const kinds = ['ConditionCheck', 'Put', 'Delete', 'Update'].filter((k) => element[k] !== undefined);
  if (kinds.length > 1) throw invalid('TransactItems can only contain one of Check, Put, Update or Delete');
  const kind = kinds[0];
  if (kind === undefined)
    throw invalid('Invalid Request: TransactWriteRequest should contain Delete or Put or Update request');
  const request = rec(element[kind]) ?? {};
  const table = store.table(request.TableName);
  if (kind === 'ConditionCheck' && request.ConditionExpression === undefined)
    throw invalid(
      `Value null at 'transactItems.${at + 1}.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null`,
    );
  // DynamoDB Local gives these as the item's reason; every other error is the whole call's.
  let itemError: ValidationError | undefined;
  const asReason = (error: unknown, pattern: RegExp): void => {
    if (!(error instanceof ValidationError) || !pattern.test(error.message)) throw error;
    itemError ??= error;
  };
  let update: ReturnType<typeof updateRequest> | undefined;
  if (kind === 'Update') {
    try {
      update = updateRequest(table, request);
    } catch (error) {
      asReason(error, /This attribute is part of the key$/);
    }
  }
  const failed = itemError;
  if (failed)
    return { table, id: undefined, run: () => ({ reason: { Code: 'ValidationError', Message: failed.message } }) };
  const placeholders = update?.placeholders ?? placeholdersOf(request, [request.ConditionExpression]);
  const condition = update?.condition ?? conditionOf(request.ConditionExpression, 'ConditionExpression', placeholders);
  if (!update) placeholders.checkAllUsed();
  const item = kind === 'Put' ? checkItem(request.Item) : undefined;
  let key: Item | undefined;
  try {
    if (item) checkKeys(table, item);
    key = item ? keyOf(table, item) : checkKey(table, request.Key);
  } catch (error) {
    asReason(error, /Type mismatch for key$/);
  }
  const id = key && !itemError ? idOf(table, key) : undefined;
  const run = () => {
    if (itemError || !key || id === undefined)
      return { reason: { Code: 'ValidationError', Message: itemError?.message ?? 'The provided key is invalid' } };
    const current = table.items.get(id);
    if (condition && !evaluate(condition, current ?? {}, placeholders))
      return {
        reason: {
          Code: 'ConditionalCheckFailed',
          // DynamoDB Local ends this one with a full stop for a ConditionCheck only.
          Message: kind === 'ConditionCheck' ? 'The conditional request failed.' : 'The conditional request failed',
          ...(request.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && current ? { Item: current } : {}),
        },
      };
    if (kind === 'ConditionCheck' || (kind === 'Delete' && !current)) return { reason: { Code: 'None' } };
    if (kind === 'Delete') return { reason: { Code: 'None' }, write: { table, id, item: undefined } };
    // An update that cannot be applied to the item fails the whole call.
    const written = item ?? updated(table, update?.actions, current, key, placeholders);
    if (!item && !current && onlyRemoves(update?.actions)) return { reason: { Code: 'None' } };
    return { reason: { Code: 'None' }, write: { table, id, item: written } };
  };
  return { table, id, run };
};

/** TransactGetItems: up to 100 items, read together (the store runs one call at a time). */
export const transactGet = (store: Store, input: Json): Json => {
  const list = arr(input.TransactItems);
  const gets = (list ?? []).map((element) => rec(rec(element)?.Get));
  if (!list || list.length === 0 || gets.some((g) => g === undefined))
    throw invalid("Value null at 'transactItems' failed to satisfy constraint: Member must not be null");
  if (list.length > MAX_TRANSACTION_ITEMS) throw invalid('Member must have length less than or equal to 100');
  const reads = gets.map((get = {}) => {
    const table = store.table(get.TableName);
    const placeholders = placeholdersOf(get, [get.ProjectionExpression]);
    const projection = projectionOf(get.ProjectionExpression, placeholders);
    placeholders.checkAllUsed();
    let key: Item;
    try {
      key = checkKey(table, get.Key);
    } catch (error) {
      // DynamoDB Local cancels the whole read, with the key's message and no reasons.
      if (error instanceof ValidationError) throw new DatabaseError('TransactionCanceledException', error.message);
      throw error;
    }
    return { table, id: idOf(table, key), projection };
  });
  const items = new Set(reads.map((r) => `${r.table.name}\u0001${r.id}`));
  if (items.size !== reads.length) throw invalid('Transaction request cannot include multiple operations on one item');
  const units = new Map<Table, Units>();
  const responses = reads.map(({ table, id, projection }) => {
    const item = table.items.get(id);
    units.set(table, addUnits(units.get(table), { table: 2 * readUnits(item ? itemSize(item) : 0, true) }));
    return item ? { Item: projection ? project(item, projection) : item } : {};
  });
  return {
    Responses: responses,
    ...consumedCapacities(
      input,
      [...units].map(([table, u]) => ({ table, units: u })),
      'ReadCapacityUnits',
    ),
  };
};
