import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SqsError } from './errors';
import { type MessageAttributeValue, md5Hex, md5OfMessageAttributes } from './md5';

/**
 * The queues themselves: messages, visibility, delays, retention, receive
 * counts and redrive to a dead-letter queue, FIFO groups and deduplication.
 * No wire and no files: the operations call it, and a `QueueStore` keeps
 * what it holds after every change.
 */

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

export interface QueueConfig {
  name: string;
  arn: string;
  url: string;
  fifo: boolean;
  contentBasedDeduplication: boolean;
  visibilityTimeoutSeconds: number;
  delaySeconds: number;
  retentionSeconds: number;
  maximumMessageSize: number;
  receiveWaitTimeSeconds: number;
  redrive?: RedrivePolicy;
}

/** A message as kept: binary attribute values as base64, so the state is JSON. */
export interface StoredMessage {
  id: string;
  body: string;
  md5OfBody: string;
  attributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  md5OfAttributes?: string;
  senderId: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** The token of the latest receive; a receipt handle carries it. */
  receipt?: string;
  groupId?: string;
  deduplicationId?: string;
  sequenceNumber?: string;
  /** Set when redrive moved it here. */
  deadLetterSourceArn?: string;
}

export interface QueueState {
  messages: StoredMessage[];
  /** FIFO: deduplication IDs seen in the last 5 minutes, with the message they answered. */
  deduplication: Record<string, { id: string; sequenceNumber: string; until: number }>;
  sequence: number;
  purgedAt?: number;
}

export interface QueueStore {
  load(): Record<string, QueueState>;
  save(state: Readonly<Record<string, QueueState>>): void;
}

export interface SendInput {
  body: string;
  attributes?: Record<string, MessageAttributeValue>;
  delaySeconds?: number;
  groupId?: string;
  deduplicationId?: string;
}

export interface Sent {
  id: string;
  md5OfBody: string;
  md5OfAttributes?: string;
  sequenceNumber?: string;
}

export interface Received {
  message: StoredMessage;
  receiptHandle: string;
}

const DEDUPLICATION_MS = 5 * 60_000;
/** Visibility timeouts and delays are bounded as SQS bounds them. */
export const MAX_VISIBILITY_SECONDS = 43_200;

/** Whether a message about to be received again has used up its receives and goes to the dead-letter queue. */
export const redriveDue = (message: Pick<StoredMessage, 'receiveCount'>, policy: RedrivePolicy | undefined): boolean =>
  policy !== undefined && message.receiveCount >= policy.maxReceiveCount;

interface ReceiptHandle {
  queue: string;
  id: string;
  receipt: string;
}

const encodeReceipt = (handle: ReceiptHandle): string =>
  Buffer.from(JSON.stringify([handle.queue, handle.id, handle.receipt])).toString('base64');

/** The queue, message and receive a receipt handle names; undefined for anything SQS would not have issued. */
export const decodeReceipt = (text: string): ReceiptHandle | undefined => {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 3 && parsed.every((p) => typeof p === 'string'))
      return { queue: String(parsed[0]), id: String(parsed[1]), receipt: String(parsed[2]) };
  } catch {
    // Not ours.
  }
  return undefined;
};

const emptyState = (): QueueState => ({ messages: [], deduplication: {}, sequence: 0 });

export class QueueEngine {
  #queues = new Map<string, QueueConfig>();
  readonly #state: Record<string, QueueState>;
  readonly #waiters = new Map<string, Set<() => void>>();

  constructor(
    private readonly store: QueueStore,
    private readonly now: () => number = Date.now,
  ) {
    this.#state = store.load();
  }

  /** The queues of the running assembly; messages of a queue that is gone stay stored, unserved. */
  setQueues(configs: readonly QueueConfig[]): void {
    this.#queues = new Map(configs.map((c) => [c.name, c]));
    for (const config of configs) this.#state[config.name] ??= emptyState();
  }

  list(): QueueConfig[] {
    return [...this.#queues.values()];
  }

  /** A queue by name, URL or ARN. */
  find(nameUrlOrArn: string): QueueConfig | undefined {
    const byName = this.#queues.get(nameUrlOrArn);
    if (byName) return byName;
    for (const queue of this.#queues.values())
      if (queue.url === nameUrlOrArn || queue.arn === nameUrlOrArn) return queue;
    // Any host and port: the name is the URL's last segment, the account the one before it.
    const match = /^https?:\/\/[^/]+\/(?:(\d{12})\/)?([^/?#]+)\/?$/.exec(nameUrlOrArn);
    const queue = match?.[2] ? this.#queues.get(decodeURIComponent(match[2])) : undefined;
    return queue && (!match?.[1] || queue.arn.split(':')[4] === match[1]) ? queue : undefined;
  }

  #stateOf(queue: QueueConfig): QueueState {
    const state = this.#state[queue.name] ?? emptyState();
    this.#state[queue.name] = state;
    return state;
  }

  #expire(queue: QueueConfig, state: QueueState): void {
    const now = this.now();
    const oldest = now - queue.retentionSeconds * 1000;
    state.messages = state.messages.filter((m) => m.sentAt >= oldest);
    for (const [id, entry] of Object.entries(state.deduplication))
      if (entry.until < now) delete state.deduplication[id];
  }

  #saving = false;

  /** One write per operation: a batch's changes are written together, before its answer is sent. */
  #save(): void {
    if (this.#saving) return;
    this.#saving = true;
    queueMicrotask(() => {
      this.#saving = false;
      this.store.save(this.#state);
    });
  }

  send(queue: QueueConfig, input: SendInput, senderId: string): Sent {
    const state = this.#stateOf(queue);
    this.#expire(queue, state);
    const attributes = Object.fromEntries(
      Object.entries(input.attributes ?? {}).map(([name, value]) => [
        name,
        {
          DataType: value.DataType,
          ...(value.StringValue !== undefined ? { StringValue: value.StringValue } : {}),
          ...(value.BinaryValue !== undefined
            ? { BinaryValue: Buffer.from(value.BinaryValue).toString('base64') }
            : {}),
        },
      ]),
    );
    const md5OfBody = md5Hex(input.body);
    const md5OfAttributes = md5OfMessageAttributes(input.attributes ?? {});
    const now = this.now();
    let deduplicationId: string | undefined;
    if (queue.fifo) {
      deduplicationId =
        input.deduplicationId ??
        (queue.contentBasedDeduplication ? createHash('sha256').update(input.body).digest('hex') : undefined);
      const seen = deduplicationId ? state.deduplication[deduplicationId] : undefined;
      // A duplicate within five minutes is accepted and not enqueued again, as SQS does.
      if (seen && seen.until >= now)
        return {
          id: seen.id,
          md5OfBody,
          ...(md5OfAttributes ? { md5OfAttributes } : {}),
          sequenceNumber: seen.sequenceNumber,
        };
    }
    state.sequence += 1;
    const message: StoredMessage = {
      id: randomUUID(),
      body: input.body,
      md5OfBody,
      attributes,
      ...(md5OfAttributes ? { md5OfAttributes } : {}),
      senderId,
      sentAt: now,
      // FIFO queues have no per-message delay: the queue's applies.
      visibleAt: now + (queue.fifo ? queue.delaySeconds : (input.delaySeconds ?? queue.delaySeconds)) * 1000,
      receiveCount: 0,
      ...(queue.fifo
        ? {
            groupId: input.groupId,
            deduplicationId,
            sequenceNumber: String(state.sequence).padStart(20, '0'),
          }
        : {}),
    };
    if (queue.fifo && deduplicationId)
      state.deduplication[deduplicationId] = {
        id: message.id,
        sequenceNumber: message.sequenceNumber ?? '',
        until: now + DEDUPLICATION_MS,
      };
    state.messages.push(message);
    this.#save();
    this.#wake(queue.name, message.visibleAt - now);
    return {
      id: message.id,
      md5OfBody,
      ...(md5OfAttributes ? { md5OfAttributes } : {}),
      ...(message.sequenceNumber ? { sequenceNumber: message.sequenceNumber } : {}),
    };
  }

  /**
   * Receives up to `max` visible messages and hides them for the visibility
   * timeout. A message that has already been received `maxReceiveCount`
   * times is moved to the dead-letter queue instead.
   */
  receive(queue: QueueConfig, max: number, visibilitySeconds = queue.visibilityTimeoutSeconds): Received[] {
    const state = this.#stateOf(queue);
    this.#expire(queue, state);
    const now = this.now();
    const received: Received[] = [];
    const deadLetter = queue.redrive ? this.find(queue.redrive.deadLetterTargetArn) : undefined;
    // FIFO: a group with a message in flight delivers nothing more until it is deleted or visible again.
    const blockedGroups = new Set(
      queue.fifo ? state.messages.filter((m) => m.visibleAt > now && m.receipt).map((m) => m.groupId) : [],
    );
    let changed = false;
    for (const message of [...state.messages]) {
      if (received.length >= max) break;
      if (message.visibleAt > now) continue;
      if (queue.fifo && blockedGroups.has(message.groupId)) continue;
      if (deadLetter && redriveDue(message, queue.redrive)) {
        this.#moveTo(deadLetter, queue, state, message);
        changed = true;
        continue;
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.receipt = randomBytes(12).toString('base64url');
      message.visibleAt = now + visibilitySeconds * 1000;
      received.push({
        message: { ...message },
        receiptHandle: encodeReceipt({ queue: queue.name, id: message.id, receipt: message.receipt }),
      });
      changed = true;
    }
    if (changed) this.#save();
    return received;
  }

  #moveTo(target: QueueConfig, source: QueueConfig, state: QueueState, message: StoredMessage): void {
    state.messages = state.messages.filter((m) => m !== message);
    const targetState = this.#stateOf(target);
    targetState.sequence += 1;
    const { receipt: _receipt, firstReceivedAt: _first, ...kept } = message;
    targetState.messages.push({
      ...kept,
      receiveCount: 0,
      visibleAt: this.now(),
      deadLetterSourceArn: source.arn,
      ...(target.fifo ? { sequenceNumber: String(targetState.sequence).padStart(20, '0') } : {}),
    });
    this.#wake(target.name, 0);
  }

  #inFlight(queue: QueueConfig, receiptHandle: string): { state: QueueState; message: StoredMessage | undefined } {
    const handle = decodeReceipt(receiptHandle);
    if (!handle || handle.queue !== queue.name)
      throw new SqsError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`,
      );
    const state = this.#stateOf(queue);
    return { state, message: state.messages.find((m) => m.id === handle.id && m.receipt === handle.receipt) };
  }

  /** Deletes a received message; a handle of a message already deleted succeeds, as in SQS. */
  delete(queue: QueueConfig, receiptHandle: string): void {
    const { state, message } = this.#inFlight(queue, receiptHandle);
    if (!message) return;
    state.messages = state.messages.filter((m) => m !== message);
    this.#save();
    // A FIFO group it blocked may deliver again.
    if (queue.fifo) this.#wake(queue.name, 0);
  }

  changeVisibility(queue: QueueConfig, receiptHandle: string, seconds: number): void {
    const { message } = this.#inFlight(queue, receiptHandle);
    const now = this.now();
    if (!message || message.visibleAt <= now)
      throw new SqsError(
        'MessageNotInflight',
        `Value ${receiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
      );
    message.visibleAt = now + seconds * 1000;
    this.#save();
    this.#wake(queue.name, seconds * 1000);
  }

  purge(queue: QueueConfig): void {
    const state = this.#stateOf(queue);
    const now = this.now();
    if (state.purgedAt !== undefined && now - state.purgedAt < 60_000)
      throw new SqsError(
        'PurgeQueueInProgress',
        `Only one PurgeQueue operation on ${queue.name} is allowed every 60 seconds.`,
      );
    state.messages = [];
    state.purgedAt = now;
    this.#save();
  }

  /** ApproximateNumberOfMessages, …NotVisible and …Delayed. */
  counts(queue: QueueConfig): { visible: number; inFlight: number; delayed: number } {
    const state = this.#stateOf(queue);
    this.#expire(queue, state);
    const now = this.now();
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const m of state.messages) {
      if (m.visibleAt <= now) visible += 1;
      else if (m.receipt) inFlight += 1;
      else delayed += 1;
    }
    return { visible, inFlight, delayed };
  }

  /** Resolves when the queue may have a message to receive, or after `ms`, or when `signal` aborts. */
  waitFor(queueName: string, ms: number, signal?: AbortSignal): Promise<void> {
    // A hidden or delayed message becomes receivable by itself: wake by then.
    const now = this.now();
    const next = Math.min(...(this.#state[queueName]?.messages ?? []).map((m) => m.visibleAt).filter((at) => at > now));
    const wait = Math.min(ms, Number.isFinite(next) ? next - now + 1 : ms);
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(queueName) ?? new Set();
      this.#waiters.set(queueName, waiters);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, wait));
      waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  #wake(queueName: string, afterMs: number): void {
    const waiters = this.#waiters.get(queueName);
    if (!waiters || waiters.size === 0) return;
    const wake = () => {
      for (const done of [...waiters]) done();
    };
    if (afterMs <= 0) wake();
    else setTimeout(wake, afterMs).unref();
  }

  /** Releases every waiting receive (on shutdown). */
  wakeAll(): void {
    for (const name of this.#waiters.keys()) this.#wake(name, 0);
  }
}
