import { defineBackend } from '@aws-amplify/backend';
import { Duration, Stack } from 'aws-cdk-lib';
import { auth } from './auth/resource';
import { hardenAmplifyManaged } from './custom/amplify-managed-hardening';
import { ApiWaf } from './custom/api-waf';
import { hardenAuth } from './custom/auth-hardening';
import { parseBackendConfig } from './custom/config';
import { deploymentTypeOf, protectData } from './custom/data-protection';
import { MediaCdn } from './custom/media-cdn';
import { hardenMediaBucket, keepOwnerAccessInGroups } from './custom/media-storage';
import { Monitoring } from './custom/monitoring';
import { applyNagChecks } from './custom/nag';
import { connectPushFunction, PushNotifications } from './custom/push-notifications';
import { connectSearch } from './custom/search-domain';
import { StreamConsumer } from './custom/stream-consumer';
import { data } from './data/resource';
import { conflictHandler } from './functions/conflict-handler/resource';
import { indexer } from './functions/indexer/resource';
import { postConfirmation } from './functions/post-confirmation/resource';
import { push } from './functions/push/resource';
import { restApi } from './functions/rest-api/resource';
import { search } from './functions/search/resource';
import { NotesRestApi, REST_API_NAME, REST_STAGE, restCorsOrigins } from './rest/resource';
import { storage } from './storage/resource';

const config = parseBackendConfig(process.env);
// conflictHandler is data's (defineData invokes it); listed here so that monitoring can reach its lambda.
const backend = defineBackend({
  auth,
  data,
  storage,
  postConfirmation,
  indexer,
  search,
  push,
  conflictHandler,
  restApi,
});
const table = (model: 'Note' | 'Device' | 'Message') => {
  const found = backend.data.resources.tables[model];
  if (!found) throw new Error(`The data schema has no ${model} model`);
  return found;
};
const fnOf = (f: typeof backend.indexer) => ({ fn: f.resources.lambda, addEnvironment: f.addEnvironment.bind(f) });
const deploymentType = deploymentTypeOf(backend.stack);

// Auth: what defineAuth does not expose.
hardenAuth(backend.auth.resources, config.authEmail);

// Storage: hardened bucket, archive rule, and the CDN over the published prefix.
const { bucket, cfnResources: storageCfn } = backend.storage.resources;
const accessLogs = hardenMediaBucket(bucket, storageCfn.cfnBucket, deploymentType);
keepOwnerAccessInGroups(
  bucket,
  Object.fromEntries(Object.entries(backend.auth.resources.groups).map(([name, group]) => [name, group.role])),
);
const cdn = new MediaCdn(Stack.of(bucket), 'MediaCdn', { bucket, logBucket: accessLogs, config: config.cdn });

// Branch deploys keep users, data and media; sandboxes stay disposable. PITR on every table.
protectData(deploymentType, {
  userPool: backend.auth.resources.cfnResources.cfnUserPool,
  modelTables: backend.data.resources.cfnResources.amplifyDynamoDbTables,
  otherTables: backend.data.resources.cfnResources.cfnTables,
  mediaBucket: storageCfn.cfnBucket,
});

// Amplify Data's own codegen bucket and API logging role, hardened where an escape hatch can.
hardenAmplifyManaged(backend.data.resources.graphqlApi);

// Search: the Note stream feeds the indexer; CloudSearch's guidance is one batch per ~10 s.
const dataStack = Stack.of(backend.indexer.resources.lambda);
const searchDomain = connectSearch(
  dataStack,
  config.search,
  { indexer: fnOf(backend.indexer), search: fnOf(backend.search) },
  { type: deploymentType, backendName: backend.stack.stackName },
);
const noteIndexing = new StreamConsumer(dataStack, 'NoteIndexing', {
  table: table('Note'),
  fn: backend.indexer.resources.lambda,
  batchSize: 1000,
  maxBatchingWindow: Duration.seconds(10),
});

// Push: new messages are pushed to the recipient's devices.
const pushApp = new PushNotifications(backend.createStack('push'), 'PushNotifications', config.push);
connectPushFunction(pushApp, table('Device'), fnOf(backend.push));
const messagePush = new StreamConsumer(dataStack, 'MessagePush', {
  table: table('Message'),
  fn: backend.push.resources.lambda,
  batchSize: 25,
  maxBatchingWindow: Duration.seconds(1),
  eventNames: ['INSERT'],
});

// REST: the same data for clients that do not speak GraphQL, through the GraphQL API with the caller's token.
const rest = new NotesRestApi(Stack.of(backend.restApi.resources.lambda), 'NotesRestApi', {
  handler: fnOf(backend.restApi),
  userPool: backend.auth.resources.userPool,
  graphqlUrl: backend.data.graphqlUrl,
  identityPoolId: backend.auth.resources.cfnResources.cfnIdentityPool.ref,
  mediaBucketName: bucket.bucketName,
  allowOrigins: restCorsOrigins(process.env),
});

// Monitoring: one dashboard, alarms on the API, the functions and the stream mappings.
new Monitoring(backend.createStack('monitoring'), 'Monitoring', {
  graphqlApiId: backend.data.apiId,
  functions: {
    postConfirmation: backend.postConfirmation.resources.lambda,
    indexer: backend.indexer.resources.lambda,
    search: backend.search.resources.lambda,
    push: backend.push.resources.lambda,
    conflictHandler: backend.conflictHandler.resources.lambda,
    restApi: backend.restApi.resources.lambda,
  },
  restApi: { apiName: REST_API_NAME, stage: REST_STAGE },
  streamConsumers: {
    noteIndexing: { fn: backend.indexer.resources.lambda, deadLetterQueue: noteIndexing.deadLetterQueue },
    messagePush: { fn: backend.push.resources.lambda, deadLetterQueue: messagePush.deadLetterQueue },
  },
  notify: config.alarms,
  openSearchDomainName: searchDomain?.domain.domainName,
});

// Optional: a web ACL on the API, with the sendMessage limit.
if (config.apiWaf.enabled) {
  new ApiWaf(backend.createStack('protection'), 'ApiWaf', {
    apiArn: backend.data.resources.graphqlApi.arn,
    sendMessageLimit: config.apiWaf.sendMessageLimit,
  });
}

// What apps read from amplify_outputs.json beyond auth, data and storage.
backend.addOutput({ custom: { media_cdn_url: cdn.url, API: rest.output } });

if (process.env.CDK_NAG === '1') applyNagChecks(backend.stack);
