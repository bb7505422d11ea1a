import { describe, expect, it } from 'vitest';
import { functionsInvokeFunctions, usedFunctionIds } from './functions';
import { assertSupported, unsupportedFeaturesOf } from './support';
import { rootAssemblies } from './test-assembly';
import { UnsupportedFeatureError } from './unsupported';

const gen2Function = (extra: Record<string, unknown> = {}) => ({
  Type: 'AWS::Lambda::Function',
  Properties: {
    Runtime: 'nodejs22.x',
    Handler: 'index.handler',
    Role: { 'Fn::GetAtt': ['FnRole', 'Arn'] },
    Environment: { Variables: { AMPLIFY_SSM_ENV_CONFIG: '{}' } },
    ...extra,
  },
});
const role = (statements: unknown[]) => ({
  Type: 'AWS::IAM::Role',
  Properties: { Policies: [{ PolicyName: 'p', PolicyDocument: { Version: '2012-10-17', Statement: statements } }] },
});
const stream = {
  Type: 'AWS::DynamoDB::Table',
  Properties: { TableName: 'Items', StreamSpecification: { StreamViewType: 'NEW_IMAGE' } },
};
/** A stream mapping that runs Fn, with the queue DLQ as its on-failure destination. */
const mapping = (destination?: string) => ({
  Type: 'AWS::Lambda::EventSourceMapping',
  Properties: {
    FunctionName: { Ref: 'Fn' },
    EventSourceArn: { 'Fn::GetAtt': ['Items', 'StreamArn'] },
    ...(destination && { DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [destination, 'Arn'] } } } }),
  },
});

describe('which resources the local backend runs, ignores, or refuses', () => {
  const assemblyOf = rootAssemblies();

  it('runs a stream consumer whose queue only takes its failures, and ignores alarms, log groups and metadata', () => {
    // Prepare
    const assembly = assemblyOf({
      Items: stream,
      Fn: gen2Function(),
      FnRole: role([{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': ['DLQ', 'Arn'] } }]),
      Mapping: mapping('DLQ'),
      DLQ: { Type: 'AWS::SQS::Queue', Properties: {} },
      Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: {} },
      Logs: { Type: 'AWS::Logs::LogGroup', Properties: {} },
      CDKMetadata: { Type: 'AWS::CDK::Metadata', Properties: {} },
    });
    // Act / Assess
    expect(unsupportedFeaturesOf(assembly)).toEqual([]);
    expect(() => assertSupported(assembly)).not.toThrow();
  });

  it('lists every unsupported feature at once, each with its resource', () => {
    const assembly = assemblyOf({
      Items: stream,
      Fn: gen2Function(),
      FnRole: role([
        { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['Jobs', 'Arn'] } },
        { Effect: 'Allow', Action: 'kinesis:PutRecord', Resource: '*' },
      ]),
      Mapping: mapping(),
      Jobs: { Type: 'AWS::SQS::Queue', Properties: {} },
      Pager: { Type: 'AWS::SNS::Subscription', Properties: { Protocol: 'application', TopicArn: 'x', Endpoint: 'y' } },
      Http: {
        Type: 'AWS::AppSync::DataSource',
        Properties: {
          Type: 'HTTP',
          Name: 'http',
          HttpConfig: {
            Endpoint: 'https://states.us-east-1.amazonaws.com',
            AuthorizationConfig: { AuthorizationType: 'AWS_IAM', AwsIamConfig: { SigningServiceName: 'states' } },
          },
        },
      },
      Rates: {
        Type: 'AWS::AppSync::DataSource',
        Properties: { Type: 'HTTP', Name: 'rates', HttpConfig: { Endpoint: 'https://rates.example' } },
      },
      Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} },
      Unknown: { Type: 'AWS::Kinesis::Stream', Properties: {} },
    });
    const features = unsupportedFeaturesOf(assembly);
    expect(features).toEqual(
      expect.arrayContaining([
        { feature: 'an SNS subscription (application)', resource: 'AWS::SNS::Subscription root/Pager' },
        {
          feature: 'an HTTP data source signed with IAM (an AWS service endpoint)',
          resource: 'AWS::AppSync::DataSource root/Http',
        },
        { feature: 'a Step Functions state machine', resource: 'AWS::StepFunctions::StateMachine root/Machine' },
        { feature: 'AWS::Kinesis::Stream', resource: 'AWS::Kinesis::Stream root/Unknown' },
        { feature: expect.stringMatching(/^kinesis /), resource: 'AWS::Lambda::Function root/Fn' },
      ]),
    );
    expect(features).toHaveLength(5);
    expect(() => assertSupported(assembly)).toThrow(UnsupportedFeatureError);
    expect(() => assertSupported(assembly)).toThrow(/these 5 features[\s\S]*AWS::Kinesis::Stream root\/Unknown/);
  });

  it("runs the user pool's pre sign-up, post confirmation and pre token generation triggers, and refuses the others by name", () => {
    const assembly = assemblyOf({
      Pool: {
        Type: 'AWS::Cognito::UserPool',
        Properties: {
          LambdaConfig: {
            PreSignUp: { 'Fn::GetAtt': ['PreSignUp', 'Arn'] },
            PostConfirmation: { 'Fn::GetAtt': ['Confirm', 'Arn'] },
            PreTokenGenerationConfig: { LambdaArn: { 'Fn::GetAtt': ['Token', 'Arn'] }, LambdaVersion: 'V2_0' },
            CustomMessage: { 'Fn::GetAtt': ['Message', 'Arn'] },
            DefineAuthChallenge: { 'Fn::GetAtt': ['Define', 'Arn'] },
          },
        },
      },
      PreSignUp: gen2Function(),
      Confirm: gen2Function(),
      Token: gen2Function(),
      Message: gen2Function(),
      Define: gen2Function(),
      FnRole: role([]),
    });
    expect(unsupportedFeaturesOf(assembly)).toEqual([
      {
        feature: 'the user-pool Lambda trigger(s) CustomMessage, DefineAuthChallenge',
        resource: 'AWS::Cognito::UserPool root/Pool',
      },
    ]);
  });

  it('runs a Gen 2 function nothing local triggers (the local Lambda API invokes it), and refuses one on another runtime or with layers', () => {
    const assembly = assemblyOf({
      Items: stream,
      Fn: gen2Function({ Runtime: 'python3.12', Layers: ['arn:aws:lambda:us-east-1:1:layer:x:1'] }),
      FnRole: role([]),
      Mapping: mapping(),
      Orphan: gen2Function(),
      // A deploy-time handler (no Gen 2 configuration) is not run, and that is fine.
      Provider: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs20.x', Handler: 'index.handler' } },
    });
    expect(unsupportedFeaturesOf(assembly)).toEqual([
      { feature: 'a function on the python3.12 runtime', resource: 'AWS::Lambda::Function root/Fn' },
    ]);
    expect(usedFunctionIds(assembly)).toEqual(new Set(['Fn', 'Orphan']));
  });

  it('runs a plain function a running one may invoke by name (grantInvoke), and a secret the template creates', () => {
    // Prepare
    const assembly = assemblyOf({
      Fn: gen2Function(),
      FnRole: role([
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: [
            { 'Fn::GetAtt': ['Worker', 'Arn'] },
            { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Worker', 'Arn'] }, ':*']] },
          ],
        },
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: 'Secret' } },
      ]),
      Worker: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs22.x', Handler: 'index.handler' } },
      Provider: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs20.x', Handler: 'index.handler' } },
      Secret: { Type: 'AWS::SecretsManager::Secret', Properties: { GenerateSecretString: { PasswordLength: 16 } } },
      BadSecret: {
        Type: 'AWS::SecretsManager::Secret',
        Properties: { GenerateSecretString: { SecretStringTemplate: '{}' } },
      },
    });
    // Act / Assess
    expect(usedFunctionIds(assembly)).toEqual(new Set(['Fn', 'Worker']));
    expect(functionsInvokeFunctions(assembly)).toBe(true);
    expect(unsupportedFeaturesOf(assembly)).toEqual([
      {
        feature: expect.stringMatching(/only one of SecretStringTemplate and GenerateStringKey/),
        resource: 'AWS::SecretsManager::Secret root/BadSecret',
      },
    ]);
  });

  it('runs queues, topics, their subscriptions and SQS mappings, and the functions that use them', () => {
    const assembly = assemblyOf({
      Fn: gen2Function(),
      FnRole: role([
        { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: 'Topic' } },
        {
          Effect: 'Allow',
          Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'],
          Resource: { 'Fn::GetAtt': ['Jobs', 'Arn'] },
        },
      ]),
      Mapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: { FunctionName: { Ref: 'Fn' }, EventSourceArn: { 'Fn::GetAtt': ['Jobs', 'Arn'] } },
      },
      Jobs: { Type: 'AWS::SQS::Queue', Properties: {} },
      Topic: { Type: 'AWS::SNS::Topic', Properties: { Subscription: [{ Protocol: 'email', Endpoint: 'a@b.c' }] } },
      ToQueue: {
        Type: 'AWS::SNS::Subscription',
        Properties: { Protocol: 'sqs', TopicArn: { Ref: 'Topic' }, Endpoint: { 'Fn::GetAtt': ['Jobs', 'Arn'] } },
      },
      Push: { Type: 'AWS::SNS::Topic', Properties: { Subscription: [{ Protocol: 'firehose', Endpoint: 'x' }] } },
    });
    expect(unsupportedFeaturesOf(assembly)).toEqual([
      { feature: 'an SNS subscription (firehose)', resource: 'AWS::SNS::Topic root/Push' },
    ]);
  });
});
