import { a, type ClientSchema, defineData } from '@aws-amplify/backend';
import { placeOrder } from '../functions/place-order/resource';

const schema = a.schema({
  BigOrder: a
    .model({ total: a.float().required(), note: a.string(), placedBy: a.string() })
    .authorization((allow) => [allow.authenticated().to(['read'])]),
  placeOrder: a
    .mutation()
    .arguments({ total: a.float().required(), note: a.string() })
    .returns(a.string())
    .handler(a.handler.function(placeOrder))
    .authorization((allow) => [allow.authenticated()]),
  announceOrder: a
    .mutation()
    .arguments({ total: a.float().required(), note: a.string() })
    .returns(a.string())
    .handler(a.handler.custom({ dataSource: 'OrdersEvents', entry: './announce-order.js' }))
    .authorization((allow) => [allow.authenticated()]),
});

export type Schema = ClientSchema<typeof schema>;
export const data = defineData({ schema, authorizationModes: { defaultAuthorizationMode: 'userPool' } });
