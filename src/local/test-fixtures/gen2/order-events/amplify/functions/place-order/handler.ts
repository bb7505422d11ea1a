import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { AppSyncResolverHandler } from 'aws-lambda';

const events = new EventBridgeClient();

/** `placeOrder(total, note)`: announces the order on the orders bus and returns its event ID. */
export const handler: AppSyncResolverHandler<{ total: number; note?: string | null }, string> = async (event) => {
  const identity = event.identity && 'sub' in event.identity ? event.identity.sub : 'unknown';
  const result = await events.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: process.env.ORDERS_BUS,
          Source: 'shop.orders',
          DetailType: 'Order Placed',
          Detail: JSON.stringify({
            total: event.arguments.total,
            note: event.arguments.note ?? '',
            placedBy: identity,
          }),
        },
      ],
    }),
  );
  const [entry] = result.Entries ?? [];
  if (!entry?.EventId) throw new Error(`the order was not announced: ${entry?.ErrorCode} ${entry?.ErrorMessage}`);
  return entry.EventId;
};
