import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { makePrivate, writePrivateFile } from '../private-files';
import type { SubscriptionConfig, TopicConfig } from '../settings/messaging';
import { matchesFilterPolicy, type SnsMessageAttribute } from './filter-policy';

/**
 * The topics and their subscriptions: the template's, and those made with
 * Subscribe (kept in `<data>/sns/subscriptions.json`, so a restart keeps
 * them). Publish fans a message out to every subscription whose filter
 * policy it passes, through the `Deliver` the backend gives (functions,
 * queues, the outbox). SNS keeps no messages, so nothing else is stored.
 */

export interface Notification {
  messageId: string;
  topicArn: string;
  subject?: string;
  /** The message as published (for `MessageStructure: json`, the whole JSON). */
  message: string;
  messageStructure?: string;
  attributes: Record<string, SnsMessageAttribute>;
  timestamp: string;
  groupId?: string;
  deduplicationId?: string;
  sequenceNumber?: string;
}

/** Delivers one notification to one subscription; a failure is the deliverer's to retry or dead-letter. */
export type Deliver = (subscription: SubscriptionConfig, notification: Notification) => void;

export interface SubscriptionStore {
  load(): SubscriptionConfig[];
  save(subscriptions: readonly SubscriptionConfig[]): void;
}

const isSubscription = (value: unknown): value is SubscriptionConfig =>
  typeof value === 'object' &&
  value !== null &&
  'arn' in value &&
  typeof value.arn === 'string' &&
  'topicArn' in value &&
  typeof value.topicArn === 'string' &&
  'protocol' in value &&
  typeof value.protocol === 'string';

export const fileSubscriptionStore = (file: string): SubscriptionStore => ({
  load: () => {
    if (!existsSync(file)) return [];
    makePrivate(file);
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (Array.isArray(parsed)) return parsed.filter(isSubscription);
    } catch {
      console.warn(`local SNS: ${file} could not be read; subscriptions made with Subscribe start empty`);
    }
    return [];
  },
  save: (subscriptions) => writePrivateFile(file, JSON.stringify(subscriptions)),
});

export const memorySubscriptionStore = (): SubscriptionStore => {
  let kept: SubscriptionConfig[] = [];
  return {
    load: () => kept,
    save: (subscriptions) => {
      kept = [...subscriptions];
    },
  };
};

const DEDUPLICATION_MS = 5 * 60_000;

export class TopicEngine {
  #topics = new Map<string, TopicConfig>();
  #template: SubscriptionConfig[] = [];
  #dynamic: SubscriptionConfig[];
  #sequence = 0;
  readonly #deduplication = new Map<string, { id: string; until: number }>();

  constructor(
    private readonly store: SubscriptionStore,
    private readonly deliver: Deliver,
    private readonly now: () => number = Date.now,
  ) {
    this.#dynamic = store.load();
  }

  setTopics(topics: readonly TopicConfig[], subscriptions: readonly SubscriptionConfig[]): void {
    this.#topics = new Map(topics.map((t) => [t.arn, t]));
    this.#template = [...subscriptions];
  }

  topic(arn: string): TopicConfig | undefined {
    return this.#topics.get(arn);
  }

  topics(): TopicConfig[] {
    return [...this.#topics.values()];
  }

  /** The subscriptions of the running topics (those of a topic no longer in the assembly are kept, unserved). */
  subscriptions(topicArn?: string): SubscriptionConfig[] {
    return [...this.#template, ...this.#dynamic].filter(
      (s) => this.#topics.has(s.topicArn) && (topicArn === undefined || s.topicArn === topicArn),
    );
  }

  subscription(arn: string): SubscriptionConfig | undefined {
    return this.subscriptions().find((s) => s.arn === arn);
  }

  /** Subscribes, or returns the same subscription for the same protocol and endpoint, as SNS does. */
  subscribe(config: Omit<SubscriptionConfig, 'arn'>): SubscriptionConfig {
    const existing = this.subscriptions(config.topicArn).find(
      (s) => s.protocol === config.protocol && s.endpoint === config.endpoint,
    );
    if (existing) return existing;
    const subscription = { ...config, arn: `${config.topicArn}:${randomUUID()}` };
    this.#dynamic.push(subscription);
    this.store.save(this.#dynamic);
    return subscription;
  }

  /** Removes a subscription made with Subscribe; the template's cannot be removed (false). */
  unsubscribe(arn: string): boolean {
    const before = this.#dynamic.length;
    this.#dynamic = this.#dynamic.filter((s) => s.arn !== arn);
    if (this.#dynamic.length !== before) this.store.save(this.#dynamic);
    return !this.#template.some((s) => s.arn === arn);
  }

  update(
    arn: string,
    change: Partial<Pick<SubscriptionConfig, 'filterPolicy' | 'filterPolicyScope' | 'rawMessageDelivery'>>,
  ): boolean {
    const index = this.#dynamic.findIndex((s) => s.arn === arn);
    const current = this.#dynamic[index];
    if (!current) return false;
    this.#dynamic[index] = { ...current, ...change };
    this.store.save(this.#dynamic);
    return true;
  }

  /** Publishes to a topic: every subscription whose filter policy passes gets it. */
  publish(
    topic: TopicConfig,
    input: Omit<Notification, 'messageId' | 'topicArn' | 'timestamp' | 'sequenceNumber'>,
  ): { messageId: string; sequenceNumber?: string } {
    const now = this.now();
    for (const [id, entry] of this.#deduplication) if (entry.until < now) this.#deduplication.delete(id);
    const dedupKey = topic.fifo && input.deduplicationId ? `${topic.arn}\0${input.deduplicationId}` : undefined;
    const seen = dedupKey ? this.#deduplication.get(dedupKey) : undefined;
    if (seen) return { messageId: seen.id };
    const notification: Notification = {
      ...input,
      messageId: randomUUID(),
      topicArn: topic.arn,
      timestamp: new Date(now).toISOString(),
      ...(topic.fifo ? { sequenceNumber: String(++this.#sequence).padStart(20, '0') } : {}),
    };
    if (dedupKey) this.#deduplication.set(dedupKey, { id: notification.messageId, until: now + DEDUPLICATION_MS });
    for (const subscription of this.subscriptions(topic.arn)) {
      const body = messageFor(notification, subscription.protocol);
      if (
        matchesFilterPolicy(subscription.filterPolicy, subscription.filterPolicyScope, {
          body,
          attributes: notification.attributes,
        })
      )
        this.deliver(subscription, notification);
    }
    return {
      messageId: notification.messageId,
      ...(notification.sequenceNumber ? { sequenceNumber: notification.sequenceNumber } : {}),
    };
  }
}

/** The message a protocol gets: with `MessageStructure: json`, its own key or `default`. */
export const messageFor = (
  notification: Pick<Notification, 'message' | 'messageStructure'>,
  protocol: string,
): string => {
  if (notification.messageStructure !== 'json') return notification.message;
  try {
    const parsed: unknown = JSON.parse(notification.message);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const own = protocol in parsed ? Reflect.get(parsed, protocol) : Reflect.get(parsed, 'default');
      return typeof own === 'string' ? own : JSON.stringify(own);
    }
  } catch {
    // Checked at Publish.
  }
  return notification.message;
};
