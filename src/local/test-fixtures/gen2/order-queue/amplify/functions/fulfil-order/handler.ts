import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

const dynamodb = new DynamoDBClient();

/** One order: recorded as fulfilled; an item named "poison" cannot be, and fails. */
const fulfil = async (record: SQSRecord): Promise<void> => {
  const order: { item: string; quantity: number } = JSON.parse(record.body);
  if (order.item === 'poison') throw new Error('this item cannot be fulfilled');
  await dynamodb.send(
    new PutItemCommand({
      TableName: process.env.ORDERS_TABLE,
      Item: {
        id: { S: record.messageId },
        item: { S: order.item },
        quantity: { N: String(order.quantity) },
        status: { S: 'fulfilled' },
        receives: { N: record.attributes.ApproximateReceiveCount },
      },
    }),
  );
};

/** Each order of the batch on its own; the ones that failed are reported, so only they come back. */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const results = await Promise.allSettled(event.Records.map(fulfil));
  return {
    batchItemFailures: event.Records.flatMap((record, i) =>
      results[i]?.status === 'rejected' ? [{ itemIdentifier: record.messageId }] : [],
    ),
  };
};
