import { DatabaseError, invalid, ValidationError } from '../errors';
import {
  type Condition,
  evaluate,
  type Path,
  Placeholders,
  parseCondition,
  parseProjection,
  validateCondition,
} from '../expressions';
import { checkName, checkValue, itemSize, MAX_ITEM_BYTES, MAX_NESTING } from '../items';
import { type Json, rec, type Table } from '../types';
import type { Item, Value } from '../values';

/** The request checks that several operations share, with DynamoDB's messages. */

/** A Key parameter: exactly the table's key attributes, of their types, not empty. */
export const checkKey = (table: Table, input: unknown): Item => {
  const given = rec(input);
  if (!given)
    throw invalid(
      "1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null",
    );
  const expected = table.key.range ? 2 : 1;
  if (Object.keys(given).length !== expected) throw invalid('The number of conditions on the keys is invalid');
  const key: Item = {};
  for (const attribute of [table.key.hash, table.key.range]) {
    if (!attribute) continue;
    const raw = given[attribute.name];
    if (raw === undefined) throw invalid('One of the required keys was not given a value');
    const value = checkValue(raw);
    if (value[attribute.type] === undefined)
      throw invalid('One or more parameter values were invalid: Type mismatch for key');
    if (value.S === '' || value.B === '')
      throw invalid(
        `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${attribute.name}`,
      );
    key[attribute.name] = value;
  }
  return key;
};

/** The checks on an item's key and index-key attributes that PutItem and UpdateItem make. */
export const checkKeys = (table: Table, item: Item): void => {
  for (const attribute of [table.key.hash, table.key.range]) {
    if (!attribute) continue;
    const value = item[attribute.name];
    if (value === undefined) throw invalid('One of the required keys was not given a value');
    if (value[attribute.type] === undefined)
      throw invalid('One or more parameter values were invalid: Type mismatch for key');
    if (value.S === '' || value.B === '')
      throw invalid(
        `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${attribute.name}`,
      );
  }
  for (const index of table.indexes) {
    for (const attribute of [index.key.hash, index.key.range]) {
      const value = attribute ? item[attribute.name] : undefined;
      if (!attribute || value === undefined) continue;
      if (value[attribute.type] === undefined) {
        throw invalid('One or more parameter values were invalid: Type mismatch for Index Key');
      }
      if (value.S === '' || value.B === '')
        throw invalid(
          `One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: ${index.name}, IndexKey: ${attribute.name}`,
        );
    }
  }
  if (itemSize(item) > MAX_ITEM_BYTES) throw invalid('Item size has exceeded the maximum allowed size');
};

/**
 * The request's placeholders, checked and normalized, and a checker that
 * refuses placeholders without expressions and unused ones.
 */
export const placeholdersOf = (input: Json, expressions: unknown[]): Placeholders => {
  const names = rec(input.ExpressionAttributeNames);
  const values = rec(input.ExpressionAttributeValues);
  const anyExpression = expressions.some((e) => e !== undefined);
  if (names && !anyExpression) throw invalid('ExpressionAttributeNames can only be specified when using expressions');
  if (values && !anyExpression) throw invalid('ExpressionAttributeValues can only be specified when using expressions');
  if (names && Object.keys(names).length === 0) throw invalid('ExpressionAttributeNames must not be empty');
  if (values && Object.keys(values).length === 0) throw invalid('ExpressionAttributeValues must not be empty');
  const checked: Record<string, Value> = {};
  for (const [placeholder, value] of Object.entries(values ?? {})) {
    try {
      // A value is checked as an attribute of its own, one level shallower than an item's.
      checked[placeholder] = checkValue(value, false, MAX_NESTING + 1);
    } catch (error) {
      if (error instanceof ValidationError)
        throw invalid(`ExpressionAttributeValues contains invalid value: ${error.message} for key ${placeholder}`);
      throw error;
    }
  }
  for (const [placeholder, name] of Object.entries(names ?? {})) {
    try {
      checkName(String(name));
    } catch (error) {
      if (error instanceof ValidationError)
        throw invalid(`ExpressionAttributeNames contains invalid value: ${error.message} for key ${placeholder}`);
      throw error;
    }
  }
  return new Placeholders((names ?? {}) as Record<string, string>, checked);
};

export const conditionOf = (source: unknown, kind: string, placeholders: Placeholders): Condition | undefined => {
  if (source === undefined) return undefined;
  if (typeof source !== 'string' || source.trim() === '')
    throw invalid(`Invalid ${kind}: The expression can not be empty;`);
  const condition = parseCondition(source, kind, placeholders);
  validateCondition(condition, kind, placeholders);
  return condition;
};

export const projectionOf = (source: unknown, placeholders: Placeholders): Path[] | undefined => {
  if (source === undefined) return undefined;
  if (typeof source !== 'string' || source.trim() === '')
    throw invalid('Invalid ProjectionExpression: The expression can not be empty;');
  return parseProjection(source, placeholders);
};

export const checkCondition = (
  condition: Condition | undefined,
  current: Item | undefined,
  placeholders: Placeholders,
  returnOld: unknown,
): void => {
  if (!condition || evaluate(condition, current ?? {}, placeholders)) return;
  throw new DatabaseError(
    'ConditionalCheckFailedException',
    'The conditional request failed',
    400,
    returnOld === 'ALL_OLD' && current ? { Item: current } : undefined,
  );
};
