import type { CloudAssembly, FoundResource } from '../cloud/assembly';
import type { PolicyDocument } from '../iam/policy';
import { rolePolicies } from '../iam/roles';
import { templateSecretProblem } from '../secretsmanager/template';
import { LOCAL_TRIGGERS, triggersOfLambdaConfig } from './auth';
import { usedFunctionIds } from './functions';
import { isRecord } from './names';
import { type UnsupportedFeature, UnsupportedFeatureError } from './unsupported';

/**
 * What the local backend does with each resource of the assembly: every type
 * is either run by a local service, deliberately ignored because it has no
 * local effect, or unsupported. A type not listed is unsupported. To support a
 * type, move it to `HANDLED` (with the service that runs it) or give it a
 * check in `CHECKS` that says when it is supported.
 */
export type Support =
  | { kind: 'handled'; by: string }
  | { kind: 'ignored'; why: string }
  | { kind: 'unsupported'; feature: string };

/** Types a local service runs, and which. */
const HANDLED: Record<string, string> = {
  'AWS::CloudFormation::Stack': 'the assembly reader (nested stacks)',
  'AWS::AppSync::GraphQLApi': 'the GraphQL server',
  'AWS::AppSync::GraphQLSchema': 'the GraphQL server',
  'AWS::AppSync::Resolver': 'the GraphQL server',
  'AWS::AppSync::FunctionConfiguration': 'the GraphQL server',
  'AWS::AppSync::ApiKey': 'the GraphQL server (API keys)',
  'AWS::Cognito::UserPoolClient': 'the local user pool',
  'AWS::Cognito::UserPoolGroup': 'the local user pool',
  'AWS::Cognito::UserPoolDomain': 'the local hosted UI (/oauth2/* and /logout on the user pool’s port, HTTPS)',
  'AWS::Cognito::UserPoolIdentityProvider': 'the local hosted UI (a stand-in sign-in page per provider)',
  'Custom::AmplifySecretFetcherResource':
    'the local hosted UI: its stand-in providers need no client id or secret, so unset provider secrets do not stop the start',
  'AWS::Cognito::IdentityPool': 'the local identity pool',
  'AWS::Cognito::IdentityPoolRoleAttachment': 'the local identity pool',
  'AWS::DynamoDB::Table': 'DynamoDB',
  'Custom::AmplifyDynamoDBTable': 'DynamoDB (Amplify model tables)',
  'AWS::IAM::Role': 'the local IAM evaluation',
  'AWS::IAM::Policy': 'the local IAM evaluation',
  'AWS::IAM::ManagedPolicy': 'the local IAM evaluation (attached through its Roles)',
  'AWS::S3::Bucket': 'the local S3',
  'Custom::S3BucketNotifications': 'storage triggers',
  'Custom::CDKBucketDeployment':
    "the local S3 (its files are put in the bucket at start: Amplify's model schema, codegen assets)",
  'AWS::SSM::Parameter': 'the local SSM Parameter Store',
  'AWS::ApiGateway::RestApi': 'the local REST server',
  'AWS::ApiGateway::Resource': 'the local REST server',
  'AWS::ApiGateway::Method': 'the local REST server (Lambda proxy and MOCK integrations)',
  'AWS::ApiGateway::Authorizer': 'the local REST server (Cognito user pool authorizers)',
  'AWS::ApiGateway::RequestValidator': 'the local REST server',
  'AWS::ApiGateway::Model': 'the local REST server (request validation)',
  'AWS::ApiGateway::Stage': 'the local REST server (throttling, access logs)',
  'AWS::ApiGateway::Deployment': 'the local REST server (every method is deployed)',
  'AWS::ApiGateway::GatewayResponse': "the local REST server (API Gateway's own errors)",
  'AWS::Lambda::Permission': 'the local REST server invokes its integrations’ functions',
  'AWS::OpenSearchService::Domain': 'the local OpenSearch',
  'AWS::Pinpoint::App': 'the local push service (outbox)',
  'AWS::Scheduler::Schedule': 'the local scheduler (scheduled functions)',
  'AWS::Events::EventBus': 'the local EventBridge',
};

/** Types with no local effect, and why. */
const IGNORED: Record<string, string> = {
  'AWS::CDK::Metadata': 'CDK metadata',
  'AWS::Logs::LogGroup': 'logs go to the console',
  'AWS::Logs::ResourcePolicy': 'logs go to the console',
  'AWS::Logs::MetricFilter': 'no metrics locally',
  'Custom::LogRetention': 'logs go to the console',
  'AWS::CloudWatch::Alarm': 'no metrics locally',
  'AWS::CloudWatch::Dashboard': 'no metrics locally',
  'AWS::Lambda::Permission': 'local services invoke functions directly',
  'AWS::S3::BucketPolicy':
    "resource policies for deploy-time access (TLS, CDN); the local S3 checks the signer's role policies",
  'AWS::SQS::QueuePolicy': 'access to a queue',
  'AWS::SNS::TopicPolicy': 'access to a topic',
  'AWS::KMS::Key': 'encryption at rest; local data files are private to the user',
  'AWS::KMS::Alias': 'encryption at rest',
  'Custom::S3AutoDeleteObjects': "a deploy-time custom resource of CDK's",
  'Custom::AmplifyBranchLinkerResource': "a deploy-time custom resource of Amplify's (links the branch to its app)",
  'AWS::CloudFront::Distribution': 'a CDN in front of a bucket; locally the bucket serves directly',
  'AWS::CloudFront::Function': 'a CDN in front of a bucket',
  'AWS::CloudFront::OriginAccessControl': 'a CDN in front of a bucket',
  'AWS::CloudFront::OriginRequestPolicy': 'a CDN in front of a bucket',
  'AWS::CloudFront::ResponseHeadersPolicy': 'a CDN in front of a bucket',
  'AWS::CloudFront::CachePolicy': 'a CDN in front of a bucket',
  'AWS::WAFv2::WebACL': 'a web firewall in front of a cloud endpoint',
  'AWS::WAFv2::WebACLAssociation': 'a web firewall in front of a cloud endpoint',
  'AWS::Pinpoint::APNSChannel': "the push services' credentials; local pushes land in the outbox",
  'AWS::Pinpoint::APNSSandboxChannel': "the push services' credentials; local pushes land in the outbox",
  'AWS::Pinpoint::GCMChannel': "the push services' credentials; local pushes land in the outbox",
};

/** Actions of these IAM services have a local endpoint; a function whose policies name another one cannot run as in the cloud. */
export const LOCAL_IAM_SERVICES = new Set([
  'dynamodb',
  'events',
  's3',
  'ssm',
  'cognito-idp',
  'cognito-identity',
  'cloudsearch',
  'es',
  'mobiletargeting',
  'sqs',
  'sns',
  'secretsmanager',
  'lambda',
  // Deploy-time and observability actions with no local effect.
  'logs',
  'xray',
  'cloudwatch',
  'kms',
  'appsync',
]);

/** The subscription protocols the local SNS delivers, and how; `application` (mobile push) and `firehose` are not. */
const SNS_PROTOCOLS: Record<string, string> = {
  lambda: 'the local SNS (invokes the function)',
  sqs: 'the local SNS (sends to the local SQS)',
  email: 'the local SNS (written to <data>/sns-outbox.jsonl, not sent)',
  'email-json': 'the local SNS (written to <data>/sns-outbox.jsonl, not sent)',
  sms: 'the local SNS (written to <data>/sns-outbox.jsonl, not sent)',
  http: 'the local SNS (written to <data>/sns-outbox.jsonl, not posted)',
  https: 'the local SNS (written to <data>/sns-outbox.jsonl, not posted)',
};

const SUPPORTED_DATA_SOURCES = new Set(['NONE', 'AMAZON_DYNAMODB', 'AWS_LAMBDA', 'AMAZON_EVENTBRIDGE']);

const statementsOf = (documents: readonly PolicyDocument[]) =>
  documents.flatMap((d) => [d.Statement].flat()).filter((s) => s.Effect === 'Allow');

const actionsOf = (documents: readonly PolicyDocument[]): string[] =>
  statementsOf(documents).flatMap((s) => [s.Action ?? []].flat().map(String));

interface Context {
  assembly: CloudAssembly;
  /** The functions the local backend runs. */
  used: Set<string>;
  /** Every function of the assembly. */
  functionIds: string[];
  /** Each running function's role policies. */
  policiesOf(logicalId: string): PolicyDocument[];
  /** The queues that are only the on-failure destinations of stream mappings (dead letters, kept locally). */
  deadLetterQueues: Set<string>;
}

const functionLabel = (found: FoundResource) => `${found.stack.path}/${found.logicalId}`;

/** Checks for types that are supported in some uses and not in others. */
const CHECKS: Record<string, (found: FoundResource, context: Context) => Support> = {
  'AWS::Cognito::UserPool': (found) => {
    const props = found.stack.resolve(found.properties);
    const config = isRecord(props) && isRecord(props.LambdaConfig) ? props.LambdaConfig : {};
    const refused = Object.keys(triggersOfLambdaConfig(config)).filter(
      (member) => !LOCAL_TRIGGERS.some((t) => t === member),
    );
    return refused.length === 0
      ? { kind: 'handled', by: `the local user pool (triggers: ${LOCAL_TRIGGERS.join(', ')})` }
      : { kind: 'unsupported', feature: `the user-pool Lambda trigger(s) ${refused.join(', ')}` };
  },
  'AWS::Lambda::Function': (found, { used }) => {
    const props = found.stack.resolve(found.properties);
    const runtime = isRecord(props) ? String(props.Runtime ?? '') : '';
    // Every Gen 2 function runs (one with no trigger is invoked through the local Lambda API); the rest are deploy-time handlers.
    if (!used.has(found.logicalId)) return { kind: 'ignored', why: 'a deploy-time handler (custom resource)' };
    if (!runtime.startsWith('nodejs')) return { kind: 'unsupported', feature: `a function on the ${runtime} runtime` };
    if (isRecord(props) && Array.isArray(props.Layers) && props.Layers.length > 0)
      return { kind: 'unsupported', feature: 'a function with Lambda layers' };
    return { kind: 'handled', by: 'the local functions' };
  },
  'AWS::Lambda::LayerVersion': () => ({
    kind: 'ignored',
    why: 'layers of deploy-time handlers (a running function with layers is refused)',
  }),
  'AWS::Lambda::EventSourceMapping': (found) => {
    const source = String(found.stack.resolve(found.properties.EventSourceArn));
    if (/:dynamodb:.*\/stream\//.test(source)) return { kind: 'handled', by: 'the stream mappings' };
    if (/^arn:aws:sqs:/.test(source)) return { kind: 'handled', by: 'the queue mappings (local SQS)' };
    return { kind: 'unsupported', feature: `an event source mapping from ${source.split(':')[2] ?? source}` };
  },
  'AWS::AppSync::DataSource': (found) => {
    const type = String(found.stack.resolve(found.properties.Type));
    if (type === 'HTTP') {
      const config = found.stack.resolve(found.properties.HttpConfig);
      const signed = isRecord(config) && isRecord(config.AuthorizationConfig);
      return signed
        ? { kind: 'unsupported', feature: 'an HTTP data source signed with IAM (an AWS service endpoint)' }
        : { kind: 'handled', by: 'the GraphQL server (HTTP requests to the endpoint)' };
    }
    return SUPPORTED_DATA_SOURCES.has(type)
      ? { kind: 'handled', by: 'the GraphQL server' }
      : { kind: 'unsupported', feature: `an AppSync data source of type ${type}` };
  },
  'AWS::SQS::Queue': (found, { deadLetterQueues }) =>
    deadLetterQueues.has(found.logicalId)
      ? { kind: 'handled', by: 'the dead letters file (on-failure destination of a stream mapping)' }
      : { kind: 'handled', by: 'the local SQS' },
  'AWS::Events::Rule': (found) =>
    found.stack.resolve(found.properties.ScheduleExpression) !== undefined
      ? { kind: 'handled', by: 'the local scheduler (scheduled functions)' }
      : { kind: 'handled', by: 'the local EventBridge (event-pattern rules with Lambda targets)' },
  'AWS::SNS::Topic': (found) => {
    const list = found.stack.resolve(found.properties.Subscription);
    const unsupported = (Array.isArray(list) ? list : [])
      .map((s) => (isRecord(s) ? String(s.Protocol) : ''))
      .find((protocol) => !SNS_PROTOCOLS[protocol]);
    return unsupported !== undefined
      ? { kind: 'unsupported', feature: `an SNS subscription (${unsupported})` }
      : { kind: 'handled', by: 'the local SNS' };
  },
  'AWS::SNS::Subscription': (found) => {
    const protocol = String(found.stack.resolve(found.properties.Protocol));
    const by = SNS_PROTOCOLS[protocol];
    return by ? { kind: 'handled', by } : { kind: 'unsupported', feature: `an SNS subscription (${protocol})` };
  },
  'AWS::SecretsManager::Secret': (found) => {
    const problem = templateSecretProblem(found);
    return problem
      ? { kind: 'unsupported', feature: problem }
      : { kind: 'handled', by: 'the local Secrets Manager (generated values kept in the data folder)' };
  },
  'AWS::StepFunctions::StateMachine': (found) =>
    found.logicalId.startsWith('AmplifyTableWaiterStateMachine')
      ? { kind: 'ignored', why: "the waiter of Amplify's table manager (deploy time)" }
      : { kind: 'unsupported', feature: 'a Step Functions state machine' },
};

/** How the local backend treats one resource. */
export const supportOf = (found: FoundResource, context: Context): Support => {
  const check = CHECKS[found.type];
  if (check) return check(found, context);
  const by = HANDLED[found.type];
  if (by) return { kind: 'handled', by };
  const why = IGNORED[found.type];
  if (why) return { kind: 'ignored', why };
  return { kind: 'unsupported', feature: found.type };
};

const contextOf = (assembly: CloudAssembly): Context => {
  const used = usedFunctionIds(assembly);
  const policies = rolePolicies(assembly);
  const roleOf = new Map(
    assembly
      .resources('AWS::Lambda::Function')
      .map(({ logicalId, stack, properties }) => [logicalId, String(stack.resolve(properties.Role))]),
  );
  const onFailure = new Set(
    assembly.resources('AWS::Lambda::EventSourceMapping').flatMap(({ stack, properties }) => {
      const config = stack.resolve(properties.DestinationConfig);
      const destination = isRecord(config) && isRecord(config.OnFailure) ? config.OnFailure.Destination : undefined;
      return destination === undefined ? [] : [String(destination)];
    }),
  );
  const deadLetterQueues = new Set(
    assembly
      .resources('AWS::SQS::Queue')
      .filter((queue) => onFailure.has(String(queue.stack.getAtt(queue.logicalId, 'Arn'))))
      .map((queue) => queue.logicalId),
  );
  return {
    assembly,
    used,
    functionIds: [...roleOf.keys()],
    policiesOf: (id) => policies.get(roleOf.get(id) ?? '') ?? [],
    deadLetterQueues,
  };
};

/**
 * Everything the assembly uses that the local backend would not run: its
 * resources of unsupported types and uses, and the AWS services the running
 * functions' policies name that have no local endpoint (other than a queue
 * that only receives a stream mapping's failures).
 */
export const unsupportedFeaturesOf = (assembly: CloudAssembly): UnsupportedFeature[] => {
  const context = contextOf(assembly);
  const features: UnsupportedFeature[] = [];
  const functions = new Map<string, FoundResource>();
  for (const found of assembly.resources()) {
    if (found.type === 'AWS::Lambda::Function') functions.set(found.logicalId, found);
    const support = supportOf(found, context);
    if (support.kind === 'unsupported')
      features.push({ feature: support.feature, resource: `${found.type} ${functionLabel(found)}` });
  }
  const deadLetterArns = new Set(
    assembly
      .resources('AWS::SQS::Queue')
      .filter((q) => context.deadLetterQueues.has(q.logicalId))
      .map((q) => String(q.stack.getAtt(q.logicalId, 'Arn'))),
  );
  for (const id of context.used) {
    const found = functions.get(id);
    if (!found) continue;
    const services = new Set<string>();
    for (const statement of statementsOf(context.policiesOf(id))) {
      const resources = [statement.Resource ?? []].flat().map(String);
      // The queue a stream mapping sends its failures to is written locally (dead letters).
      if (resources.length > 0 && resources.every((r) => deadLetterArns.has(r))) continue;
      for (const action of [statement.Action ?? []].flat().map(String)) {
        const service = action.split(':')[0] ?? '';
        if (action.includes(':') && !LOCAL_IAM_SERVICES.has(service)) services.add(service);
      }
    }
    for (const service of services)
      features.push({
        feature: `${service} (its role's policies allow ${service}:… and there is no local ${service})`,
        resource: `AWS::Lambda::Function ${functionLabel(found)}`,
      });
  }
  return features;
};

/** Stops the start, listing every unsupported feature at once, when there is any. */
export const assertSupported = (assembly: CloudAssembly): void => {
  const features = unsupportedFeaturesOf(assembly);
  if (features.length > 0) throw new UnsupportedFeatureError(features);
};

/** The IAM services the running functions' policies name (`s3`, `ssm`, …): which endpoints they are given. */
export const servicesNamedByFunctions = (assembly: CloudAssembly): Set<string> => {
  const context = contextOf(assembly);
  return new Set(
    [...context.used].flatMap((id) => actionsOf(context.policiesOf(id)).map((a) => a.split(':')[0] ?? '')),
  );
};
