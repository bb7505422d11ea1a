import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { EventBridgeEvent } from 'aws-lambda';

const dynamodb = new DynamoDBClient();

interface OrderPlaced {
  total: number;
  note: string;
  placedBy: string;
}

/**
 * The big-orders rule's target: keeps each order it is sent as a BigOrder
 * (keyed by the event's ID). A schedule's constant input (`{ job }`) is
 * answered, not stored.
 */
export const handler = async (event: EventBridgeEvent<'Order Placed', OrderPlaced> | { job: string }) => {
  if ('job' in event) return { job: event.job };
  const now = new Date().toISOString();
  await dynamodb.send(
    new PutItemCommand({
      TableName: process.env.BIG_ORDER_TABLE,
      Item: {
        id: { S: event.id },
        __typename: { S: 'BigOrder' },
        total: { N: String(event.detail.total) },
        note: { S: `${event.detail.note} (${event['detail-type']} from ${event.source} at ${event.time})` },
        placedBy: { S: event.detail.placedBy },
        createdAt: { S: now },
        updatedAt: { S: now },
      },
    }),
  );
  return { stored: event.id };
};
