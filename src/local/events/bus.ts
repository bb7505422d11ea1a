import type { EventBuses, EventRule, RuleTarget } from './buses';
import { matchesPattern } from './pattern';
import { type EventEnvelope, eventOf } from './put-events';
import { targetPayload } from './transform';

/**
 * The local EventBridge's engine: each put event goes to the enabled rules
 * of its bus whose pattern it matches, and each of their targets gets the
 * payload its input settings make, handed to `deliver` (asynchronous, as
 * EventBridge's delivery is: PutEvents does not wait for it).
 */

export interface Delivery {
  rule: EventRule;
  target: RuleTarget;
  payload: unknown;
  event: EventEnvelope;
}

export interface LocalEventBridgeOptions {
  account: { region: string; accountId: string };
  /** The running generation's buses and rules; read on every event, so a hot reload's apply at once. */
  config: () => EventBuses;
  now?: () => number;
  deliver(delivery: Delivery): void;
}

export type PutResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export class LocalEventBridge {
  private readonly now: () => number;

  constructor(private readonly options: LocalEventBridgeOptions) {
    this.now = options.now ?? Date.now;
  }

  busArn(name: string): string {
    const { region, accountId } = this.options.account;
    return `arn:aws:events:${region}:${accountId}:event-bus/${name}`;
  }

  buses(): string[] {
    return [...this.options.config().buses];
  }

  /** The event and bus of each entry, or its error, before anything is put (so authorization can see the buses). */
  prepare(entries: Array<Record<string, unknown>>) {
    const now = this.now();
    return entries.map((entry) => eventOf(entry, now, this.options.account));
  }

  /** Puts prepared entries: routes each event and returns PutEvents' result entries. */
  put(prepared: ReturnType<LocalEventBridge['prepare']>): { FailedEntryCount: number; Entries: PutResult[] } {
    const results = prepared.map((entry): PutResult => {
      if (!entry.ok) return { ErrorCode: entry.ErrorCode, ErrorMessage: entry.ErrorMessage };
      this.route(entry.bus, entry.event);
      return { EventId: entry.event.id };
    });
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  /** Sends an event to the matching rules of a bus; returns how many rules matched. An unknown bus takes it and matches none, as EventBridge does. */
  route(bus: string, event: EventEnvelope): number {
    const ingestionTime = this.now();
    const rules = this.options
      .config()
      .rules.filter((r) => r.enabled && r.bus === bus && matchesPattern(r.pattern, event));
    for (const rule of rules)
      for (const target of rule.targets) {
        const payload = targetPayload(target.transform, event, {
          ruleArn: rule.arn,
          ruleName: rule.name,
          ingestionTime,
        });
        // The event is taken whatever happens to one delivery; a failure is reported, the other targets still get it.
        try {
          this.options.deliver({ rule, target, payload, event });
        } catch (error) {
          console.error(`local EventBridge: delivering ${event.id} to ${rule.name}/${target.id}:`, error);
        }
      }
    return rules.length;
  }
}
