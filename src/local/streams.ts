import { existsSync, readFileSync } from 'node:fs';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import { LOCAL_AWS } from './dynamodb/local';
import type { LocalFunction } from './functions/runner';
import { appendPrivateLine, makePrivate, readJsonLines, writePrivateFile } from './private-files';

/**
 * A DynamoDB stream → Lambda event source mapping, run locally with the
 * settings the template gives it: batch size and batching window, event
 * filters, ReportBatchItemFailures (a failed record and everything after it
 * is retried), bisect on error, bounded retries, and an on-failure
 * destination, here `<data>/dead-letters.jsonl`. Progress is checkpointed, so
 * a restart resumes where it stopped.
 */

export interface MappingSpec {
  id: string;
  tableName: string;
  fn: LocalFunction;
  batchSize: number;
  batchingWindowMs: number;
  reportBatchItemFailures: boolean;
  bisectOnError: boolean;
  maxRetries: number;
  /** Event filter patterns (any may match); empty lets everything through. */
  filters: unknown[];
}

export interface DeadLetter {
  mapping: string;
  at: string;
  reason: string;
  sequenceNumbers: string[];
  keys: unknown[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Lambda's event-filter pattern subset: each key lists the allowed values, nested objects recurse. */
export const matchesPattern = (pattern: unknown, event: unknown): boolean => {
  if (!isRecord(pattern)) return true;
  return Object.entries(pattern).every(([key, allowed]) => {
    const value = isRecord(event) ? event[key] : undefined;
    if (Array.isArray(allowed)) return allowed.some((a) => JSON.stringify(a) === JSON.stringify(value));
    return matchesPattern(allowed, value);
  });
};

const toLambdaRecord = (record: StreamRecord, tableName: string, region: string): Record<string, unknown> => ({
  eventID: record.eventID,
  eventName: record.eventName,
  eventVersion: record.eventVersion ?? '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: region,
  eventSourceARN: `arn:aws:dynamodb:${region}:000000000000:table/${tableName}/stream/local`,
  dynamodb: {
    ApproximateCreationDateTime: record.dynamodb?.ApproximateCreationDateTime
      ? Math.floor(new Date(record.dynamodb.ApproximateCreationDateTime).getTime() / 1000)
      : undefined,
    Keys: record.dynamodb?.Keys,
    NewImage: record.dynamodb?.NewImage,
    OldImage: record.dynamodb?.OldImage,
    SequenceNumber: record.dynamodb?.SequenceNumber,
    SizeBytes: record.dynamodb?.SizeBytes,
    StreamViewType: record.dynamodb?.StreamViewType,
  },
});

/** A shard is polled this often: Lambda's rate for DynamoDB streams is four polls a second. */
const POLL_MS = 250;
/** Records asked for per GetRecords (DynamoDB Streams' maximum). */
const PAGE = 1000;
/** New shards are looked for this often (DynamoDB splits a stream's shards every few hours). */
const SHARD_DISCOVERY_MS = 10_000;

/**
 * A mapping's checkpoints (shard → last sequence number handled). One that
 * cannot be read (empty or damaged, as a kill mid-write by an older version
 * left it) is reported and the mapping starts again from each shard's oldest
 * record (TRIM_HORIZON): records may be delivered twice, never lost.
 */
export const readCheckpoints = (file: string, mappingId: string): Record<string, string> => {
  if (!existsSync(file)) return {};
  makePrivate(file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    typeof parsed === 'object' &&
    parsed !== null &&
    !Array.isArray(parsed) &&
    Object.values(parsed).every((v) => typeof v === 'string')
  ) {
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
  }
  console.warn(
    `stream mapping ${mappingId}: the checkpoint file ${file} is empty or damaged; reading every shard again from its oldest record`,
  );
  return {};
};

export class StreamMapping {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly streams: DynamoDBStreamsClient;
  private checkpoints: Record<string, string> = {};
  /** Records processed (successfully or into the dead letters), for tests and benchmarks. */
  processed = 0;
  /** Records read from the stream and waiting for their batch (the batching window). */
  pendingRecords = 0;

  constructor(
    private readonly spec: MappingSpec,
    private readonly dynamodb: DynamoDBClient,
    endpoint: string,
    private readonly region: string,
    private readonly checkpointFile: string | undefined,
    private readonly deadLetters: (letter: DeadLetter) => void,
    /** What the stream is read with: the function's role, as Lambda's event source mappings read. */
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = LOCAL_AWS.credentials,
  ) {
    this.streams = new DynamoDBStreamsClient({ endpoint, region, credentials: { ...credentials } });
    if (checkpointFile) this.checkpoints = readCheckpoints(checkpointFile, spec.id);
  }

  start(): void {
    this.running = true;
    this.loop = this.run().catch((error: unknown) => {
      if (this.running) console.error(`stream mapping ${this.spec.id} stopped:`, error);
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.streams.destroy();
  }

  private checkpoint(shardId: string, sequenceNumber: string | undefined): void {
    if (!sequenceNumber) return;
    this.checkpoints[shardId] = sequenceNumber;
    // Temp + rename: a kill leaves the old checkpoint or the new one, never an empty file.
    if (this.checkpointFile) writePrivateFile(this.checkpointFile, JSON.stringify(this.checkpoints));
  }

  private async iterator(streamArn: string, shardId: string): Promise<string | undefined> {
    const after = this.checkpoints[shardId];
    const { ShardIterator } = await this.streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ShardIteratorType: after ? 'AFTER_SEQUENCE_NUMBER' : 'TRIM_HORIZON',
        SequenceNumber: after,
      }),
    );
    return ShardIterator;
  }

  private async run(): Promise<void> {
    const { Table } = await this.dynamodb.send(new DescribeTableCommand({ TableName: this.spec.tableName }));
    const streamArn = Table?.LatestStreamArn;
    if (!streamArn) throw new Error(`table ${this.spec.tableName} has no stream`);
    const iterators = new Map<string, string | undefined>();
    let pending: Array<{ shardId: string; record: StreamRecord }> = [];
    let firstPendingAt = 0;
    let shardsListedAt = Number.NEGATIVE_INFINITY;
    while (this.running) {
      if (Date.now() - shardsListedAt >= SHARD_DISCOVERY_MS) {
        shardsListedAt = Date.now();
        const { StreamDescription } = await this.streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
        for (const shard of StreamDescription?.Shards ?? []) {
          if (shard.ShardId && !iterators.has(shard.ShardId))
            iterators.set(shard.ShardId, await this.iterator(streamArn, shard.ShardId));
        }
      }
      const polledAt = Date.now();
      let fullPage = false;
      for (const [shardId, iterator] of iterators) {
        if (!iterator) continue;
        try {
          const page = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: PAGE }));
          iterators.set(shardId, page.NextShardIterator);
          if ((page.Records?.length ?? 0) >= PAGE) fullPage = true;
          for (const record of page.Records ?? []) {
            if (pending.length === 0) firstPendingAt = Date.now();
            pending.push({ shardId, record });
          }
        } catch (error) {
          if (error instanceof TrimmedDataAccessException) {
            // The checkpoint is older than what the stream still holds: start from its oldest record.
            delete this.checkpoints[shardId];
          } else if (!(error instanceof ExpiredIteratorException)) {
            throw error;
          }
          iterators.set(shardId, await this.iterator(streamArn, shardId));
        }
      }
      this.pendingRecords = pending.length;
      const windowOver = Date.now() - firstPendingAt >= this.spec.batchingWindowMs;
      while (pending.length > 0 && (pending.length >= this.spec.batchSize || windowOver)) {
        const batch = pending.slice(0, this.spec.batchSize);
        pending = pending.slice(batch.length);
        await this.deliver(batch);
        this.pendingRecords = pending.length;
      }
      if (!fullPage) {
        // Lambda polls a shard four times a second, busy or quiet (DynamoDB Streams allows five reads a second
        // per shard); a full page means more is waiting. Wake earlier for a batching window that closes sooner.
        const nextPoll = polledAt + POLL_MS - Date.now();
        const windowLeft = pending.length > 0 ? this.spec.batchingWindowMs - (Date.now() - firstPendingAt) : nextPoll;
        const wait = Math.min(nextPoll, windowLeft);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  private async deliver(batch: Array<{ shardId: string; record: StreamRecord }>): Promise<void> {
    const passing = batch.filter(({ record }) => {
      const event = toLambdaRecord(record, this.spec.tableName, this.region);
      return this.spec.filters.length === 0 || this.spec.filters.some((f) => matchesPattern(f, event));
    });
    if (passing.length > 0) await this.invoke(passing, 0);
    // One checkpoint write per batch: the last record of each shard in it.
    const last = new Map<string, string | undefined>();
    for (const { shardId, record } of batch) last.set(shardId, record.dynamodb?.SequenceNumber);
    for (const [shardId, sequenceNumber] of last) this.checkpoint(shardId, sequenceNumber);
    this.processed += batch.length;
  }

  private async invoke(batch: Array<{ shardId: string; record: StreamRecord }>, attempt: number): Promise<void> {
    let failedFrom = -1;
    let reason = '';
    try {
      // A throttled batch is retried until it runs, as the poller does, without spending its retries.
      const response = await this.spec.fn.invoke(
        { Records: batch.map(({ record }) => toLambdaRecord(record, this.spec.tableName, this.region)) },
        { whenThrottled: 'wait' },
      );
      const failures =
        this.spec.reportBatchItemFailures && isRecord(response) && Array.isArray(response.batchItemFailures)
          ? response.batchItemFailures.filter(isRecord).map((f) => String(f.itemIdentifier))
          : [];
      if (failures.length === 0) return;
      failedFrom = batch.findIndex(({ record }) => failures.includes(record.dynamodb?.SequenceNumber ?? ''));
      // An identifier that names no record of the batch fails the whole batch, as on Lambda.
      if (failedFrom < 0) failedFrom = 0;
      reason = `the function reported ${failures.length} record(s) as failed`;
    } catch (error) {
      reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (this.spec.bisectOnError && batch.length > 1 && attempt < this.spec.maxRetries) {
        const half = Math.ceil(batch.length / 2);
        await this.invoke(batch.slice(0, half), attempt + 1);
        await this.invoke(batch.slice(half), attempt + 1);
        return;
      }
      failedFrom = 0;
    }
    const remaining = batch.slice(failedFrom);
    if (attempt < this.spec.maxRetries) {
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      await this.invoke(remaining, attempt + 1);
      return;
    }
    this.deadLetters({
      mapping: this.spec.id,
      at: new Date().toISOString(),
      reason: `${reason} (after ${attempt} retries)`,
      sequenceNumbers: remaining.map(({ record }) => record.dynamodb?.SequenceNumber ?? ''),
      keys: remaining.map(({ record }) => record.dynamodb?.Keys),
    });
  }
}

const isDeadLetter = (value: unknown): value is DeadLetter =>
  isRecord(value) &&
  typeof value.mapping === 'string' &&
  Array.isArray(value.keys) &&
  Array.isArray(value.sequenceNumbers);

/** The on-failure destination of every local mapping: in memory and `<data>/dead-letters.jsonl`. */
export class DeadLetterQueue {
  readonly letters: DeadLetter[] = [];

  constructor(private readonly file?: string) {
    if (!file) return;
    makePrivate(file);
    // The letters of earlier runs stay listed (the console replays them).
    this.letters.push(...readJsonLines(file).filter(isDeadLetter));
  }

  add = (letter: DeadLetter): void => {
    this.letters.push(letter);
    console.warn(`dead letter from ${letter.mapping}: ${letter.reason} (${letter.sequenceNumbers.length} record(s))`);
    if (this.file) appendPrivateLine(this.file, JSON.stringify(letter));
  };
}
