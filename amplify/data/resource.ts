import { a, type ClientSchema } from '@aws-amplify/backend';
import { conflictHandler } from '../functions/conflict-handler/resource';
import { postConfirmation } from '../functions/post-confirmation/resource';
import { push } from '../functions/push/resource';
import { search } from '../functions/search/resource';
import { LIMITS } from '../shared/limits';
import { defineSyncedData } from './synced-data';

export const schema = a.schema({
  DevicePlatform: a.enum(['APNS', 'APNS_SANDBOX', 'FCM']),

  Note: a
    .model({
      // Declared so that the create auth step's field allow-list (written because of the owner
      // field's rule) names it: DataStore always sends the id it generated.
      id: a.id().required(),
      headline: a
        .string()
        .required()
        .validate((v) =>
          v
            .minLength(1, 'headline must not be empty')
            .maxLength(LIMITS.headlineMax, `headline must be at most ${LIMITS.headlineMax} characters`),
        ),
      text: a
        .string()
        .validate((v) => v.maxLength(LIMITS.noteTextMax, `text must be at most ${LIMITS.noteTextMax} characters`)),
      photoKey: a
        .string()
        .validate((v) =>
          v.maxLength(LIMITS.storageKeyMax, `photoKey must be at most ${LIMITS.storageKeyMax} characters`),
        ),
      // Declared so that it can carry the owner index; nobody may reassign it.
      owner: a.string().authorization((allow) => [allow.owner().to(['read', 'delete'])]),
    })
    .secondaryIndexes((index) => [index('owner').name('byOwner').queryField('listNotesByOwner')])
    // No Scan-based list: "my notes" is a Query on the owner index; DataStore uses syncNotes.
    .disableOperations(['list'])
    .authorization((allow) => [allow.owner(), allow.group('Admins').to(['read'])]),

  UserProfile: a
    .model({
      displayName: a
        .string()
        .validate((v) =>
          v.maxLength(LIMITS.displayNameMax, `displayName must be at most ${LIMITS.displayNameMax} characters`),
        ),
      preferences: a.json(),
      appState: a.json(),
      owner: a.string().authorization((allow) => [allow.owner().to(['read'])]),
    })
    .secondaryIndexes((index) => [index('owner').name('byOwner').queryField('listUserProfilesByOwner')])
    .disableOperations(['list'])
    // Created only by the post-confirmation trigger (id = the user's sub), so there is exactly one per user.
    .authorization((allow) => [allow.owner().to(['read', 'update'])]),

  Device: a
    .model({
      // See Note.id.
      id: a.id().required(),
      token: a
        .string()
        .required()
        .validate((v) =>
          v
            .minLength(1, 'token must not be empty')
            .maxLength(LIMITS.deviceTokenMax, `token must be at most ${LIMITS.deviceTokenMax} characters`),
        ),
      platform: a.ref('DevicePlatform').required(),
      owner: a.string().authorization((allow) => [allow.owner().to(['read', 'delete'])]),
    })
    .secondaryIndexes((index) => [index('owner').name('byOwner').queryField('listDevicesByOwner')])
    .disableOperations(['list'])
    .authorization((allow) => [allow.owner()]),

  Message: a
    .model({
      // The sender's sub; the owner field below carries the sender's full identity.
      sender: a.id().required(),
      // The recipient's owner identity (`<sub>::<username>`), resolved by sendMessage.
      recipient: a.string().required(),
      body: a.string().required(),
      owner: a.string(),
    })
    .secondaryIndexes((index) => [
      index('owner').name('byOwner').queryField('listMessagesByOwner'),
      index('recipient').name('byRecipient').queryField('listMessagesByRecipient'),
    ])
    .disableOperations(['list'])
    // Messages are written only through sendMessage; the model grants no create or update.
    .authorization((allow) => [allow.owner().to(['read', 'delete']), allow.ownerDefinedIn('recipient').to(['read'])]),

  NoteSearchHit: a.customType({
    id: a.id().required(),
    headline: a.string().required(),
    text: a.string(),
    photoKey: a.string(),
    updatedAt: a.datetime(),
    score: a.float(),
  }),

  NoteSearchPage: a.customType({
    items: a.ref('NoteSearchHit').required().array().required(),
    nextToken: a.string(),
    total: a.integer().required(),
  }),

  searchNotes: a
    .query()
    .arguments({ query: a.string().required(), limit: a.integer(), nextToken: a.string() })
    .returns(a.ref('NoteSearchPage'))
    .authorization((allow) => [allow.authenticated()])
    .handler(a.handler.function(search)),

  sendMessage: a
    .mutation()
    .arguments({ recipientId: a.id().required(), body: a.string().required() })
    .returns(a.ref('Message'))
    .authorization((allow) => [allow.authenticated()])
    .handler([
      a.handler.custom({ dataSource: a.ref('UserProfile'), entry: './resolvers/resolve-recipient.js' }),
      a.handler.custom({ dataSource: a.ref('Message'), entry: './resolvers/store-message.js' }),
    ]),

  onMessageReceived: a
    .subscription()
    .for(a.ref('sendMessage'))
    .authorization((allow) => [allow.authenticated()])
    .handler(a.handler.custom({ entry: './resolvers/filter-recipient.js' })),
});

export type Schema = ClientSchema<typeof schema>;

export const data = defineSyncedData({
  schema,
  // Versionless writes (client.models) win; versioned ones (DataStore) merge as AUTOMERGE does.
  conflictResolution: { detectionType: 'VERSION', handlerType: 'LAMBDA', conflictHandler },
  hideDeletedRecords: true,
  // Both write as the versioned data source does, so DataStore sees their changes by delta sync.
  tableAccess: [
    { function: postConfirmation, model: 'UserProfile', actions: ['dynamodb:PutItem'], versioned: true },
    { function: push, model: 'Device', actions: ['dynamodb:UpdateItem'], versioned: true },
  ],
});
