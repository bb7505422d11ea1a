import { a, type ClientSchema, defineData } from '@aws-amplify/backend';
import { authorizer } from '../functions/authorizer/resource';
import { teamScore } from '../functions/team-score/resource';

const schema = a.schema({
  Team: a
    .model({
      name: a.string().required(),
      secret: a.string(),
      crest: a.ref('Crest'),
      members: a.hasMany('Member', 'teamId'),
      badge: a.hasOne('Badge', 'teamId'),
    })
    .authorization((allow) => [allow.custom(), allow.owner('oidc').identityClaim('sub')]),
  Crest: a.customType({ colour: a.string(), motto: a.string() }),
  Member: a
    .model({ name: a.string().required(), teamId: a.id(), team: a.belongsTo('Team', 'teamId') })
    .authorization((allow) => [allow.custom(), allow.groups(['Coaches'], 'oidc').withClaimIn('groups')]),
  Badge: a
    .model({ label: a.string().required(), teamId: a.id(), team: a.belongsTo('Team', 'teamId') })
    .authorization((allow) => [allow.custom()]),
  Notice: a
    .model({ text: a.string().required() })
    .authorization((allow) => [allow.publicApiKey().to(['read']), allow.owner()]),
  whoAmI: a
    .query()
    .returns(a.string())
    .handler(a.handler.function(teamScore))
    .authorization((allow) => [allow.custom(), allow.authenticated('oidc')]),
  addScore: a
    .mutation()
    .arguments({ points: a.integer().required() })
    .returns(a.integer())
    .handler(a.handler.function(teamScore))
    .authorization((allow) => [allow.custom()]),
  onTeamNamed: a
    .subscription()
    .for(a.ref('Team').mutations(['create']))
    .handler(a.handler.custom({ entry: './on-team-named.js' }))
    .authorization((allow) => [allow.custom()]),
});

export type Schema = ClientSchema<typeof schema>;

export const data = defineData({
  schema,
  authorizationModes: {
    defaultAuthorizationMode: 'lambda',
    lambdaAuthorizationMode: { function: authorizer, timeToLiveInSeconds: 300 },
    oidcAuthorizationMode: {
      oidcProviderName: 'TeamIdP',
      oidcIssuerUrl: 'https://idp.team-board.example',
      clientId: 'team-board-(web|mobile)',
      tokenExpiryFromAuthInSeconds: 3600,
      tokenExpireFromIssueInSeconds: 1800,
    },
    apiKeyAuthorizationMode: { expiresInDays: 30 },
  },
});
