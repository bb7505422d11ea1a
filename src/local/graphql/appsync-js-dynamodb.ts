import { marshall } from '@aws-sdk/util-dynamodb';

/**
 * `@aws-appsync/utils/dynamodb`, the APPSYNC_JS built-in module (AppSync's
 * "Built-in modules" page), and the filter and condition transforms of
 * `util.transform`: pure functions that build the request objects the
 * DynamoDB data source runs (`GetItem`, `PutItem`, `UpdateItem`, `DeleteItem`,
 * `Query`, `Scan`, `Sync`), with attribute values in DynamoDB's typed form.
 */

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A resolver's mistake, as AppSync reports it: the request fails with this message. */
export class ModuleInputError extends Error {
  override readonly name = 'ModuleInputError';
}

/** A value in DynamoDB's typed form, as `util.dynamodb.toDynamoDB` gives it. */
export const toDynamoDB = (value: unknown): unknown => marshall({ v: value }, { removeUndefinedValues: true }).v;

/** A map of values in DynamoDB's typed form, as `util.dynamodb.toMapValues` gives it. */
export const toMapValues = (value: unknown): Json => {
  if (!isRecord(value)) throw new ModuleInputError('toMapValues expects an object');
  return marshall(value, { removeUndefinedValues: true, convertClassInstanceToMap: true });
};

export interface Expression {
  expression: string;
  expressionNames: Record<string, string>;
  expressionValues: Json;
}

/** Builds one expression, naming attributes `#name` and values `:name_<n>` so that none collide. */
class ExpressionBuilder {
  readonly names: Record<string, string> = {};
  readonly values: Json = {};
  private count = 0;

  name(path: string): string {
    return path
      .split('.')
      .map((part) => {
        const placeholder = `#${part.replace(/[^A-Za-z0-9_]/g, '_')}`;
        this.names[placeholder] = part;
        return placeholder;
      })
      .join('.');
  }

  value(field: string, value: unknown): string {
    const placeholder = `:${field.replace(/[^A-Za-z0-9_]/g, '_')}_${this.count++}`;
    this.values[placeholder] = toDynamoDB(value);
    return placeholder;
  }

  result(expression: string): Expression {
    return { expression, expressionNames: { ...this.names }, expressionValues: { ...this.values } };
  }
}

const COMPARISONS: Record<string, string> = { eq: '=', ne: '<>', lt: '<', le: '<=', gt: '>', ge: '>=' };

/** One field's operators (`{ eq: 1 }`, `{ beginsWith: 'a' }`, ...) as a condition on it. */
const fieldCondition = (builder: ExpressionBuilder, field: string, operators: unknown): string => {
  if (!isRecord(operators)) throw new ModuleInputError(`the filter on ${field} must be an object of operators`);
  const parts = Object.entries(operators).map(([operator, operand]) => {
    const name = builder.name(field);
    const comparison = COMPARISONS[operator];
    if (comparison) return `${name} ${comparison} ${builder.value(field, operand)}`;
    switch (operator) {
      case 'contains':
        return `contains(${name}, ${builder.value(field, operand)})`;
      case 'notContains':
        return `NOT contains(${name}, ${builder.value(field, operand)})`;
      case 'beginsWith':
        return `begins_with(${name}, ${builder.value(field, operand)})`;
      case 'between': {
        if (!Array.isArray(operand) || operand.length !== 2)
          throw new ModuleInputError(`between on ${field} takes two values`);
        return `${name} BETWEEN ${builder.value(field, operand[0])} AND ${builder.value(field, operand[1])}`;
      }
      case 'in': {
        if (!Array.isArray(operand) || operand.length === 0)
          throw new ModuleInputError(`in on ${field} takes a list of values`);
        return `${name} IN (${operand.map((v) => builder.value(field, v)).join(', ')})`;
      }
      case 'attributeExists':
        return operand ? `attribute_exists(${name})` : `attribute_not_exists(${name})`;
      case 'attributeType':
        return `attribute_type(${name}, ${builder.value(field, operand)})`;
      case 'size':
        if (!isRecord(operand)) throw new ModuleInputError(`size on ${field} takes a comparison`);
        return Object.entries(operand)
          .map(([op, v]) => {
            const sized = COMPARISONS[op];
            if (!sized) throw new ModuleInputError(`size on ${field}: unknown operator ${op}`);
            return `size(${name}) ${sized} ${builder.value(field, v)}`;
          })
          .join(' AND ');
      default:
        throw new ModuleInputError(`unknown filter operator ${operator} on ${field}`);
    }
  });
  return parts.length === 1 ? (parts[0] ?? '') : `(${parts.join(' AND ')})`;
};

/** A filter or condition object (`{ and: [...], or: [...], not: {...}, field: { op: value } }`). */
const condition = (builder: ExpressionBuilder, filter: unknown): string => {
  if (!isRecord(filter)) throw new ModuleInputError('a filter must be an object');
  const parts = Object.entries(filter).map(([key, value]) => {
    if (key === 'and' || key === 'or') {
      if (!Array.isArray(value) || value.length === 0) throw new ModuleInputError(`${key} takes a list of filters`);
      return `(${value.map((f) => condition(builder, f)).join(key === 'and' ? ' AND ' : ' OR ')})`;
    }
    if (key === 'not') return `(NOT ${condition(builder, value)})`;
    return fieldCondition(builder, key, value);
  });
  if (parts.length === 0) throw new ModuleInputError('a filter must name at least one field');
  return parts.length === 1 ? (parts[0] ?? '') : `(${parts.join(' AND ')})`;
};

/** `util.transform.toDynamoDBFilterExpression` / `toDynamoDBConditionExpression`, before AppSync's JSON.stringify. */
export const conditionExpression = (filter: unknown): Expression => {
  const builder = new ExpressionBuilder();
  return builder.result(condition(builder, filter));
};

/** A key condition: DynamoDB takes the partition and sort key conditions joined by AND, unparenthesized. */
const keyCondition = (query: unknown): Expression => {
  if (!isRecord(query) || Object.keys(query).length === 0 || Object.keys(query).length > 2)
    throw new ModuleInputError('query takes a condition on the partition key and, optionally, the sort key');
  const builder = new ExpressionBuilder();
  const parts = Object.entries(query).map(([field, operators]) => fieldCondition(builder, field, operators));
  return builder.result(parts.join(' AND '));
};

const optionalCondition = (filter: unknown): Expression | undefined =>
  filter === undefined || filter === null ? undefined : conditionExpression(filter);

/** An update operation (`operations.increment(1)`, ...) or a plain value (SET). */
interface UpdateOperation {
  readonly [OPERATION]:
    | 'add'
    | 'remove'
    | 'replace'
    | 'increment'
    | 'decrement'
    | 'append'
    | 'prepend'
    | 'updateListItem';
  readonly value?: unknown;
  readonly index?: number;
}
const OPERATION = Symbol('appsync.dynamodb.operation');
const isOperation = (value: unknown): value is UpdateOperation =>
  typeof value === 'object' && value !== null && OPERATION in value;

export const operations = {
  add: (value: unknown): UpdateOperation => ({ [OPERATION]: 'add', value }),
  remove: (): UpdateOperation => ({ [OPERATION]: 'remove' }),
  replace: (value: unknown): UpdateOperation => ({ [OPERATION]: 'replace', value }),
  increment: (by: number): UpdateOperation => ({ [OPERATION]: 'increment', value: by }),
  decrement: (by: number): UpdateOperation => ({ [OPERATION]: 'decrement', value: by }),
  append: (items: unknown[]): UpdateOperation => ({ [OPERATION]: 'append', value: items }),
  prepend: (items: unknown[]): UpdateOperation => ({ [OPERATION]: 'prepend', value: items }),
  updateListItem: (value: unknown, index: number): UpdateOperation => ({
    [OPERATION]: 'updateListItem',
    value,
    index,
  }),
};

const updateExpression = (update: unknown): Expression => {
  if (!isRecord(update) || Object.keys(update).length === 0)
    throw new ModuleInputError('update needs at least one attribute to change');
  const builder = new ExpressionBuilder();
  const set: string[] = [];
  const add: string[] = [];
  const remove: string[] = [];
  for (const [field, change] of Object.entries(update)) {
    const name = builder.name(field);
    if (!isOperation(change)) {
      set.push(`${name} = ${builder.value(field, change)}`);
      continue;
    }
    switch (change[OPERATION]) {
      case 'replace':
        set.push(`${name} = ${builder.value(field, change.value)}`);
        break;
      case 'remove':
        remove.push(name);
        break;
      case 'add':
        add.push(`${name} ${builder.value(field, change.value)}`);
        break;
      case 'increment':
        set.push(
          `${name} = if_not_exists(${name}, ${builder.value(field, 0)}) + ${builder.value(field, change.value)}`,
        );
        break;
      case 'decrement':
        set.push(
          `${name} = if_not_exists(${name}, ${builder.value(field, 0)}) - ${builder.value(field, change.value)}`,
        );
        break;
      case 'append':
        set.push(
          `${name} = list_append(if_not_exists(${name}, ${builder.value(field, [])}), ${builder.value(field, change.value)})`,
        );
        break;
      case 'prepend':
        set.push(
          `${name} = list_append(${builder.value(field, change.value)}, if_not_exists(${name}, ${builder.value(field, [])}))`,
        );
        break;
      case 'updateListItem':
        set.push(`${name}[${Number(change.index)}] = ${builder.value(field, change.value)}`);
        break;
    }
  }
  const clauses = [
    set.length ? `SET ${set.join(', ')}` : '',
    add.length ? `ADD ${add.join(', ')}` : '',
    remove.length ? `REMOVE ${remove.join(', ')}` : '',
  ];
  return builder.result(clauses.filter(Boolean).join(' '));
};

const keyOf = (key: unknown): Json => {
  if (!isRecord(key) || Object.keys(key).length === 0) throw new ModuleInputError('key must name the item');
  return toMapValues(key);
};

const withoutUndefined = (request: Json): Json =>
  Object.fromEntries(Object.entries(request).filter(([, value]) => value !== undefined));

const projection = (fields: unknown): Expression | undefined => {
  if (fields === undefined || fields === null) return undefined;
  if (!Array.isArray(fields) || fields.length === 0) throw new ModuleInputError('projection takes a list of fields');
  const builder = new ExpressionBuilder();
  return builder.result(fields.map((f) => builder.name(String(f))).join(', '));
};

/** The module's functions, as `import * as ddb from '@aws-appsync/utils/dynamodb'` gives them. */
export const dynamodbModule = {
  operations,
  get: (input: { key: unknown; consistentRead?: boolean }): Json =>
    withoutUndefined({ operation: 'GetItem', key: keyOf(input?.key), consistentRead: input?.consistentRead }),
  put: (input: { key: unknown; item?: unknown; condition?: unknown; _version?: number }): Json =>
    withoutUndefined({
      operation: 'PutItem',
      key: keyOf(input?.key),
      attributeValues: toMapValues(input?.item ?? {}),
      condition: optionalCondition(input?.condition),
      _version: input?._version,
    }),
  remove: (input: { key: unknown; condition?: unknown; _version?: number }): Json =>
    withoutUndefined({
      operation: 'DeleteItem',
      key: keyOf(input?.key),
      condition: optionalCondition(input?.condition),
      _version: input?._version,
    }),
  update: (input: { key: unknown; update: unknown; condition?: unknown; _version?: number }): Json =>
    withoutUndefined({
      operation: 'UpdateItem',
      key: keyOf(input?.key),
      update: updateExpression(input?.update),
      condition: optionalCondition(input?.condition),
      _version: input?._version,
    }),
  query: (input: {
    query: unknown;
    filter?: unknown;
    index?: string;
    nextToken?: string;
    limit?: number;
    scanIndexForward?: boolean;
    consistentRead?: boolean;
    select?: string;
    projection?: unknown;
  }): Json =>
    withoutUndefined({
      operation: 'Query',
      query: keyCondition(input?.query),
      filter: optionalCondition(input?.filter),
      index: input?.index,
      nextToken: input?.nextToken,
      limit: input?.limit,
      scanIndexForward: input?.scanIndexForward,
      consistentRead: input?.consistentRead,
      select: input?.select,
      projection: projection(input?.projection),
    }),
  scan: (
    input: {
      filter?: unknown;
      index?: string;
      nextToken?: string;
      limit?: number;
      consistentRead?: boolean;
      segment?: number;
      totalSegments?: number;
      select?: string;
      projection?: unknown;
    } = {},
  ): Json =>
    withoutUndefined({
      operation: 'Scan',
      filter: optionalCondition(input.filter),
      index: input.index,
      nextToken: input.nextToken,
      limit: input.limit,
      consistentRead: input.consistentRead,
      segment: input.segment,
      totalSegments: input.totalSegments,
      select: input.select,
      projection: projection(input.projection),
    }),
  sync: (input: { limit?: number; nextToken?: string; lastSync?: number; filter?: unknown } = {}): Json =>
    withoutUndefined({
      operation: 'Sync',
      limit: input.limit,
      nextToken: input.nextToken,
      lastSync: input.lastSync,
      filter: optionalCondition(input.filter),
    }),
};
