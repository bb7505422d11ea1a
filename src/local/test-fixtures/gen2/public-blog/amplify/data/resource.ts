import { a, type ClientSchema, defineData } from '@aws-amplify/backend';
import { echo } from '../functions/echo/resource';

const schema = a.schema({
  Blog: a
    .model({ name: a.string().required(), posts: a.hasMany('Post', 'blogId') })
    .authorization((allow) => [allow.publicApiKey().to(['read']), allow.guest().to(['read']), allow.owner()]),
  Post: a
    .model({
      title: a.string().required(),
      likes: a.integer().default(0),
      blogId: a.id(),
      blog: a.belongsTo('Blog', 'blogId'),
    })
    .authorization((allow) => [allow.publicApiKey().to(['read']), allow.guest().to(['read']), allow.owner()]),
  echo: a
    .query()
    .arguments({ message: a.string().required() })
    .returns(a.string())
    .handler(a.handler.function(echo))
    .authorization((allow) => [allow.publicApiKey(), allow.authenticated()]),
  likePost: a
    .mutation()
    .arguments({ id: a.id().required() })
    .returns(a.ref('Post'))
    .handler(a.handler.custom({ dataSource: a.ref('Post'), entry: './like-post.js' }))
    .authorization((allow) => [allow.authenticated()]),
});

export type Schema = ClientSchema<typeof schema>;

export const data = defineData({
  schema,
  authorizationModes: { defaultAuthorizationMode: 'apiKey', apiKeyAuthorizationMode: { expiresInDays: 30 } },
});
