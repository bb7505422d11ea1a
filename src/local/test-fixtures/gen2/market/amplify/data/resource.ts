import { a, type ClientSchema, defineData } from '@aws-amplify/backend';
import { openShop } from '../functions/open-shop/resource';
import { quotePrice } from '../functions/quote-price/resource';

const schema = a
  .schema({
    Category: a.enum(['BOOK', 'TOOL', 'GAME']),
    Price: a.customType({ amount: a.float().required(), currency: a.string() }),
    Quote: a.customType({ sku: a.string().required(), name: a.string(), total: a.float(), currency: a.string() }),
    Deal: a.customType({ shopId: a.string().required(), text: a.string().required() }),
    Rate: a.customType({ currency: a.string().required(), rate: a.float(), source: a.string() }),

    /** Keyed by shop and SKU; guests and identity-pool users read, Staff write; only Staff see the cost. */
    Product: a
      .model({
        shopId: a.string().required(),
        sku: a.string().required(),
        name: a.string().required(),
        category: a.ref('Category').required(),
        price: a.ref('Price'),
        cost: a.float().authorization((allow) => [allow.groups(['Staff'])]),
      })
      .identifier(['shopId', 'sku'])
      .secondaryIndexes((index) => [index('category').sortKeys(['name']).queryField('listByCategory')])
      .authorization((allow) => [
        allow.guest().to(['read']),
        allow.authenticated('identityPool').to(['read']),
        allow.authenticated().to(['read']),
        allow.groups(['Staff']),
      ]),

    /** Owners write and edit their reviews but may not delete them; Staff moderate. */
    Review: a
      .model({ text: a.string().required(), stars: a.integer() })
      .authorization((allow) => [
        allow.owner().to(['create', 'read', 'update']),
        allow.authenticated().to(['read']),
        allow.groups(['Staff']),
      ]),

    /** Shared documents: the users listed as editors, and the group named on the item. */
    Doc: a
      .model({ title: a.string().required(), editors: a.string().array(), team: a.string() })
      .authorization((allow) => [allow.ownersDefinedIn('editors'), allow.groupDefinedIn('team')]),

    /** Shops are opened by a function through the data client (the schema grants it access); users read them. */
    Shop: a.model({ name: a.string().required() }).authorization((allow) => [allow.authenticated().to(['read'])]),
    openShop: a
      .mutation()
      .arguments({ name: a.string().required() })
      .returns(a.id())
      .handler(a.handler.function(openShop))
      .authorization((allow) => [allow.groups(['Staff'])]),

    /** Append-only: no deletes, no subscriptions. */
    AuditEntry: a
      .model({ action: a.string().required() })
      .disableOperations(['delete', 'subscriptions'])
      .authorization((allow) => [allow.authenticated()]),

    /** Many-to-many through a join model. */
    Author: a
      .model({ name: a.string().required(), books: a.hasMany('Authorship', 'authorId') })
      .authorization((allow) => [allow.authenticated()]),
    Book: a
      .model({ title: a.string().required(), authors: a.hasMany('Authorship', 'bookId') })
      .authorization((allow) => [allow.authenticated()]),
    Authorship: a
      .model({
        authorId: a.id().required(),
        bookId: a.id().required(),
        author: a.belongsTo('Author', 'authorId'),
        book: a.belongsTo('Book', 'bookId'),
      })
      .authorization((allow) => [allow.authenticated()]),

    /** A pipeline of two APPSYNC_JS steps: the first reads the product, the second (NONE) prices it. */
    quote: a
      .query()
      .arguments({ shopId: a.string().required(), sku: a.string().required(), quantity: a.integer().required() })
      .returns(a.ref('Quote'))
      .handler([
        a.handler.custom({ dataSource: a.ref('Product'), entry: './get-product.js' }),
        a.handler.custom({ entry: './price.js' }),
      ])
      .authorization((allow) => [allow.publicApiKey(), allow.authenticated()]),

    /** A function with its own environment, timeout and memory, in the data stack. */
    withTax: a
      .query()
      .arguments({ amount: a.float().required() })
      .returns(a.float())
      .handler(a.handler.function(quotePrice))
      .authorization((allow) => [allow.guest(), allow.authenticated()]),

    /** An HTTP data source (backend.ts adds it) behind an APPSYNC_JS handler. */
    exchangeRate: a
      .query()
      .arguments({ currency: a.string().required() })
      .returns(a.ref('Rate'))
      .handler(a.handler.custom({ dataSource: 'RatesApi', entry: './get-rate.js' }))
      .authorization((allow) => [allow.publicApiKey(), allow.authenticated()]),

    /** A mutation on the NONE data source, and a subscription to it filtered by shop. */
    publishDeal: a
      .mutation()
      .arguments({ shopId: a.string().required(), text: a.string().required() })
      .returns(a.ref('Deal'))
      .handler(a.handler.custom({ entry: './publish-deal.js' }))
      .authorization((allow) => [allow.groups(['Staff'])]),
    onDeal: a
      .subscription()
      .for(a.ref('publishDeal'))
      .arguments({ shopId: a.string() })
      .handler(a.handler.custom({ entry: './on-deal.js' }))
      .authorization((allow) => [allow.authenticated()]),
  })
  .authorization((allow) => [allow.resource(openShop)]);

export type Schema = ClientSchema<typeof schema>;

export const data = defineData({
  schema,
  authorizationModes: { defaultAuthorizationMode: 'userPool', apiKeyAuthorizationMode: { expiresInDays: 7 } },
});
