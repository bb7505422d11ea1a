import { a, type ClientSchema, defineData } from '@aws-amplify/backend';

const schema = a.schema({
  Report: a.model({ body: a.string() }).authorization((allow) => [allow.owner()]),
});

export type Schema = ClientSchema<typeof schema>;
export const data = defineData({ schema, authorizationModes: { defaultAuthorizationMode: 'userPool' } });
