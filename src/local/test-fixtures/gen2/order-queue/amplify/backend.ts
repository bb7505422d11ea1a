import { defineBackend } from '@aws-amplify/backend';
import { auth } from './auth/resource';
import { orderMessaging } from './custom/order-messaging';
import { data } from './data/resource';
import { auditOrder } from './functions/audit-order/resource';
import { fulfilOrder } from './functions/fulfil-order/resource';
import { placeOrder } from './functions/place-order/resource';

/**
 * A Gen 2 backend for the local mode's tests with SQS and SNS in a custom
 * stack: a GraphQL mutation's function publishes to a topic, which fans out
 * to an audit function and, filtered, to a queue that a function consumes
 * with partial batch failures and a dead-letter queue.
 */
const backend = defineBackend({ auth, data, placeOrder, fulfilOrder, auditOrder });

const functions = {
  placeOrder: backend.placeOrder.resources.lambda,
  fulfilOrder: backend.fulfilOrder.resources.lambda,
  auditOrder: backend.auditOrder.resources.lambda,
};
// CDK puts the subscriptions, the mapping and the grants beside the functions: this stack references none of them.
const { table, queue, topic } = orderMessaging(backend.createStack('order-messaging'), functions);
for (const fn of [backend.placeOrder, backend.fulfilOrder, backend.auditOrder])
  fn.addEnvironment('ORDERS_TABLE', table.tableName);
backend.placeOrder.addEnvironment('ORDERS_TOPIC_ARN', topic.topicArn);
backend.placeOrder.addEnvironment('ORDERS_QUEUE_URL', queue.queueUrl);
