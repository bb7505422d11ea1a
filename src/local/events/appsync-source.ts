import type { LocalEventBridge } from './bus';

/**
 * AppSync's AMAZON_EVENTBRIDGE data source: a resolver's `PutEvents` request
 * (`{ operation, events: [{ source, detailType, detail, resources?, time? }] }`)
 * put on the data source's bus with its service role's permissions, answered
 * with PutEvents' result (`{ Entries, FailedEntryCount }`).
 */

export interface EventBridgeSourceCall {
  eventBusArn: string;
  serviceRoleArn?: string;
  request: Record<string, unknown>;
}

export type EventBridgeSource = (call: EventBridgeSourceCall) => {
  result?: unknown;
  error?: { message: string; type: string };
};

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const appSyncEventBridgeSource =
  (
    bridge: LocalEventBridge,
    allowed: (roleArn: string, action: string, resource: string) => boolean,
  ): EventBridgeSource =>
  ({ eventBusArn, serviceRoleArn, request }) => {
    if (request.operation !== 'PutEvents')
      return {
        error: {
          type: 'ValidationException',
          message: `Unsupported operation: ${String(request.operation)}. Use PutEvents.`,
        },
      };
    const events = request.events;
    if (!Array.isArray(events) || events.length < 1 || events.length > 10 || !events.every(isRecord))
      return { error: { type: 'ValidationException', message: 'events must list 1 to 10 event objects.' } };
    if (!serviceRoleArn || !allowed(serviceRoleArn, 'events:PutEvents', eventBusArn))
      return {
        error: {
          type: 'AccessDeniedException',
          message: `The data source's role ${serviceRoleArn ?? '(none)'} is not authorized to perform: events:PutEvents on resource: ${eventBusArn}`,
        },
      };
    const entries = events.map((event) => ({
      EventBusName: eventBusArn,
      Source: event.source,
      DetailType: event.detailType,
      Detail: typeof event.detail === 'string' ? event.detail : JSON.stringify(event.detail ?? {}),
      ...(event.resources !== undefined ? { Resources: event.resources } : {}),
      ...(typeof event.time === 'string' ? { Time: event.time } : {}),
    }));
    return { result: bridge.put(bridge.prepare(entries)) };
  };
