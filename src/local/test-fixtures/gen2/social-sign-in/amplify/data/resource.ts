import { a, type ClientSchema, defineData } from '@aws-amplify/backend';

const schema = a.schema({
  Bookmark: a.model({ url: a.string().required(), title: a.string() }).authorization((allow) => [allow.owner()]),
});

export type Schema = ClientSchema<typeof schema>;

export const data = defineData({ schema, authorizationModes: { defaultAuthorizationMode: 'userPool' } });
