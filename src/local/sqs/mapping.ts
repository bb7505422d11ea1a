import type { QueueMappingDefinition } from '../settings/messaging';
import { matchesPattern } from '../streams';
import type { QueueConfig, QueueEngine, Received } from './queue';

/**
 * SQS → Lambda event source mappings, as Lambda's pollers run them: long
 * polls, batches up to the batch size within the batching window, the SQS
 * event as Lambda shapes it, a successful batch deleted, `batchItemFailures`
 * (with ReportBatchItemFailures) leaving only the failed messages, and a
 * failed invocation leaving every message to return after its visibility
 * timeout, until the queue's redrive policy moves it to the dead-letter queue.
 */

/** What the mappings invoke: the running generation's function by logical ID. */
export type FunctionLookup = (functionId: string) => { invoke(event: unknown): Promise<unknown> } | undefined;

/**
 * Why the function's role may not consume the queue (Lambda's poller receives
 * and deletes with it), or undefined when it may.
 */
export type ConsumeCheck = (definition: QueueMappingDefinition) => string | undefined;

/** The actions Lambda's poller needs on the queue, as its docs list them. */
export const CONSUME_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];

/** SQS receives at most 10 messages a call; Lambda's poller does the same, several times within a window. */
const RECEIVE_MAX = 10;
const LONG_POLL_MS = 20_000;

/** One record of Lambda's SQS event. */
export const sqsRecord = ({ message, receiptHandle }: Received, queue: QueueConfig, region: string) => ({
  messageId: message.id,
  receiptHandle,
  body: message.body,
  attributes: {
    ApproximateReceiveCount: String(message.receiveCount),
    SentTimestamp: String(message.sentAt),
    SenderId: message.senderId,
    ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
    ...(message.sequenceNumber ? { SequenceNumber: message.sequenceNumber } : {}),
    ...(message.groupId ? { MessageGroupId: message.groupId } : {}),
    ...(message.deduplicationId ? { MessageDeduplicationId: message.deduplicationId } : {}),
    ...(message.deadLetterSourceArn ? { DeadLetterQueueSourceArn: message.deadLetterSourceArn } : {}),
  },
  messageAttributes: Object.fromEntries(
    Object.entries(message.attributes).map(([name, v]) => [
      name,
      {
        ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
        ...(v.BinaryValue !== undefined ? { binaryValue: v.BinaryValue } : {}),
        stringListValues: [],
        binaryListValues: [],
        dataType: v.DataType,
      },
    ]),
  ),
  md5OfBody: message.md5OfBody,
  ...(message.md5OfAttributes ? { md5OfMessageAttributes: message.md5OfAttributes } : {}),
  eventSource: 'aws:sqs',
  eventSourceARN: queue.arn,
  awsRegion: region,
});

/**
 * The messages of a batch to delete after the function returned: all of them,
 * or with ReportBatchItemFailures all but the failed ones. A response that
 * names a message not in the batch (or no ID) fails the whole batch, as Lambda
 * treats it.
 */
export const deletable = (
  batch: readonly Received[],
  result: unknown,
  reportBatchItemFailures: boolean,
): Received[] => {
  if (!reportBatchItemFailures) return [...batch];
  const failures =
    typeof result === 'object' && result !== null && 'batchItemFailures' in result
      ? result.batchItemFailures
      : undefined;
  if (failures === undefined || failures === null) return [...batch];
  if (!Array.isArray(failures)) return [];
  const ids = new Set(batch.map((r) => r.message.id));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id =
      typeof failure === 'object' && failure !== null && 'itemIdentifier' in failure
        ? failure.itemIdentifier
        : undefined;
    if (typeof id !== 'string' || !ids.has(id)) return [];
    failed.add(id);
  }
  return batch.filter((r) => !failed.has(r.message.id));
};

const bodyForFilter = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
};

export class QueueMapping {
  #running = false;
  #loop: Promise<void> | undefined;
  #stopping = new AbortController();
  /** Messages handed to the function, for tests. */
  processed = 0;
  /** Invocations that failed (every message then returns after its visibility timeout). */
  failedInvocations = 0;

  #refused: string | undefined;

  constructor(
    readonly definition: QueueMappingDefinition,
    private readonly engine: QueueEngine,
    private readonly functionOf: FunctionLookup,
    private readonly region: string,
    private readonly mayConsume: ConsumeCheck = () => undefined,
  ) {}

  /** Why the mapping does not poll, when its role may not consume the queue. */
  get refused(): string | undefined {
    return this.#refused;
  }

  start(): void {
    if (this.#running || !this.definition.enabled) return;
    this.#running = true;
    this.#stopping = new AbortController();
    this.#loop = this.#poll().catch((error: unknown) => console.error(`queue mapping ${this.definition.id}:`, error));
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#stopping.abort();
    await this.#loop;
  }

  async #poll(): Promise<void> {
    const signal = this.#stopping.signal;
    while (this.#running) {
      const queue = this.engine.find(this.definition.queueArn);
      // Nothing is received while the function is not running (a reload between generations): no receive is spent.
      if (!queue || !this.functionOf(this.definition.functionId)) {
        await this.engine.waitFor('', 1000, signal);
        continue;
      }
      // As Lambda refuses to poll for a role without the permissions; checked again, so a reload can fix it.
      const refused = this.mayConsume(this.definition);
      if (refused !== this.#refused && refused) console.warn(`queue mapping ${this.definition.id}: ${refused}`);
      this.#refused = refused;
      if (refused) {
        await this.engine.waitFor('', 1000, signal);
        continue;
      }
      const batch = await this.#batch(queue, signal);
      if (batch.length === 0 || !this.#running) continue;
      await this.#deliver(queue, batch);
    }
  }

  /** Up to the batch size, waiting for more only within the batching window. */
  async #batch(queue: QueueConfig, signal: AbortSignal): Promise<Received[]> {
    const { batchSize, batchingWindowMs } = this.definition;
    const batch = this.engine.receive(queue, Math.min(RECEIVE_MAX, batchSize));
    if (batch.length === 0) {
      await this.engine.waitFor(queue.name, LONG_POLL_MS, signal);
      return [];
    }
    const until = Date.now() + batchingWindowMs;
    while (batch.length < batchSize && this.#running) {
      const more = this.engine.receive(queue, Math.min(RECEIVE_MAX, batchSize - batch.length));
      batch.push(...more);
      if (more.length > 0) continue;
      if (Date.now() >= until) break;
      await this.engine.waitFor(queue.name, until - Date.now(), signal);
    }
    return batch;
  }

  async #deliver(queue: QueueConfig, received: Received[]): Promise<void> {
    const { filters, functionId, reportBatchItemFailures, id } = this.definition;
    const records = received.map((r) => ({ received: r, record: sqsRecord(r, queue, this.region) }));
    // Lambda deletes the messages no filter matches, without invoking the function.
    const [kept, dropped] = records.reduce<[typeof records, typeof records]>(
      ([k, d], entry) => {
        const subject = { ...entry.record, body: bodyForFilter(entry.record.body) };
        return filters.length === 0 || filters.some((f) => matchesPattern(f, subject))
          ? [[...k, entry], d]
          : [k, [...d, entry]];
      },
      [[], []],
    );
    for (const { received: r } of dropped) this.engine.delete(queue, r.receiptHandle);
    if (kept.length === 0) return;
    const fn = this.functionOf(functionId);
    if (!fn) {
      console.warn(`queue mapping ${id}: function ${functionId} is not running; the messages return to the queue`);
      return;
    }
    this.processed += kept.length;
    let result: unknown;
    try {
      result = await fn.invoke({ Records: kept.map((k) => k.record) });
    } catch (error) {
      this.failedInvocations += 1;
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      console.warn(
        `queue mapping ${id}: the batch of ${kept.length} failed (${reason}); it returns after the visibility timeout`,
      );
      return;
    }
    const batch = kept.map((k) => k.received);
    for (const r of deletable(batch, result, reportBatchItemFailures)) this.engine.delete(queue, r.receiptHandle);
  }
}

/** The running mappings; `update` starts new and changed ones and stops removed ones (a hot reload). */
export class QueueMappings {
  readonly #running = new Map<string, { key: string; mapping: QueueMapping }>();

  constructor(
    private readonly engine: QueueEngine,
    private readonly functionOf: FunctionLookup,
    private readonly region: string,
    private readonly mayConsume?: ConsumeCheck,
  ) {}

  async update(definitions: readonly QueueMappingDefinition[]): Promise<void> {
    const next = new Set(definitions.map((d) => d.id));
    for (const [id, { mapping }] of this.#running)
      if (!next.has(id)) {
        await mapping.stop();
        this.#running.delete(id);
      }
    for (const definition of definitions) {
      const key = JSON.stringify(definition);
      const running = this.#running.get(definition.id);
      if (running?.key === key) continue;
      await running?.mapping.stop();
      const mapping = new QueueMapping(definition, this.engine, this.functionOf, this.region, this.mayConsume);
      mapping.start();
      this.#running.set(definition.id, { key, mapping });
    }
  }

  list(): QueueMapping[] {
    return [...this.#running.values()].map((r) => r.mapping);
  }

  async stop(): Promise<void> {
    for (const { mapping } of this.#running.values()) await mapping.stop();
    this.#running.clear();
  }
}
