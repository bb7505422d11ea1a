import { Duration, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { SubscriptionFilter, Topic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription, SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue } from 'aws-cdk-lib/aws-sqs';

/**
 * Orders flow through a topic: an audit function sees every notification,
 * and the orders queue (with a dead-letter queue after two receives) takes
 * the ones of kind `order`, raw, for the fulfilment function, which reports
 * partial batch failures. Both write to the orders table.
 */
export const orderMessaging = (
  stack: Stack,
  functions: { placeOrder: IFunction; fulfilOrder: IFunction; auditOrder: IFunction },
) => {
  const table = new Table(stack, 'Orders', {
    partitionKey: { name: 'id', type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const deadLetters = new Queue(stack, 'OrdersDeadLetters', { retentionPeriod: Duration.days(14) });
  const queue = new Queue(stack, 'OrdersQueue', {
    visibilityTimeout: Duration.seconds(2),
    deadLetterQueue: { queue: deadLetters, maxReceiveCount: 2 },
  });
  const topic = new Topic(stack, 'OrdersTopic');
  topic.addSubscription(new LambdaSubscription(functions.auditOrder));
  topic.addSubscription(
    new SqsSubscription(queue, {
      rawMessageDelivery: true,
      filterPolicy: { kind: SubscriptionFilter.stringFilter({ allowlist: ['order'] }) },
    }),
  );
  functions.fulfilOrder.addEventSource(
    new SqsEventSource(queue, { batchSize: 5, maxBatchingWindow: Duration.seconds(1), reportBatchItemFailures: true }),
  );
  topic.grantPublish(functions.placeOrder);
  queue.grantSendMessages(functions.placeOrder);
  table.grantReadData(functions.placeOrder);
  table.grantWriteData(functions.fulfilOrder);
  table.grantWriteData(functions.auditOrder);
  return { table, queue, deadLetters, topic };
};
