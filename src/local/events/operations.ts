import type { LocalPrincipal } from '../iam/principals';
import type { LocalEventBridge } from './bus';
import { EventPatternError, matchesPattern, parseEventPattern } from './pattern';
import { EventsRequestError, entriesOf } from './put-events';

/**
 * The EventBridge operations the local endpoint serves, each authorized as
 * IAM authorizes it: PutEvents on every bus its entries name,
 * TestEventPattern and ListEventBuses on `*`.
 */

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export type Allow = (principal: LocalPrincipal, action: string, resource: string) => void;
export type Operation = (principal: LocalPrincipal, input: Json) => unknown;

/** The fields TestEventPattern requires of its event. */
const ENVELOPE_FIELDS = ['id', 'account', 'source', 'time', 'region', 'detail-type'];

export const eventsOperations = (bridge: LocalEventBridge, allow: Allow): Record<string, Operation> => ({
  PutEvents: (principal, input) => {
    const prepared = bridge.prepare(entriesOf(input));
    const buses = new Set(prepared.flatMap((entry) => (entry.ok ? [entry.bus] : [])));
    for (const bus of buses) allow(principal, 'events:PutEvents', bridge.busArn(bus));
    return bridge.put(prepared);
  },
  TestEventPattern: (principal, input) => {
    allow(principal, 'events:TestEventPattern', '*');
    if (typeof input.EventPattern !== 'string' || typeof input.Event !== 'string')
      throw new EventsRequestError('ValidationException', 'EventPattern and Event are required strings.');
    let pattern: ReturnType<typeof parseEventPattern>;
    try {
      pattern = parseEventPattern(input.EventPattern);
    } catch (error) {
      if (error instanceof EventPatternError)
        throw new EventsRequestError('InvalidEventPatternException', error.message);
      throw error;
    }
    let event: unknown;
    try {
      event = JSON.parse(input.Event);
    } catch {
      event = undefined;
    }
    if (!isRecord(event) || ENVELOPE_FIELDS.some((field) => typeof event[field] !== 'string'))
      throw new EventsRequestError(
        'ValidationException',
        `Parameter Event is not valid: it must be a JSON object with ${ENVELOPE_FIELDS.join(', ')}.`,
      );
    return { Result: matchesPattern(pattern, event) };
  },
  ListEventBuses: (principal, input) => {
    allow(principal, 'events:ListEventBuses', '*');
    const prefix = typeof input.NamePrefix === 'string' ? input.NamePrefix : '';
    return {
      EventBuses: bridge
        .buses()
        .filter((name) => name.startsWith(prefix))
        .map((name) => ({ Name: name, Arn: bridge.busArn(name) })),
    };
  },
});
