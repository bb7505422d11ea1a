import { a, type ClientSchema, defineData } from '@aws-amplify/backend';
import { vaultReader } from '../functions/vault-reader/resource';

const schema = a.schema({
  vault: a
    .query()
    .arguments({ text: a.string().required() })
    .returns(a.json())
    .handler(a.handler.function(vaultReader))
    .authorization((allow) => [allow.authenticated()]),
});

export type Schema = ClientSchema<typeof schema>;

export const data = defineData({ schema, authorizationModes: { defaultAuthorizationMode: 'userPool' } });
