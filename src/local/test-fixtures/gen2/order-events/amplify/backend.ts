import { defineBackend } from '@aws-amplify/backend';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import { auth } from './auth/resource';
import { data } from './data/resource';
import { placeOrder } from './functions/place-order/resource';
import { recordOrder } from './functions/record-order/resource';

/**
 * A Gen 2 backend for the local EventBridge: a custom mutation's function puts
 * an event on a custom bus, a rule's pattern picks the big orders, and its
 * target stores them in a model table (announceOrder does the same through
 * AppSync's EventBridge data source); two EventBridge Scheduler schedules
 * (one in Berlin time, one disabled) invoke the same function.
 */
const backend = defineBackend({ auth, data, placeOrder, recordOrder });
const stack = backend.data.stack;
const recorder = backend.recordOrder.resources.lambda;

const bus = new EventBus(stack, 'OrdersBus', { eventBusName: 'orders' });
bus.grantPutEventsTo(backend.placeOrder.resources.lambda);
backend.placeOrder.addEnvironment('ORDERS_BUS', bus.eventBusName);
// announceOrder's resolver puts on the same bus through AppSync's EventBridge data source.
backend.data.addEventBridgeDataSource('OrdersEvents', bus);
new Rule(stack, 'BigOrders', {
  eventBus: bus,
  eventPattern: {
    source: ['shop.orders'],
    detailType: ['Order Placed'],
    detail: { total: [{ numeric: ['>=', 100] }] },
  },
  targets: [new LambdaFunction(recorder)],
});
const table = backend.data.resources.tables.BigOrder;
if (!table) throw new Error('the schema has no BigOrder model: the big-orders rule needs its table');
table.grantWriteData(recorder);
backend.recordOrder.addEnvironment('BIG_ORDER_TABLE', table.tableName);

const schedulerRole = new Role(stack, 'SchedulerRole', { assumedBy: new ServicePrincipal('scheduler.amazonaws.com') });
recorder.grantInvoke(schedulerRole);
const schedule = (id: string, expression: string, extra: Partial<{ timezone: string; state: string }>) =>
  new CfnSchedule(stack, id, {
    scheduleExpression: expression,
    scheduleExpressionTimezone: extra.timezone,
    state: extra.state,
    flexibleTimeWindow: { mode: 'OFF' },
    target: { arn: recorder.functionArn, roleArn: schedulerRole.roleArn, input: JSON.stringify({ job: id }) },
  });
schedule('BerlinMorning', 'cron(0 8 * * ? *)', { timezone: 'Europe/Berlin' });
schedule('Paused', 'cron(0 * * * ? *)', { state: 'DISABLED' });
