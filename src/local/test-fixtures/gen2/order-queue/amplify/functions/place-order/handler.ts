import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

const sns = new SNSClient();
const sqs = new SQSClient();
const dynamodb = new DynamoDBClient();

interface OrderEvent {
  fieldName?: string;
  info?: { fieldName?: string };
  arguments: { item?: string; quantity?: number; id?: string };
}

/**
 * `placeOrder(item, quantity)` publishes the order to the orders topic
 * (`kind: order`); a quantity of 0 is a price check, sent straight to the
 * queue as a `probe` instead. `orderStatus(id)` reads what the fulfilment
 * function wrote.
 */
export const handler = async (event: OrderEvent): Promise<string> => {
  const field = event.info?.fieldName ?? event.fieldName;
  if (field === 'orderStatus') {
    const found = await dynamodb.send(
      new GetItemCommand({ TableName: process.env.ORDERS_TABLE, Key: { id: { S: event.arguments.id ?? '' } } }),
    );
    return found.Item?.status?.S ?? 'unknown';
  }
  const { item = '', quantity = 0 } = event.arguments;
  if (quantity === 0) {
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: process.env.ORDERS_QUEUE_URL,
        MessageBody: JSON.stringify({ item, quantity, probe: true }),
      }),
    );
    return sent.MessageId ?? '';
  }
  const published = await sns.send(
    new PublishCommand({
      TopicArn: process.env.ORDERS_TOPIC_ARN,
      Message: JSON.stringify({ item, quantity }),
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'order' } },
    }),
  );
  return published.MessageId ?? '';
};
