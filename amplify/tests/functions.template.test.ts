import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { STREAM_MAPPING_DEFAULTS } from '../custom/stream-consumer';
import { Assembly, type FoundResource, isRecord, props } from './assembly';

const sandbox = new Assembly('sandbox');
const configured = new Assembly('configured');
const data = sandbox.assert('data');

const FUNCTIONS = ['postconfirmation', 'indexer', 'search', 'push'] as const;

const lambda = (assembly: Assembly, name: string): FoundResource => {
  const found = assembly
    .resources('AWS::Lambda::Function')
    .find((f) => new RegExp(`^${name}lambda[0-9A-F]{8}$`).test(f.logicalId));
  if (!found) throw new Error(`no ${name} function`);
  return found;
};

/** The statements that grant an action, as JSON, for matching resources. */
const granting = (statements: unknown[], action: string): string[] =>
  statements
    .filter((s) => isRecord(s) && (s.Action === action || (Array.isArray(s.Action) && s.Action.includes(action))))
    .map((s) => JSON.stringify(isRecord(s) ? s.Resource : s));

/** Every statement in the policies attached to a function's role. */
const roleStatements = (assembly: Assembly, name: string): unknown[] => {
  const role = props(lambda(assembly, name)).Role;
  const roleId = isRecord(role) && Array.isArray(role['Fn::GetAtt']) ? String(role['Fn::GetAtt'][0]) : '';
  return assembly
    .resources('AWS::IAM::Policy')
    .filter((p) => JSON.stringify(props(p).Roles).includes(roleId.slice(0, -8)))
    .flatMap((p) => {
      const document = props(p).PolicyDocument;
      return isRecord(document) && Array.isArray(document.Statement) ? document.Statement : [];
    });
};

describe('functions', () => {
  it('run on Node.js 24 with JSON logs kept for a month', () => {
    for (const name of FUNCTIONS) {
      expect(props(lambda(sandbox, name)), name).toMatchObject({
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.stringMatching(new RegExp(`^${name}logs`)) } },
      });
    }
    const retention = sandbox
      .resources('AWS::Logs::LogGroup')
      .filter((g) => FUNCTIONS.some((name) => g.logicalId.startsWith(`${name}logs`)));
    expect(retention.map((g) => props(g).RetentionInDays)).toEqual([30, 30, 30, 30]);
  });

  it('log only to their own log group: no AWS-managed execution policy', () => {
    for (const name of FUNCTIONS) {
      const role = sandbox.resources('AWS::IAM::Role').find((r) => r.logicalId.startsWith(`${name}role`));
      expect(props(role).ManagedPolicyArns ?? [], name).toEqual([]);
      expect(granting(roleStatements(sandbox, name), 'logs:PutLogEvents'), name).toEqual([
        expect.stringMatching(new RegExp(`^\\{"Fn::GetAtt":\\["${name}logs[0-9A-F]{8}","Arn"\\]\\}$`)),
      ]);
    }
  });

  it('give post-confirmation PutItem on the UserProfile and DeltaSync tables only, their names through SSM', () => {
    const statements = roleStatements(sandbox, 'postconfirmation');
    const putItem = granting(statements, 'dynamodb:PutItem');
    expect(putItem).toHaveLength(2);
    expect(putItem.find((r) => /UserProfile.*TableArn/.test(r))).toBeDefined();
    expect(putItem.find((r) => /DataStore.*Arn/.test(r))).toBeDefined();
    expect(JSON.stringify(statements)).not.toMatch(/dynamodb:(Scan|DeleteItem|UpdateItem|Query)/);
    const env = props(lambda(sandbox, 'postconfirmation')).Environment;
    const parameter =
      isRecord(env) && isRecord(env.Variables) ? String(env.Variables.USERPROFILE_TABLE_NAME_PARAMETER) : '';
    expect(parameter).toMatch(/^\/amplify\/resource_reference\/mobilebackend\/.*\/USERPROFILE_TABLE_NAME$/);
    const deltaParameter =
      isRecord(env) && isRecord(env.Variables) ? String(env.Variables.DELTASYNC_TABLE_NAME_PARAMETER) : '';
    expect(deltaParameter).toMatch(/^\/amplify\/resource_reference\/mobilebackend\/.*\/DELTASYNC_TABLE_NAME$/);
    expect(env).toMatchObject({ Variables: { DELTASYNC_TABLE_TTL_MINUTES: '30', BASE_TABLE_TTL_MINUTES: '43200' } });
    const parameters = granting(statements, 'ssm:GetParameter');
    expect(parameters).toHaveLength(2);
    expect(parameters).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`:parameter${deltaParameter}`),
        expect.stringContaining(`:parameter${parameter}`),
      ]),
    );
    data.hasResourceProperties('AWS::SSM::Parameter', {
      Name: Match.stringLikeRegexp('USERPROFILE_TABLE_NAME$'),
      Value: Match.anyValue(),
    });
  });

  it('point the search functions at the configured CloudSearch domain, each with its one action', () => {
    expect(props(lambda(configured, 'indexer')).Environment).toMatchObject({
      Variables: { CLOUDSEARCH_DOCUMENT_ENDPOINT: 'https://doc-notes-abc123.eu-west-1.cloudsearch.amazonaws.com' },
    });
    expect(props(lambda(configured, 'search')).Environment).toMatchObject({
      Variables: { CLOUDSEARCH_SEARCH_ENDPOINT: 'https://search-notes-abc123.eu-west-1.cloudsearch.amazonaws.com' },
    });
    // The domain's fields, which CloudFormation cannot carry otherwise (the local mode indexes the text ones).
    for (const name of ['indexer', 'search']) {
      const environment = props(lambda(configured, name)).Environment;
      const variables = isRecord(environment) && isRecord(environment.Variables) ? environment.Variables : {};
      expect(JSON.parse(String(variables.CLOUDSEARCH_INDEX_FIELDS))).toContainEqual({ name: 'headline', type: 'text' });
    }
    expect(granting(roleStatements(configured, 'indexer'), 'cloudsearch:document')).toEqual([
      expect.stringMatching(/:cloudsearch:.*:domain\/notes"\]\]\}$/),
    ]);
    expect(granting(roleStatements(configured, 'search'), 'cloudsearch:search')).toEqual([
      expect.stringMatching(/:cloudsearch:.*:domain\/notes"\]\]\}$/),
    ]);
    expect(JSON.stringify(roleStatements(configured, 'search'))).not.toMatch(/cloudsearch:document/);
  });

  it('let push send through its own messaging application and read devices by owner', () => {
    const statements = roleStatements(sandbox, 'push');
    expect(granting(statements, 'mobiletargeting:SendMessages')).toEqual([
      expect.stringMatching(/:apps\/".*PushNotificationsApp.*"\/messages"/),
    ]);
    expect(granting(statements, 'dynamodb:Query')).toEqual([expect.stringMatching(/DeviceTable.*\/index\/byOwner/)]);
    // An invalid token's device is soft-deleted (UpdateItem) with a DeltaSync entry (PutItem), as the API does.
    expect(granting(statements, 'dynamodb:UpdateItem')).toEqual([expect.stringMatching(/DeviceTable/)]);
    expect(granting(statements, 'dynamodb:PutItem')).toEqual([expect.stringMatching(/DataStore/)]);
    // Push never hard-deletes a device: DataStore would not learn of it.
    expect(granting(statements, 'dynamodb:DeleteItem')).toEqual([]);
    expect(JSON.stringify(statements)).not.toMatch(
      /mobiletargeting:(UpdateEndpoint|CreateSegment|CreateCampaign|PutEvents)/,
    );
  });
});

describe('stream mappings', () => {
  const mapping = (prefix: string) =>
    props(sandbox.resources('AWS::Lambda::EventSourceMapping').find((m) => m.logicalId.startsWith(prefix)));

  it('report per-record failures, bisect, retry a bounded number of times and keep what fails in a queue', () => {
    for (const prefix of ['NoteIndexingMapping', 'MessagePushMapping']) {
      expect(mapping(prefix), prefix).toMatchObject({
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: STREAM_MAPPING_DEFAULTS.retryAttempts,
        MaximumRecordAgeInSeconds: STREAM_MAPPING_DEFAULTS.maxRecordAgeHours * 3600,
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [expect.stringMatching(/DeadLetterQueue/), 'Arn'] } },
        },
      });
    }
    expect(STREAM_MAPPING_DEFAULTS.retryAttempts).toBeGreaterThan(0);
  });

  it("feed the indexer from the Note stream in 10-second windows, one shard batch at a time (CloudSearch's guidance)", () => {
    expect(mapping('NoteIndexingMapping')).toMatchObject({
      EventSourceArn: {
        'Fn::GetAtt': [expect.stringMatching(/Note/), expect.stringMatching(/NoteTable.*TableStreamArn$/)],
      },
      FunctionName: { Ref: expect.stringMatching(/^indexerlambda/) },
      MaximumBatchingWindowInSeconds: 10,
      ParallelizationFactor: 1,
    });
    expect(mapping('NoteIndexingMapping').FilterCriteria).toBeUndefined();
  });

  it('feed push with new messages only', () => {
    expect(mapping('MessagePushMapping')).toMatchObject({
      EventSourceArn: {
        'Fn::GetAtt': [expect.stringMatching(/Message/), expect.stringMatching(/MessageTable.*TableStreamArn$/)],
      },
      FunctionName: { Ref: expect.stringMatching(/^pushlambda/) },
      FilterCriteria: { Filters: [{ Pattern: '{"eventName":["INSERT"]}' }] },
    });
  });

  it('read the stream with permissions named on the stream', () => {
    for (const name of ['indexer', 'push']) {
      const streamRead = roleStatements(sandbox, name).filter((s) => JSON.stringify(s).includes('dynamodb:GetRecords'));
      expect(streamRead, name).toHaveLength(1);
      expect(JSON.stringify(streamRead[0])).toMatch(/TableStreamArn/);
    }
  });

  it('use dead-letter queues that are encrypted and TLS-only', () => {
    data.resourcePropertiesCountIs('AWS::SQS::Queue', { SqsManagedSseEnabled: true }, 2);
    data.resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      {
        PolicyDocument: {
          Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })],
        },
      },
      2,
    );
  });
});

describe('push channels', () => {
  it('exist only when configured, with credentials as Secrets Manager references', () => {
    expect(sandbox.resources('AWS::Pinpoint::APNSChannel')).toHaveLength(0);
    expect(sandbox.resources('AWS::Pinpoint::GCMChannel')).toHaveLength(0);
    expect(sandbox.resources('AWS::Pinpoint::App')).toHaveLength(1);
    const apns = props(configured.resources('AWS::Pinpoint::APNSChannel')[0]);
    const fcm = props(configured.resources('AWS::Pinpoint::GCMChannel')[0]);
    expect(apns).toMatchObject({ DefaultAuthenticationMethod: 'TOKEN', Enabled: true });
    expect(apns.TokenKey).toBe('{{resolve:secretsmanager:mobile/apns:SecretString:tokenKey::}}');
    expect(fcm).toMatchObject({
      DefaultAuthenticationMethod: 'TOKEN',
      ServiceJson: '{{resolve:secretsmanager:mobile/fcm:SecretString:::}}',
    });
  });
});
