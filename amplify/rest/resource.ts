import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  CognitoUserPoolsAuthorizer,
  EndpointType,
  JsonSchemaType,
  JsonSchemaVersion,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  type Model,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ErrorCode } from '../functions/rest-api/core';
import { ROUTES } from './routes';

/** The name apps pass as `apiName` to `aws-amplify/api`, and the key under `custom.API` in the outputs. */
export const REST_API_NAME = 'NotesRestApi';
export const REST_STAGE = 'v1';

/** Requests per second (steady) and burst for the whole stage; API Gateway answers 429 beyond them. */
export const REST_THROTTLE = { rateLimit: 500, burstLimit: 1000 } as const;

/** The app origins allowed by CORS: `REST_CORS_ORIGINS` (comma separated), else the local dev origins. */
export const restCorsOrigins = (env: Record<string, string | undefined>): string[] => {
  const listed = (env.REST_CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of listed)
    if (!/^[a-z][a-z0-9+.-]*:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(origin))
      throw new Error(`REST_CORS_ORIGINS: "${origin}" is not an origin such as https://app.example.com`);
  return listed.length > 0 ? listed : ['http://localhost:5173', 'capacitor://localhost'];
};

/**
 * API Gateway's own errors (before the handler runs) as gateway responses with
 * the handler's stable `code`s. Specific types keep API Gateway's status;
 * DEFAULT_4XX/5XX take the rest (a status on them would override every other).
 */
export const REST_GATEWAY_RESPONSES: ReadonlyArray<{ type: string; code: ErrorCode; validation?: true }> = [
  { type: 'UNAUTHORIZED', code: 'Unauthorized' },
  { type: 'ACCESS_DENIED', code: 'Forbidden' },
  // An unknown path or method: API Gateway answers 403 and does not say which.
  { type: 'MISSING_AUTHENTICATION_TOKEN', code: 'Forbidden' },
  { type: 'WAF_FILTERED', code: 'Forbidden' },
  { type: 'BAD_REQUEST_BODY', code: 'BadRequest', validation: true },
  { type: 'BAD_REQUEST_PARAMETERS', code: 'BadRequest', validation: true },
  { type: 'REQUEST_TOO_LARGE', code: 'PayloadTooLarge' },
  { type: 'THROTTLED', code: 'TooManyRequests' },
  { type: 'QUOTA_EXCEEDED', code: 'TooManyRequests' },
  { type: 'DEFAULT_4XX', code: 'BadRequest' },
  { type: 'DEFAULT_5XX', code: 'InternalError' },
];

/** A gateway response's body: `$context.error.messageString` is already a quoted JSON string. */
export const gatewayResponseTemplate = (code: ErrorCode, validation = false): string =>
  `{"code":"${code}","message":$context.error.messageString,${
    validation ? '"details":"$context.error.validationErrorString",' : ''
  }"requestId":"$context.requestId"}`;

export interface NotesRestApiProps {
  /** The handler and its Gen 2 `addEnvironment` (a function's environment is set through its resource). */
  handler: { fn: IFunction; addEnvironment(key: string, value: string): unknown };
  userPool: IUserPool;
  graphqlUrl: string;
  identityPoolId: string;
  mediaBucketName: string;
  allowOrigins: string[];
}

/**
 * The reference architecture's REST API: API Gateway with the user pool's
 * Cognito authorizer on every method, Lambda proxy integrations to one
 * handler, request validation from the route table, throttling, JSON access
 * logs and CORS for the app origins.
 */
export class NotesRestApi extends Construct {
  readonly api: RestApi;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: NotesRestApiProps) {
    super(scope, id);
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new RestApi(this, 'Api', {
      restApiName: REST_API_NAME,
      description: 'Notes, search, photo uploads and messages for clients that speak REST',
      endpointTypes: [EndpointType.REGIONAL],
      // Execution logging needs an account-wide CloudWatch role; access logs need none.
      cloudWatchRole: false,
      deployOptions: {
        stageName: REST_STAGE,
        throttlingRateLimit: REST_THROTTLE.rateLimit,
        throttlingBurstLimit: REST_THROTTLE.burstLimit,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.OFF,
        metricsEnabled: true,
        tracingEnabled: true,
      },
      defaultCorsPreflightOptions: {
        allowOrigins: props.allowOrigins,
        allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
        allowHeaders: ['Authorization', 'Content-Type', 'X-Amz-Date', 'X-Amz-Security-Token', 'X-Amz-User-Agent'],
        maxAge: Duration.hours(1),
      },
    });
    Validations.of(this.api.deploymentStage).acknowledge(
      {
        id: 'AwsSolutions-APIG6',
        reason:
          'Execution logging needs an account-wide API Gateway CloudWatch role shared by every API in the account; the stage has JSON access logs of every request, metrics and X-Ray tracing instead.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'Throttled per stage, and every method needs a Cognito ID token; a web ACL can be associated with the stage like the GraphQL API one (amplify/custom/api-waf.ts).',
      },
    );
    // Gateway responses take static headers only (no template logic), so the first
    // app origin, which is also what the preflight's static header says.
    const corsOrigin = props.allowOrigins[0];
    for (const { type, code, validation } of REST_GATEWAY_RESPONSES)
      this.api.addGatewayResponse(`Gateway${type}`, {
        type: ResponseType.of(type),
        ...(corsOrigin
          ? { responseHeaders: { 'Access-Control-Allow-Origin': `'${corsOrigin}'`, Vary: "'Origin'" } }
          : {}),
        templates: { 'application/json': gatewayResponseTemplate(code, validation) },
      });
    const authorizer = new CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [props.userPool],
      // API Gateway's Cognito authorizer takes the ID token as it is, without "Bearer".
      identitySource: 'method.request.header.Authorization',
    });
    const validator = this.api.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    // No test-invoke permission: only this stage may invoke the handler, each method on its own path.
    const integration = new LambdaIntegration(props.handler.fn, { proxy: true, allowTestInvoke: false });
    const models = new Map<string, Model>();
    for (const route of ROUTES) {
      let model: Model | undefined;
      if (route.body) {
        const name = `${route.operation[0]?.toUpperCase()}${route.operation.slice(1)}Body`;
        model =
          models.get(name) ??
          this.api.addModel(name, {
            modelName: name,
            contentType: 'application/json',
            schema: {
              schema: JsonSchemaVersion.DRAFT4,
              type: JsonSchemaType.OBJECT,
              additionalProperties: false,
              ...(route.body.required ? { required: route.body.required } : {}),
              properties: Object.fromEntries(
                Object.entries(route.body.properties).map(([field, rule]) => [
                  field,
                  {
                    type: rule.type === 'integer' ? JsonSchemaType.INTEGER : JsonSchemaType.STRING,
                    ...(rule.minLength === undefined ? {} : { minLength: rule.minLength }),
                    ...(rule.maxLength === undefined ? {} : { maxLength: rule.maxLength }),
                    ...(rule.minimum === undefined ? {} : { minimum: rule.minimum }),
                    ...(rule.pattern === undefined ? {} : { pattern: rule.pattern }),
                  },
                ]),
              ),
            },
          });
        models.set(name, model);
      }
      this.api.root.resourceForPath(route.path).addMethod(route.method, integration, {
        operationName: route.operation,
        authorizationType: AuthorizationType.COGNITO,
        authorizer,
        requestValidator: validator,
        ...(model ? { requestModels: { 'application/json': model } } : {}),
        ...(route.query
          ? {
              requestParameters: Object.fromEntries(
                Object.entries(route.query).map(([name, required]) => [`method.request.querystring.${name}`, required]),
              ),
            }
          : {}),
      });
    }
    props.handler.addEnvironment('GRAPHQL_URL', props.graphqlUrl);
    props.handler.addEnvironment('IDENTITY_POOL_ID', props.identityPoolId);
    props.handler.addEnvironment('MEDIA_BUCKET_NAME', props.mediaBucketName);
    props.handler.addEnvironment('CORS_ORIGINS', props.allowOrigins.join(','));
  }

  /** What `backend.addOutput({ custom: { API: ... } })` publishes, as the Gen 2 docs show it. */
  get output(): Record<string, { endpoint: string; region: string; apiName: string }> {
    return {
      [REST_API_NAME]: { endpoint: this.api.url, region: Stack.of(this.api).region, apiName: REST_API_NAME },
    };
  }
}
