import { a, type ClientSchema, defineData } from '@aws-amplify/backend';
import { placeOrder } from '../functions/place-order/resource';

const schema = a.schema({
  placeOrder: a
    .mutation()
    .arguments({ item: a.string().required(), quantity: a.integer().required() })
    .returns(a.string())
    .handler(a.handler.function(placeOrder))
    .authorization((allow) => [allow.authenticated()]),
  orderStatus: a
    .query()
    .arguments({ id: a.string().required() })
    .returns(a.string())
    .handler(a.handler.function(placeOrder))
    .authorization((allow) => [allow.authenticated()]),
});

export type Schema = ClientSchema<typeof schema>;

export const data = defineData({ schema, authorizationModes: { defaultAuthorizationMode: 'userPool' } });
