import { DatabaseError, invalid, notFound } from '../errors';
import type { Store } from '../storage';
import { type Json, type Stream, str, type Table } from '../types';
import { keySchemaJson } from './tables';

/** A shard iterator is valid this long, as in DynamoDB Streams. */
const ITERATOR_TTL_MS = 15 * 60 * 1000;

/** DynamoDB Streams: ListStreams, DescribeStream, GetShardIterator and GetRecords over the stored records. */

export const streamOf = (store: Store, arn: unknown): { table: Table; stream: Stream } => {
  for (const table of store.tables.values())
    if (table.stream && table.stream.arn === arn) return { table, stream: table.stream };
  throw notFound(`Requested resource not found: Stream: ${String(arn)} not found`);
};

/**
 * ListStreams as DynamoDB Local pages it: oldest first, Limit at a time,
 * after ExclusiveStartStreamArn; each page is listed newest first.
 */
export const listStreams = (store: Store, input: Json): Json => {
  const limit = streamLimit(input.Limit, ' allowed size: 100');
  const streams = [...store.tables.values()]
    .filter((t) => t.stream && (input.TableName === undefined || t.name === input.TableName))
    .flatMap((t) => (t.stream ? [{ table: t.name, stream: t.stream }] : []))
    .sort((a, b) => a.stream.createdAt - b.stream.createdAt || a.stream.arn.localeCompare(b.stream.arn));
  let from = 0;
  if (input.ExclusiveStartStreamArn !== undefined) {
    const at = streams.findIndex((s) => s.stream.arn === input.ExclusiveStartStreamArn);
    from = at === -1 ? streams.length : at + 1;
  }
  const page = streams.slice(from, from + limit);
  const more = from + limit < streams.length;
  return {
    Streams: page
      .map(({ table, stream }) => ({ StreamArn: stream.arn, TableName: table, StreamLabel: stream.label }))
      .reverse(),
    ...(more && page.length > 0 ? { LastEvaluatedStreamArn: page.at(-1)?.stream.arn } : {}),
  };
};

export const describeStream = (store: Store, input: Json): Json => {
  streamLimit(input.Limit, ': 100');
  const { table, stream } = streamOf(store, input.StreamArn);
  // One shard per stream: a page that starts after it is empty.
  const after = input.ExclusiveStartShardId === stream.shardId;
  return {
    StreamDescription: {
      StreamArn: stream.arn,
      StreamLabel: stream.label,
      StreamStatus: 'ENABLED',
      StreamViewType: stream.viewType,
      CreationRequestDateTime: stream.createdAt / 1000,
      TableName: table.name,
      KeySchema: keySchemaJson(table.key),
      Shards: after
        ? []
        : [
            {
              ShardId: stream.shardId,
              SequenceNumberRange: {
                StartingSequenceNumber: (stream.records[0]?.sequence ?? store.sequence + 1n)
                  .toString()
                  .padStart(21, '0'),
              },
            },
          ],
    },
  };
};

export const getShardIterator = (store: Store, input: Json): Json => {
  const { stream } = streamOf(store, input.StreamArn);
  if (input.ShardId !== stream.shardId) throw notFound(`Requested resource not found: Shard does not exist`);
  const given = input.SequenceNumber;
  if (given !== undefined && (typeof given !== 'string' || given.length < 21))
    throw invalid(
      `1 validation error detected: Value '${String(given)}' at 'sequenceNumber' failed to satisfy constraint: Member must have length greater than or equal to 21`,
    );
  if (given !== undefined && (input.ShardIteratorType === 'LATEST' || input.ShardIteratorType === 'TRIM_HORIZON'))
    throw invalid(
      'One or more parameter values were invalid: SequenceNumber should not be passed for this iterator type',
    );
  const sequenceOf = (): bigint => {
    const text = str(given);
    if (!text || !/^\d+$/.test(text))
      throw invalid('One or more parameter values were invalid: Invalid SequenceNumber');
    return BigInt(text);
  };
  let after: bigint;
  switch (input.ShardIteratorType) {
    case 'TRIM_HORIZON':
      after = (stream.records[0]?.sequence ?? store.sequence + 1n) - 1n;
      break;
    case 'LATEST':
      after = store.sequence;
      break;
    case 'AT_SEQUENCE_NUMBER':
      after = sequenceOf() - 1n;
      break;
    case 'AFTER_SEQUENCE_NUMBER':
      after = sequenceOf();
      break;
    default:
      throw invalid(
        `1 validation error detected: Value '${String(input.ShardIteratorType)}' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_SEQUENCE_NUMBER, TRIM_HORIZON]`,
      );
  }
  store.trim(stream);
  const horizon = stream.records[0]?.sequence;
  if (horizon !== undefined && after < horizon - 1n)
    throw new DatabaseError(
      'TrimmedDataAccessException',
      'The operation attempted to read past the oldest stream record in a shard.',
    );
  return { ShardIterator: iterator(stream.arn, after, store.clock()) };
};

export const getRecords = (store: Store, input: Json): Json => {
  const parsed = parseIterator(input.ShardIterator);
  if (store.clock() - parsed.issued > ITERATOR_TTL_MS)
    throw new DatabaseError(
      'ExpiredIteratorException',
      `Iterator expired. The iterator was created at time ${new Date(parsed.issued).toISOString()}`,
    );
  const { stream } = streamOf(store, parsed.arn);
  const limit = typeof input.Limit === 'number' ? input.Limit : 1000;
  if (limit < 1 || limit > 1000)
    throw invalid(
      `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 1000`,
    );
  const horizon = stream.records[0]?.sequence;
  if (horizon !== undefined && parsed.after < horizon - 1n)
    throw new DatabaseError(
      'TrimmedDataAccessException',
      'The operation attempted to read past the oldest stream record in a shard.',
    );
  // Records are in sequence order; find the first after the position.
  let low = 0;
  let high = stream.records.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((stream.records[middle]?.sequence ?? 0n) <= parsed.after) low = middle + 1;
    else high = middle;
  }
  const page = stream.records.slice(low, low + limit);
  const last = page.at(-1)?.sequence ?? parsed.after;
  return { Records: page.map((r) => r.record), NextShardIterator: iterator(stream.arn, last, store.clock()) };
};

/** A Limit of ListStreams or DescribeStream: 1 to 100, 100 when not given. */
const streamLimit = (limit: unknown, maximum: string): number => {
  if (limit === undefined) return 100;
  const value = Number(limit);
  if (!Number.isInteger(value) || value < 1)
    throw invalid(
      `1 validation error detected: Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1`,
    );
  if (value > 100)
    throw invalid(`One or more parameter values were invalid: Limit cannot be greater than the maximum${maximum}`);
  return value;
};

const iterator = (arn: string, after: bigint, issued: number): string =>
  Buffer.from(JSON.stringify({ arn, after: after.toString(), issued })).toString('base64url');

const parseIterator = (text: unknown): { arn: string; after: bigint; issued: number } => {
  try {
    const parsed = JSON.parse(Buffer.from(String(text), 'base64url').toString('utf8')) as {
      arn: string;
      after: string;
      issued: number;
    };
    return { arn: parsed.arn, after: BigInt(parsed.after), issued: parsed.issued };
  } catch {
    throw invalid('Invalid ShardIterator');
  }
};
