import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../shared/limits';
import { Assembly, isRecord, type Json, props } from './assembly';

const sandbox = new Assembly('sandbox');
const MODELS = ['Note', 'UserProfile', 'Device', 'Message'] as const;

/** The request templates of a resolver's pipeline functions, in order, with their data-source names. */
const pipeline = (
  stack: string,
  fieldName: string,
): Array<{ name: string; dataSource: unknown; request: string; response: string }> => {
  const template = sandbox.stack(stack);
  const resources = isRecord(template.Resources) ? template.Resources : {};
  const resolver = Object.values(resources).find(
    (r): r is Json =>
      isRecord(r) &&
      r.Type === 'AWS::AppSync::Resolver' &&
      isRecord(r.Properties) &&
      r.Properties.FieldName === fieldName,
  );
  if (!resolver || !isRecord(resolver.Properties)) throw new Error(`no resolver for ${fieldName} in ${stack}`);
  const config = resolver.Properties.PipelineConfig;
  const functions = isRecord(config) && Array.isArray(config.Functions) ? config.Functions : [];
  return functions.map((ref: unknown) => {
    const getAtt = isRecord(ref) ? ref['Fn::GetAtt'] : undefined;
    const logicalId = Array.isArray(getAtt) ? String(getAtt[0]) : '';
    const fn = resources[logicalId];
    if (!isRecord(fn) || !isRecord(fn.Properties)) throw new Error(`no function ${logicalId}`);
    const p = fn.Properties;
    const request =
      typeof p.RequestMappingTemplate === 'string'
        ? p.RequestMappingTemplate
        : p.RequestMappingTemplateS3Location
          ? sandbox.asset(p.RequestMappingTemplateS3Location)
          : p.CodeS3Location
            ? sandbox.asset(p.CodeS3Location)
            : '';
    const response =
      typeof p.ResponseMappingTemplate === 'string'
        ? p.ResponseMappingTemplate
        : p.ResponseMappingTemplateS3Location
          ? sandbox.asset(p.ResponseMappingTemplateS3Location)
          : '';
    return { name: String(p.Name), dataSource: p.DataSourceName, request, response };
  });
};

describe('GraphQL API', () => {
  it('authorizes with the user pool by default and IAM as the only other mode: no API key, nothing anonymous', () => {
    sandbox.assert('data').hasResourceProperties('AWS::AppSync::GraphQLApi', {
      AuthenticationType: 'AMAZON_COGNITO_USER_POOLS',
      AdditionalAuthenticationProviders: [{ AuthenticationType: 'AWS_IAM' }],
    });
    expect(sandbox.resources('AWS::AppSync::ApiKey')).toHaveLength(0);
    expect(sandbox.graphqlSchema()).not.toMatch(/@aws_api_key|@aws_oidc|@aws_lambda/);
  });

  it('logs field errors without request bodies or headers', () => {
    sandbox.assert('data').hasResourceProperties('AWS::AppSync::GraphQLApi', {
      LogConfig: { FieldLogLevel: 'ERROR', ExcludeVerboseContent: true, CloudWatchLogsRoleArn: Match.anyValue() },
    });
  });

  it('gives the guest role nothing: no policy is attached to the unauthenticated role', () => {
    const unauthRoles = sandbox
      .resources('AWS::IAM::Role')
      .filter((r) => JSON.stringify(props(r).AssumeRolePolicyDocument).includes('"unauthenticated"'));
    expect(unauthRoles).toHaveLength(1);
    const roleId = unauthRoles[0]?.logicalId ?? '';
    const attached = sandbox
      .resources('AWS::IAM::Policy')
      .filter((p) => JSON.stringify(props(p).Roles ?? []).includes(roleId));
    expect(attached).toHaveLength(0);
    expect(props(unauthRoles[0]).Policies ?? []).toEqual([]);
  });
});

describe('owner-based authorization', () => {
  it('lists "my" items with a DynamoDB Query on the owner index, bound to the caller', () => {
    for (const [stack, field] of [
      ['data/Note', 'listNotesByOwner'],
      ['data/Device', 'listDevicesByOwner'],
      ['data/Message', 'listMessagesByRecipient'],
      ['data/UserProfile', 'listUserProfilesByOwner'],
    ] as const) {
      const steps = pipeline(stack, field);
      const auth = steps.find((s) => s.name.includes('auth0'));
      const data = steps.find((s) => s.name.includes('DataResolverFn'));
      expect(data?.request, field).toMatch(/"operation": "Query"/);
      expect(data?.request, field).toMatch(/"index": "by(Owner|Recipient)"/);
      expect(data?.request, field).not.toMatch(/"operation": "Scan"/);
      // The auth step puts the caller's own identity into the key when the argument is not theirs.
      expect(auth?.request, field).toMatch(/\$ctx\.args\.put\(\$entry\.key/);
      expect(auth?.request, field).toMatch(/cognito:username/);
    }
  });

  it('has no Scan-based list at all: no list query, no Scan in any query resolver', () => {
    const schema = sandbox.graphqlSchema();
    for (const model of MODELS) {
      expect(schema, model).not.toMatch(new RegExp(`\\blist${model}s\\(`));
    }
    const queryFunctions = sandbox
      .resources('AWS::AppSync::FunctionConfiguration')
      .filter((f) => /^Query.*DataResolverFn$/.test(String(props(f).Name)));
    expect(queryFunctions.length).toBeGreaterThanOrEqual(MODELS.length * 3);
    for (const fn of queryFunctions) {
      const p = props(fn);
      const request = p.RequestMappingTemplateS3Location ? sandbox.asset(p.RequestMappingTemplateS3Location) : '';
      expect(request, String(p.Name)).not.toMatch(/"operation": "Scan"/);
    }
  });

  it('lets only Admins, besides the owner, read notes', () => {
    const schema = sandbox.graphqlSchema();
    // No auth directive: the type is reachable through the default mode, the user pool, alone.
    expect(schema).toMatch(/type Note \{/);
    const getNoteAuth = pipeline('data/Note', 'getNote').find((s) => s.name.includes('auth0'))?.request ?? '';
    expect(getNoteAuth).toMatch(/"Admins"/);
    const updateNoteAuth = pipeline('data/Note', 'updateNote')
      .map((s) => s.request)
      .join('\n');
    expect(updateNoteAuth).not.toMatch(/"Admins"/);
  });

  it('lets the owner create Notes and Devices with a client-chosen id (DataStore), never with an owner of their choosing', () => {
    for (const [stack, field, update] of [
      ['data/Note', 'createNote', 'updateNote'],
      ['data/Device', 'createDevice', 'updateDevice'],
    ] as const) {
      const create = pipeline(stack, field).find((s) => s.name.includes('auth0'))?.request ?? '';
      const allowed = /#set\( \$ownerAllowedFields0 = (\[[^\]]*\]) \)/.exec(create)?.[1];
      const fields: unknown = JSON.parse(allowed ?? 'null');
      expect(fields, field).toEqual(expect.arrayContaining(['id', '_version']));
      expect(fields, field).not.toContain('owner');
      // The owner field is filled in from the caller's claims only when the input does not name it.
      expect(create, field).toMatch(/\$ctx\.args\.input\.put\("owner", \$ownerClaim0\)/);
      expect(create, field).not.toMatch(/#set\( \$isAuthorizedOnAllFields0 = true \)/);
      const updateAuth = pipeline(stack, update).find((s) => s.name.includes('auth0'))?.response ?? '';
      const updatable: unknown = JSON.parse(
        /#set\( \$ownerAllowedFields0 = (\[[^\]]*\]) \)/.exec(updateAuth)?.[1] ?? 'null',
      );
      expect(updatable, update).toEqual(expect.arrayContaining(['id']));
      expect(updatable, update).not.toContain('owner');
    }
  });

  it('grants no create or update on Message: messages are written by sendMessage only', () => {
    const create = pipeline('data/Message', 'createMessage').find((s) => s.name.includes('auth0'))?.request ?? '';
    expect(create).toMatch(/\$util\.unauthorized\(\)/);
    expect(create).not.toMatch(/#set\( \$isAuthorized = true \)/);
    // On update, the owner may only touch the sync fields (DataStore's soft delete), never the content.
    const update = pipeline('data/Message', 'updateMessage').find((s) => s.name.includes('auth0'))?.response ?? '';
    expect(update).toMatch(/\$util\.unauthorized\(\)/);
    expect(update).toContain('#set( $ownerAllowedFields0 = ["id","_version","_deleted","_lastChangedAt"] )');
    expect(update).not.toMatch(/#set\( \$isAuthorizedOnAllFields\d+ = true \)/);
  });
});

describe('input limits', () => {
  it('rejects oversize fields in the resolvers with a clear message', () => {
    const createNote = pipeline('data/Note', 'createNote')
      .map((s) => s.request)
      .join('\n');
    expect(createNote).toContain(`headline must be at most ${LIMITS.headlineMax} characters`);
    expect(createNote).toContain(`text must be at most ${LIMITS.noteTextMax} characters`);
    const updateNote = pipeline('data/Note', 'updateNote')
      .map((s) => s.request)
      .join('\n');
    expect(updateNote).toContain(`headline must be at most ${LIMITS.headlineMax} characters`);
    const createDevice = pipeline('data/Device', 'createDevice')
      .map((s) => s.request)
      .join('\n');
    expect(createDevice).toContain(`token must be at most ${LIMITS.deviceTokenMax} characters`);
  });
});

describe('offline sync for DataStore', () => {
  it('adds the sync fields and a sync query per model', () => {
    const schema = sandbox.graphqlSchema();
    for (const model of MODELS) {
      const type = schema.match(new RegExp(`type ${model} [^{]*\\{([^}]*)\\}`))?.[1] ?? '';
      expect(type, model).toMatch(/_version: Int!/);
      expect(type, model).toMatch(/_deleted: Boolean/);
      expect(type, model).toMatch(/_lastChangedAt: AWSTimestamp!/);
      expect(schema).toMatch(new RegExp(`sync${model}s\\([^)]*lastSync: AWSTimestamp`));
    }
  });

  it('uses versioned data sources with the DeltaSync table', () => {
    for (const model of MODELS) {
      sandbox.assert(`data/${model}`).hasResourceProperties('AWS::AppSync::DataSource', {
        Type: 'AMAZON_DYNAMODB',
        DynamoDBConfig: Match.objectLike({
          Versioned: true,
          DeltaSyncConfig: Match.objectLike({ DeltaSyncTableName: Match.anyValue(), DeltaSyncTableTTL: '30' }),
        }),
      });
    }
    sandbox.assert('data').hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: { 'Fn::Join': ['', ['AmplifyDataStore-', Match.anyValue(), Match.anyValue()]] },
      TimeToLiveSpecification: { AttributeName: '_ttl', Enabled: true },
    });
  });

  it('detects conflicts by VERSION and resolves them with the conflict-handler function on every model resolver', () => {
    const handler = sandbox
      .resources('AWS::Lambda::Function')
      .find((f) => f.logicalId.startsWith('conflicthandlerlambda'));
    expect(handler, 'the conflict-handler function').toBeDefined();
    for (const model of MODELS) {
      const functions = sandbox
        .resources('AWS::AppSync::FunctionConfiguration')
        .filter(
          (f) =>
            f.file.includes(`amplifyData${model}`) && /^(Query|Mutation).*DataResolverFn$/.test(String(props(f).Name)),
        );
      expect(functions.length, model).toBeGreaterThanOrEqual(5);
      for (const fn of functions) {
        expect(props(fn).SyncConfig, `${model} ${String(props(fn).Name)}`).toEqual({
          ConflictDetection: 'VERSION',
          ConflictHandler: 'LAMBDA',
          LambdaConflictHandlerConfig: {
            LambdaConflictHandlerArn: { Ref: expect.stringMatching(/conflicthandlerlambda.*Arn$/) },
          },
        });
      }
      // AppSync invokes it with the data source's role; the policy names the function itself.
      sandbox.assert(`data/${model}`).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: 'lambda:InvokeFunction',
              Resource: { Ref: Match.stringLikeRegexp('conflicthandlerlambda.*Arn$') },
            },
          ],
        },
      });
    }
  });

  it('keeps soft-deleted records out of every get, list and index query, but not out of the sync queries', () => {
    for (const [stack, fields] of [
      ['data/Note', ['getNote', 'listNotesByOwner']],
      ['data/Device', ['getDevice', 'listDevicesByOwner']],
      ['data/UserProfile', ['getUserProfile', 'listUserProfilesByOwner']],
      ['data/Message', ['getMessage', 'listMessagesByOwner', 'listMessagesByRecipient']],
    ] as const) {
      for (const field of fields) {
        const steps = pipeline(stack, field);
        const data = steps.findIndex((s) => s.name.includes('DataResolverFn'));
        const after = steps.slice(data + 1).find((s) => s.name.includes('postDataLoad'));
        expect(after, `${field} has a postDataLoad step after its data step`).toBeDefined();
        expect(after?.request, field).toMatch(/_deleted/);
      }
      const model = stack.split('/')[1] ?? '';
      const sync = pipeline(stack, `sync${model}s`);
      expect(
        sync.some((s) => s.name.includes('postDataLoad')),
        `sync${model}s`,
      ).toBe(false);
    }
  });

  it('publishes the conflict mode in the data output that amplify_outputs.json is built from', () => {
    const outputs = isRecord(sandbox.root.Outputs) ? sandbox.root.Outputs : {};
    expect(outputs.awsAppsyncConflictResolutionMode).toMatchObject({ Value: 'LAMBDA' });
    expect(outputs.awsAppsyncApiEndpoint).toBeDefined();
    const metadata = isRecord(sandbox.root.Metadata) ? sandbox.root.Metadata : {};
    expect(JSON.stringify(metadata['AWS::Amplify::GraphQL'])).toContain('awsAppsyncConflictResolutionMode');
  });

  it('keeps point-in-time recovery on every model table', () => {
    for (const model of MODELS) {
      sandbox.assert(`data/${model}`).hasResourceProperties('Custom::AmplifyDynamoDBTable', {
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        streamSpecification: { streamViewType: 'NEW_AND_OLD_IMAGES' },
      });
    }
  });
});

describe('custom operations', () => {
  it('serves searchNotes from the search function', () => {
    const steps = pipeline('data/FunctionDirectiveStack', 'searchNotes');
    expect(steps.some((s) => JSON.stringify(s.dataSource).includes('SearchNotesLambdaDataSource'))).toBe(true);
    sandbox.assert('data/FunctionDirectiveStack').hasResourceProperties('AWS::AppSync::DataSource', {
      Type: 'AWS_LAMBDA',
      LambdaConfig: { LambdaFunctionArn: Match.anyValue() },
    });
  });

  it('sends a message in two APPSYNC_JS steps: resolve the recipient, then store', () => {
    const steps = pipeline('data', 'sendMessage');
    expect(steps.map((s) => s.dataSource)).toEqual(['UserProfileTable', 'MessageTable']);
    expect(steps[0]?.request).toMatch(/operation: 'GetItem'/);
    expect(steps[1]?.request).toMatch(/operation: 'PutItem'/);
    expect(steps[1]?.request).toMatch(/owner: `\$\{sub\}::\$\{username\}`/);
  });

  it('filters onMessageReceived to the caller on the server', () => {
    const steps = pipeline('data', 'onMessageReceived');
    expect(steps).toHaveLength(1);
    expect(steps[0]?.request).toMatch(/setSubscriptionFilter/);
    expect(steps[0]?.request).toMatch(/recipient: \{ eq: me \}/);
    expect(sandbox.graphqlSchema()).toMatch(
      /onMessageReceived: Message\s+@aws_subscribe\(mutations: \["sendMessage"\]\)/,
    );
  });
});
