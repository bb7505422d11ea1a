import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { SNSEvent } from 'aws-lambda';

const dynamodb = new DynamoDBClient();

/** Every notification of the orders topic, kept as an audit entry. */
export const handler = async (event: SNSEvent): Promise<void> => {
  for (const record of event.Records)
    await dynamodb.send(
      new PutItemCommand({
        TableName: process.env.ORDERS_TABLE,
        Item: {
          id: { S: `audit-${record.Sns.MessageId}` },
          status: { S: 'audited' },
          kind: { S: record.Sns.MessageAttributes.kind?.Value ?? '' },
          message: { S: record.Sns.Message },
        },
      }),
    );
};
