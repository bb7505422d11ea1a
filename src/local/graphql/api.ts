// graphql@15's ES build has extensionless imports that Node's ESM loader rejects, so these modules import its CommonJS entry.

import { getArgumentValues, getVariableValues } from 'graphql/execution/values.js';
import {
  buildSchema,
  type DocumentNode,
  defaultFieldResolver,
  type ExecutionResult,
  execute,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLNamedType,
  GraphQLObjectType,
  type GraphQLResolveInfo,
  GraphQLScalarType,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isInputObjectType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
  specifiedRules,
  validate,
} from 'graphql/index.js';
import type { CloudAssembly, Stack } from '../cloud/assembly';
import type { DynamoDbCaller } from '../dynamodb/wire';
import type { EventBridgeSource } from '../events/appsync-source';
import type { LocalFunction } from '../functions/runner';
import { AppSyncJs, AppSyncJsError, type JsResult } from './appsync-js';
import { type ApiAuthSettings, type AuthMode, apiAuthSettingsOf, MODE_DIRECTIVES } from './auth-modes';
import { type DataSourceResult, DynamoDataSource } from './dynamodb-source';
import type { SubscriptionPlan } from './filters';
import { invokeHttpSource } from './http-source';
import { type ApiCoordinates, isFieldDenied } from './lambda-authorizer';
import { measureOperation, SubscriptionRootRule, subscriptionRootField } from './limits';
import { type RequestIdentity, Vtl } from './vtl';

/**
 * The synthesized AppSync API, executed locally: the generated SDL, every
 * resolver and pipeline function the templates define (VTL and APPSYNC_JS),
 * and their data sources (DynamoDB with versioning, Lambda, HTTP, NONE).
 */

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const PRELUDE = `
scalar AWSDate
scalar AWSTime
scalar AWSDateTime
scalar AWSTimestamp
scalar AWSEmail
scalar AWSJSON
scalar AWSURL
scalar AWSPhone
scalar AWSIPAddress
directive @aws_subscribe(mutations: [String!]!) on FIELD_DEFINITION
directive @aws_cognito_user_pools(cognito_groups: [String!]) on OBJECT | FIELD_DEFINITION | INTERFACE
directive @aws_iam on OBJECT | FIELD_DEFINITION | INTERFACE
directive @aws_api_key on OBJECT | FIELD_DEFINITION | INTERFACE
directive @aws_oidc on OBJECT | FIELD_DEFINITION | INTERFACE
directive @aws_lambda on OBJECT | FIELD_DEFINITION | INTERFACE
directive @aws_auth(cognito_groups: [String!]) on FIELD_DEFINITION
`;

interface Template {
  kind: 'vtl' | 'js';
  vtl?: { request?: Vtl; response?: Vtl };
  js?: AppSyncJs;
}

/** A resolver's SyncConfig: its conflict handler, and for LAMBDA the function's logical id. */
interface SyncSpec {
  conflictHandler?: string;
  lambdaFunction?: string;
}

interface PipelineFunction {
  name: string;
  dataSource: string;
  template: Template;
  sync?: SyncSpec;
}

/** What a LAMBDA conflict handler is told about the call, besides the items. */
interface ConflictCall {
  arguments: Json;
  identity: unknown;
  resolver: { parentType: string; field: string; outputType: string };
}

interface ResolverSpec {
  typeName: string;
  fieldName: string;
  template: Template;
  functions: PipelineFunction[];
  /** Set for UNIT resolvers. */
  dataSource?: string;
}

interface DataSourceSpec {
  name: string;
  type: string;
  tableName?: string;
  versioned?: { deltaSyncTableName: string; baseTableTtlMinutes: number; deltaSyncTableTtlMinutes: number };
  functionLogicalId?: string;
  /** An HTTP data source's endpoint. */
  httpEndpoint?: string;
  /** AMAZON_EVENTBRIDGE: the bus, and the role AppSync puts events with. */
  eventBusArn?: string;
  serviceRoleArn?: string;
}

const httpEndpointOf = (config: unknown): string | undefined =>
  isRecord(config) && typeof config.Endpoint === 'string' ? config.Endpoint : undefined;

/** An error as AppSync reports it in `errors[]`. */
export class AppSyncError extends Error {
  constructor(
    message: string,
    readonly errorType: string | null,
    readonly data: unknown = null,
    readonly errorInfo: unknown = null,
  ) {
    super(message);
  }
}

/** What AppSync answers for `$util.unauthorized()` / `util.unauthorized()`: the field being resolved, by name. */
const unauthorizedFor = (info: GraphQLResolveInfo): AppSyncError =>
  new AppSyncError(`Not Authorized to access ${info.fieldName} on type ${info.parentType.name}`, 'Unauthorized');

/** The authorization mode a caller was authenticated with. */
export const modeOf = (identity: RequestIdentity): AuthMode =>
  identity.apiKey
    ? 'API_KEY'
    : identity.lambda
      ? 'AWS_LAMBDA'
      : identity.iam
        ? 'AWS_IAM'
        : identity.oidc
          ? 'OPENID_CONNECT'
          : 'AMAZON_COGNITO_USER_POOLS';

/** Runs an APPSYNC_JS handler; its `util.error` becomes the AppSync error it names. */
const runJs = (run: () => JsResult, info: GraphQLResolveInfo): JsResult => {
  try {
    return run();
  } catch (error) {
    if (error instanceof AppSyncJsError && error.errorType === 'Unauthorized' && error.message === 'Unauthorized')
      throw unauthorizedFor(info);
    if (error instanceof AppSyncJsError) throw new AppSyncError(error.message, error.errorType, error.data);
    throw error;
  }
};

export interface RequestContext {
  identity: RequestIdentity;
  phase: 'execute' | 'subscribe';
  /** Set by a Subscription field's resolver while it starts. */
  subscriptionFilter?: unknown;
  /** The Subscription field whose resolver ran to its end: its auth step allowed the caller. */
  subscriptionResolverRan?: string;
  /** Set once the auth-mode directives allowed the request. */
  authModesAllowed?: boolean;
  /** Resolvers run so far in this request (AppSync's resolver count limit). */
  resolverCount?: number;
}

/** AppSync's per-request limits, from the GraphQLApi resource (0 or absent: the service defaults). */
export interface RequestLimits {
  /** ResolverCountLimit: 1–10,000, default 10,000. */
  resolverCount: number;
  /** QueryDepthLimit: 1–75 nested levels; 0 means no limit. */
  queryDepth: number;
}

export const DEFAULT_RESOLVER_COUNT_LIMIT = 10_000;

/** A failed subscription start, with errors in AppSync's format. */
export interface SubscribeRefusal {
  errors: Json[];
}

/** A resolver's template text: inline in the stack, or a file asset. */
export const templateText = (
  stack: Stack,
  inline: unknown,
  location: unknown,
  assembly: CloudAssembly,
): string | undefined => {
  if (inline !== undefined) return String(stack.resolve(inline));
  if (location !== undefined) return assembly.readAsset(stack.resolve(location));
  return undefined;
};

const toPlain = (value: unknown): unknown => (value === undefined ? null : JSON.parse(JSON.stringify(value)));

/** How many distinct documents `prepare` keeps parsed and validated; the oldest goes first. */
const PREPARED_DOCUMENTS_MAX = 500;

export class LocalGraphqlApi {
  readonly schema: GraphQLSchema;
  private readonly resolvers = new Map<string, ResolverSpec>();
  private readonly dataSources = new Map<string, DataSourceSpec>();
  /** Mutation field → subscription fields that listen to it. */
  readonly subscriptionsByMutation = new Map<string, string[]>();
  readonly limits: RequestLimits;
  /** The API's authorization modes and keys, as its template defines them. */
  readonly auth: ApiAuthSettings;
  /** The API's ARN parts, as a Lambda authorizer's deniedFields name its fields. */
  readonly coordinates: ApiCoordinates;
  private readonly preparedDocuments = new Map<
    string,
    { document?: DocumentNode; operation?: OperationDefinitionNode; errors?: GraphQLError[] }
  >();

  constructor(
    assembly: CloudAssembly,
    private readonly dynamodb: DynamoDbCaller,
    private readonly functions: Map<string, LocalFunction>,
    private readonly eventBridge?: EventBridgeSource,
  ) {
    const schemaResource = assembly.resources('AWS::AppSync::GraphQLSchema')[0];
    if (!schemaResource) throw new Error('the assembly has no AppSync schema');
    const sdl = assembly.readAsset(schemaResource.stack.resolve(schemaResource.properties.DefinitionS3Location));
    this.schema = buildSchema(`${PRELUDE}\n${sdl}`);
    this.installScalars();
    const { region, accountId, apiId } = assembly.names;
    this.coordinates = { region, accountId, apiId };
    this.auth = apiAuthSettingsOf(assembly) ?? {
      defaultMode: 'AMAZON_COGNITO_USER_POOLS',
      additionalModes: [],
      apiKeys: [],
    };
    const apiResource = assembly.resources('AWS::AppSync::GraphQLApi')[0];
    const limit = (value: unknown, max: number): number => {
      const n = Number(apiResource ? apiResource.stack.resolve(value) : 0);
      return Number.isInteger(n) && n > 0 && n <= max ? n : 0;
    };
    this.limits = {
      resolverCount:
        limit(apiResource?.properties.ResolverCountLimit, DEFAULT_RESOLVER_COUNT_LIMIT) || DEFAULT_RESOLVER_COUNT_LIMIT,
      queryDepth: limit(apiResource?.properties.QueryDepthLimit, 75),
    };

    for (const { stack, properties } of assembly.resources('AWS::AppSync::DataSource')) {
      const name = String(stack.resolve(properties.Name));
      const dynamo = isRecord(stack.resolve(properties.DynamoDBConfig))
        ? (stack.resolve(properties.DynamoDBConfig) as Json)
        : undefined;
      const delta = dynamo && isRecord(dynamo.DeltaSyncConfig) ? dynamo.DeltaSyncConfig : undefined;
      const lambda = stack.resolve(properties.LambdaConfig);
      const arn = isRecord(lambda) ? String(lambda.LambdaFunctionArn) : '';
      const eventBridge = stack.resolve(properties.EventBridgeConfig);
      const role = stack.resolve(properties.ServiceRoleArn);
      this.dataSources.set(name, {
        name,
        type: String(properties.Type),
        tableName: dynamo ? String(dynamo.TableName) : undefined,
        versioned:
          dynamo?.Versioned === true && delta
            ? {
                deltaSyncTableName: String(delta.DeltaSyncTableName),
                baseTableTtlMinutes: Number(delta.BaseTableTTL),
                deltaSyncTableTtlMinutes: Number(delta.DeltaSyncTableTTL),
              }
            : undefined,
        functionLogicalId: arn ? arn.split(':').at(-1) : undefined,
        httpEndpoint: httpEndpointOf(stack.resolve(properties.HttpConfig)),
        eventBusArn: isRecord(eventBridge) ? String(eventBridge.EventBusArn) : undefined,
        serviceRoleArn: typeof role === 'string' ? role : undefined,
      });
    }

    const pipelineFunctions = new Map<string, PipelineFunction>();
    for (const { stack, logicalId, properties } of assembly.resources('AWS::AppSync::FunctionConfiguration')) {
      const sync = stack.resolve(properties.SyncConfig);
      const lambdaConfig = isRecord(sync) ? sync.LambdaConflictHandlerConfig : undefined;
      const lambdaArn = isRecord(lambdaConfig) ? String(lambdaConfig.LambdaConflictHandlerArn ?? '') : '';
      pipelineFunctions.set(`${stack.path}/${logicalId}`, {
        name: String(properties.Name),
        dataSource: String(stack.resolve(properties.DataSourceName)),
        template: this.template(stack, properties, assembly, `${properties.Name}`),
        sync: isRecord(sync)
          ? { conflictHandler: String(sync.ConflictHandler), lambdaFunction: lambdaArn.split(':').at(-1) || undefined }
          : undefined,
      });
    }

    for (const { stack, properties } of assembly.resources('AWS::AppSync::Resolver')) {
      const typeName = String(properties.TypeName);
      const fieldName = String(properties.FieldName);
      const config = stack.resolve(properties.PipelineConfig);
      const ids = isRecord(config) && Array.isArray(config.Functions) ? config.Functions.map(String) : [];
      const functions = ids.map((id) => {
        const fn = pipelineFunctions.get(id);
        if (!fn) throw new Error(`${typeName}.${fieldName}: pipeline function ${id} is not in the assembly`);
        return fn;
      });
      this.resolvers.set(`${typeName}.${fieldName}`, {
        typeName,
        fieldName,
        template: this.template(stack, properties, assembly, `${typeName}.${fieldName}`),
        functions,
        dataSource: properties.DataSourceName ? String(stack.resolve(properties.DataSourceName)) : undefined,
      });
    }
    this.attachResolvers();
    this.guardDeniedFields();
  }

  /**
   * Writes to a model table made outside a resolver (the console) as the
   * API's data source for that table makes them: on a versioned source, a new
   * `_version`, `_lastChangedAt`, soft deletes and DeltaSync entries, so
   * DataStore's next delta sync sees them; plain writes on a table no
   * versioned data source names.
   */
  tableWriter(tableName: string): DynamoDataSource {
    const source = [...this.dataSources.values()].find(
      (s) => s.type === 'AMAZON_DYNAMODB' && s.tableName === tableName,
    );
    return new DynamoDataSource(this.dynamodb, { tableName, versioned: source?.versioned });
  }

  /** The Lambda authorizer's function, in this generation. */
  authorizerFunction(): LocalFunction | undefined {
    return this.auth.lambda ? this.functions.get(this.auth.lambda.functionId) : undefined;
  }

  /**
   * The fields a Lambda authorizer's `deniedFields` name resolve to null with
   * AppSync's Unauthorized error, whether a resolver backs them or not.
   */
  private guardDeniedFields(): void {
    if (!this.auth.lambda) return;
    for (const type of Object.values(this.schema.getTypeMap())) {
      if (!(type instanceof GraphQLObjectType) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        const resolve = field.resolve;
        field.resolve = (source, args, context: RequestContext, info) => {
          const denied = context.identity.lambda?.deniedFields;
          if (denied && isFieldDenied(denied, type.name, field.name, this.coordinates))
            throw new AppSyncError(`Not Authorized to access ${field.name} on type ${type.name}`, 'Unauthorized');
          return resolve ? resolve(source, args, context, info) : defaultFieldResolver(source, args, context, info);
        };
      }
    }
  }

  private template(stack: Stack, properties: Json, assembly: CloudAssembly, name: string): Template {
    const runtime = stack.resolve(properties.Runtime);
    if (isRecord(runtime) && runtime.Name === 'APPSYNC_JS') {
      const code = templateText(stack, properties.Code, properties.CodeS3Location, assembly) ?? '';
      return { kind: 'js', js: new AppSyncJs(code, name) };
    }
    const request = templateText(
      stack,
      properties.RequestMappingTemplate,
      properties.RequestMappingTemplateS3Location,
      assembly,
    );
    const response = templateText(
      stack,
      properties.ResponseMappingTemplate,
      properties.ResponseMappingTemplateS3Location,
      assembly,
    );
    return {
      kind: 'vtl',
      vtl: {
        request: request === undefined ? undefined : new Vtl(request, `${name}.req.vtl`),
        response: response === undefined ? undefined : new Vtl(response, `${name}.res.vtl`),
      },
    };
  }

  private installScalars(): void {
    const passthrough = (value: unknown) => value;
    const json = {
      serialize: (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value)),
      parseValue: (value: unknown) => {
        if (typeof value !== 'string') return value;
        try {
          return JSON.parse(value);
        } catch {
          throw new GraphQLError(`Variable has an invalid value: AWSJSON must be valid JSON`);
        }
      },
    };
    for (const name of [
      'AWSDate',
      'AWSTime',
      'AWSDateTime',
      'AWSTimestamp',
      'AWSEmail',
      'AWSJSON',
      'AWSURL',
      'AWSPhone',
      'AWSIPAddress',
    ]) {
      const type = this.schema.getType(name);
      if (!(type instanceof GraphQLScalarType)) continue;
      const impl = name === 'AWSJSON' ? json : { serialize: passthrough, parseValue: passthrough };
      Object.assign(type, {
        serialize: impl.serialize,
        parseValue: impl.parseValue,
        parseLiteral: (ast: { kind: string; value?: string }) => {
          const raw = ast.kind === Kind.INT || ast.kind === Kind.FLOAT ? Number(ast.value) : ast.value;
          return impl.parseValue(raw);
        },
      });
    }
  }

  private attachResolvers(): void {
    for (const spec of this.resolvers.values()) {
      const type = this.schema.getType(spec.typeName);
      if (!(type instanceof GraphQLObjectType)) continue;
      const field: GraphQLField<unknown, RequestContext> | undefined = type.getFields()[spec.fieldName];
      if (!field) continue;
      field.resolve = async (source, args, context: RequestContext, info) => {
        context.resolverCount = (context.resolverCount ?? 0) + 1;
        if (context.resolverCount > this.limits.resolverCount) throw resolverLimitError(this.limits.resolverCount);
        const value = await this.runResolver(spec, source, args, context, info);
        // Reached only when every step (the auth step among them) returned without an error.
        if (context.phase === 'subscribe' && spec.typeName === this.schema.getSubscriptionType()?.name)
          context.subscriptionResolverRan = spec.fieldName;
        return value;
      };
      if (spec.typeName === 'Subscription') {
        const subscribe = field.astNode?.directives?.find((d) => d.name.value === 'aws_subscribe');
        const mutations = subscribe?.arguments?.find((a) => a.name.value === 'mutations')?.value;
        if (mutations?.kind === Kind.LIST) {
          for (const value of mutations.values) {
            if (value.kind !== Kind.STRING) continue;
            this.subscriptionsByMutation.set(value.value, [
              ...(this.subscriptionsByMutation.get(value.value) ?? []),
              spec.fieldName,
            ]);
          }
        }
      }
    }
  }

  private async invokeDataSource(
    name: string,
    request: unknown,
    sync?: SyncSpec,
    call?: ConflictCall,
  ): Promise<DataSourceResult> {
    const source = this.dataSources.get(name);
    if (!source) return { error: { message: `Data source ${name} not found`, type: 'DataSourceNotFound' } };
    const req = isRecord(request) ? request : {};
    if (source.type === 'NONE') return { result: req.payload ?? null };
    if (source.type === 'AMAZON_DYNAMODB' && source.tableName) {
      const handler = sync?.conflictHandler;
      const tableName = source.tableName;
      const conflictFn = sync?.lambdaFunction ? this.functions.get(sync.lambdaFunction) : undefined;
      return new DynamoDataSource(this.dynamodb, {
        tableName,
        versioned: source.versioned,
        conflictHandler:
          handler === 'AUTOMERGE' || handler === 'OPTIMISTIC_CONCURRENCY' || handler === 'LAMBDA' ? handler : 'NONE',
        // AppSync's event for a conflict-handler Lambda.
        lambdaConflictHandler: conflictFn
          ? (items) =>
              conflictFn.invoke({
                ...items,
                arguments: call?.arguments ?? {},
                identity: call?.identity ?? null,
                resolver: { tableName, ...call?.resolver },
              })
          : undefined,
      }).invoke(req);
    }
    if (source.type === 'AWS_LAMBDA' && source.functionLogicalId) {
      const fn = this.functions.get(source.functionLogicalId);
      if (!fn)
        return { error: { message: `Function ${source.functionLogicalId} is not running`, type: 'Lambda:Unhandled' } };
      try {
        return { result: await fn.invoke(req.payload ?? req) };
      } catch (error) {
        const type = error instanceof Error ? error.name : 'Lambda:Unhandled';
        return { error: { message: error instanceof Error ? error.message : String(error), type } };
      }
    }
    if (source.type === 'HTTP' && source.httpEndpoint) return invokeHttpSource(source.httpEndpoint, req);
    if (source.type === 'AMAZON_EVENTBRIDGE' && source.eventBusArn && this.eventBridge)
      return this.eventBridge({ eventBusArn: source.eventBusArn, serviceRoleArn: source.serviceRoleArn, request: req });
    return { error: { message: `Data source type ${source.type} is not supported locally`, type: 'Unsupported' } };
  }

  /** One resolver: the pipeline's before step, each function (request, data source, response), the after step. */
  private async runResolver(
    spec: ResolverSpec,
    source: unknown,
    rawArgs: Json,
    context: RequestContext,
    info: GraphQLResolveInfo,
  ): Promise<unknown> {
    let args: Json = toPlain(rawArgs) as Json;
    let stash: Json = {};
    const identity = context.identity;

    /** The `ctx` an APPSYNC_JS handler sees: the same for a pipeline resolver and its functions. */
    const jsContext = (prevResult: unknown): Json => ({
      arguments: args,
      args,
      identity: this.jsIdentity(identity),
      source,
      stash,
      prev: { result: prevResult },
      request: { headers: identity.headers },
      info: { fieldName: info.fieldName, parentTypeName: info.parentType.name, variables: info.variableValues },
    });

    const conflictCall = (): ConflictCall => ({
      arguments: args,
      identity: this.jsIdentity(identity),
      resolver: { parentType: info.parentType.name, field: info.fieldName, outputType: String(info.returnType) },
    });

    const step = async (
      template: Template,
      dataSource: string | undefined,
      prevResult: unknown,
      sync?: SyncSpec,
    ): Promise<unknown> => {
      if (template.kind === 'js' && template.js) {
        const ctx = jsContext(prevResult);
        try {
          const request = template.js.run('request', ctx);
          if (request.earlyReturn) return request.value;
          const outcome = dataSource
            ? await this.invokeDataSource(dataSource, request.value, sync, conflictCall())
            : { result: request.value };
          Object.assign(ctx, { result: outcome.result ?? null, error: outcome.error });
          const response = template.js.run('response', ctx);
          if (response.subscriptionFilter !== undefined) context.subscriptionFilter = response.subscriptionFilter;
          stash = isRecord(ctx.stash) ? ctx.stash : stash;
          return response.value;
        } catch (error) {
          if (error instanceof AppSyncJsError && error.errorType === 'Unauthorized' && error.message === 'Unauthorized')
            throw unauthorizedFor(info);
          if (error instanceof AppSyncJsError) throw new AppSyncError(error.message, error.errorType, error.data);
          throw error;
        }
      }
      const vtl = template.vtl;
      let result: unknown = prevResult;
      let outcome: DataSourceResult = {};
      if (vtl?.request) {
        const out = vtl.request.render({ arguments: args, source, stash, prevResult }, identity, info);
        this.raise(out, info);
        stash = out.stash;
        args = out.args;
        if (out.subscriptionFilter !== undefined) context.subscriptionFilter = out.subscriptionFilter;
        if (out.isReturn) return out.result;
        outcome = dataSource
          ? await this.invokeDataSource(dataSource, out.result, sync, conflictCall())
          : { result: out.result };
        result = outcome.result;
      }
      if (vtl?.response) {
        const out = vtl.response.render(
          { arguments: args, source, stash, prevResult, result: result ?? null, error: outcome.error },
          identity,
          info,
        );
        this.raise(out, info);
        stash = out.stash;
        args = out.args;
        if (out.subscriptionFilter !== undefined) context.subscriptionFilter = out.subscriptionFilter;
        return out.result;
      }
      if (outcome.error) throw new AppSyncError(outcome.error.message, outcome.error.type, outcome.error.data ?? null);
      return result;
    };

    if (spec.functions.length === 0) return step(spec.template, spec.dataSource, undefined);
    // Pipeline: the before step, the functions in order, then the after step with the last result.
    let prev: unknown;
    if (spec.template.kind === 'js' && spec.template.js) {
      const js = spec.template.js;
      const ctx = jsContext(undefined);
      const before = runJs(() => js.run('request', ctx), info);
      if (before.earlyReturn) return before.value;
      stash = isRecord(ctx.stash) ? ctx.stash : stash;
      for (const fn of spec.functions) prev = await step(fn.template, fn.dataSource, prev, fn.sync);
      return runJs(() => js.run('response', { ...ctx, stash, prev: { result: prev } }), info).value;
    }
    const before = spec.template.vtl?.request?.render({ arguments: args, source, stash }, identity, info);
    if (before) {
      this.raise(before, info);
      stash = before.stash;
      args = before.args;
    }
    for (const fn of spec.functions) prev = await step(fn.template, fn.dataSource, prev, fn.sync);
    const after = spec.template.vtl?.response?.render(
      { arguments: args, source, stash, prevResult: prev, result: prev },
      identity,
      info,
    );
    if (!after) return prev;
    this.raise(after, info);
    return after.result;
  }

  private jsIdentity(identity: RequestIdentity): Json | null {
    if (identity.apiKey) return null;
    if (identity.lambda) return { resolverContext: identity.lambda.resolverContext };
    if (identity.iam) return { ...identity.iam, sourceIp: [identity.sourceIp] };
    const claims = identity.claims;
    const username = String(claims.username ?? claims['cognito:username'] ?? '');
    return {
      sub: claims.sub,
      username,
      issuer: claims.iss,
      claims,
      sourceIp: [identity.sourceIp],
      defaultAuthStrategy: 'ALLOW',
      groups: Array.isArray(claims['cognito:groups']) ? claims['cognito:groups'] : null,
    };
  }

  private raise(
    out: {
      hadException: boolean;
      errors: Array<{ message: string; errorType?: string | null; data?: unknown }>;
    },
    info: GraphQLResolveInfo,
  ): void {
    if (!out.hadException) return;
    const error = out.errors.at(-1);
    // The engine's own text for $util.unauthorized() ("Unauthorized" and where), not a $util.error's message.
    if (error?.errorType === 'Unauthorized' && /^Unauthorized( on \$util\.unauthorized\(\).*)?$/.test(error.message))
      throw unauthorizedFor(info);
    // The engine appends where a failed call was (" on $util.error(...) at L/N 3:2"); AppSync answers the message alone.
    const message = error?.message.replace(/ on \$util\.\w+\([\s\S]*\) at L\/N \d+:\d+$/, '');
    throw new AppSyncError(message ?? 'Template error', error?.errorType ?? null, error?.data ?? null);
  }

  /**
   * AppSync's first check, before any resolver: a field answers only the
   * authorization modes its directives name, or the API's default mode when
   * it names none; `cognito_groups` narrows user pools to those groups.
   */
  private checkAuthModes(operation: OperationDefinitionNode, identity: RequestIdentity): GraphQLError | undefined {
    const mode = modeOf(identity);
    const groups = Array.isArray(identity.claims['cognito:groups'])
      ? identity.claims['cognito:groups'].map(String)
      : [];
    const root =
      operation.operation === 'query'
        ? this.schema.getQueryType()
        : operation.operation === 'mutation'
          ? this.schema.getMutationType()
          : this.schema.getSubscriptionType();
    for (const selection of operation.selectionSet.selections) {
      if (selection.kind !== Kind.FIELD || !root) continue;
      const field = root.getFields()[selection.name.value];
      const authDirectives = (field?.astNode?.directives ?? []).filter(
        (d) => d.name.value.startsWith('aws_') && d.name.value !== 'aws_subscribe',
      );
      const userPools = authDirectives.find(
        (d) => d.name.value === 'aws_cognito_user_pools' || d.name.value === 'aws_auth',
      );
      const groupArg = userPools?.arguments?.find((a) => a.name.value === 'cognito_groups')?.value;
      const allowedGroups =
        groupArg?.kind === Kind.LIST ? groupArg.values.flatMap((v) => (v.kind === Kind.STRING ? [v.value] : [])) : [];
      // A function's role (IAM outside the identity pool) also needs its policies to allow the field.
      if (mode === 'AWS_IAM' && identity.iamAllows && !identity.iamAllows(root.name, selection.name.value))
        return new GraphQLError(
          `Not Authorized to access ${selection.name.value} on type ${root.name}`,
          [selection],
          undefined,
          undefined,
          undefined,
          undefined,
          { errorType: 'Unauthorized' },
        );
      const allowed =
        authDirectives.length === 0
          ? mode === this.auth.defaultMode
          : mode === 'AMAZON_COGNITO_USER_POOLS'
            ? userPools !== undefined && (allowedGroups.length === 0 || allowedGroups.some((g) => groups.includes(g)))
            : authDirectives.some((d) => d.name.value === MODE_DIRECTIVES[mode]);
      if (!allowed)
        return new GraphQLError(
          `Not Authorized to access ${selection.name.value} on type ${root.name}`,
          [selection],
          undefined,
          undefined,
          undefined,
          undefined,
          { errorType: 'Unauthorized' },
        );
    }
    return undefined;
  }

  /** Parses and validates a request; returns the document or AppSync-style errors. */
  prepare(
    query: string,
    operationName?: string,
  ): { document?: DocumentNode; operation?: OperationDefinitionNode; errors?: GraphQLError[] } {
    // Apps send the same few documents over and over: parse and validate each once per schema.
    const key = `${operationName ?? ''}\n${query}`;
    const cached = this.preparedDocuments.get(key);
    if (cached) return cached;
    const prepared = this.parseAndValidate(query, operationName);
    if (this.preparedDocuments.size >= PREPARED_DOCUMENTS_MAX) {
      const oldest = this.preparedDocuments.keys().next();
      if (!oldest.done) this.preparedDocuments.delete(oldest.value);
    }
    this.preparedDocuments.set(key, prepared);
    return prepared;
  }

  private parseAndValidate(
    query: string,
    operationName?: string,
  ): { document?: DocumentNode; operation?: OperationDefinitionNode; errors?: GraphQLError[] } {
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      return { errors: [error instanceof GraphQLError ? error : new GraphQLError(String(error))] };
    }
    const operations = document.definitions.filter(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    );
    const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
    // The limits come before validation: validating a huge document is itself the expensive part.
    for (const candidate of operationName ? operations.filter((o) => o === operation) : operations) {
      const exceeded = this.exceededLimit(document, candidate);
      if (exceeded) return { errors: [exceeded] };
    }
    let errors: readonly GraphQLError[];
    try {
      errors = validate(this.schema, document, [...specifiedRules, SubscriptionRootRule]);
    } catch (error) {
      // Only a pathological document (nesting beyond the stack) gets here.
      return {
        errors: [new GraphQLError(`Validation failed: ${error instanceof Error ? error.message : String(error)}`)],
      };
    }
    if (errors.length > 0) return { errors: [...errors] };
    if (operationName && !operation)
      return { errors: [new GraphQLError(`Unknown operation named "${operationName}".`)] };
    if (!operation || (!operationName && operations.length > 1)) {
      return { errors: [new GraphQLError('Must provide operation name if query contains multiple operations.')] };
    }
    return { document, operation };
  }

  /** AppSync's resolver count and query depth limits, checked on the document before anything runs. */
  private exceededLimit(document: DocumentNode, operation: OperationDefinitionNode): GraphQLError | undefined {
    const measured = measureOperation(this.schema, document, operation, {
      hasResolver: (typeName, fieldName) => this.resolvers.has(`${typeName}.${fieldName}`),
      maxResolvers: this.limits.resolverCount,
      maxDepth: this.limits.queryDepth,
    });
    if (measured.resolvers > this.limits.resolverCount || measured.tooLarge)
      return new GraphQLError(
        resolverLimitError(this.limits.resolverCount).message,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        {
          errorType: LIMIT_ERROR_TYPE,
        },
      );
    if (this.limits.queryDepth > 0 && measured.depth > this.limits.queryDepth)
      return new GraphQLError(
        `The query depth ${measured.depth} exceeds the query depth limit of ${this.limits.queryDepth}.`,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        { errorType: LIMIT_ERROR_TYPE },
      );
    return undefined;
  }

  /**
   * Starts a subscription as AppSync does: validates it, runs its field's
   * resolver (the auth step, which may set a filter) for the caller, and
   * returns what delivery needs. A subscription whose resolver did not run
   * to its end, or whose field answered no auth check, is refused: nothing
   * is ever registered without an auth decision.
   */
  async subscribe(
    query: string,
    variables: Json | undefined,
    operationName: string | undefined,
    identity: RequestIdentity,
  ): Promise<{ plan: SubscriptionPlan } | SubscribeRefusal> {
    const prepared = this.prepare(query, operationName);
    if (!prepared.document || !prepared.operation) return { errors: formatErrors(prepared.errors) ?? [] };
    const { document, operation } = prepared;
    if (operation.operation !== 'subscription') {
      return {
        errors: [
          {
            errorType: 'UnsupportedOperation',
            message: `${operation.operation} not supported through the realtime channel`,
          },
        ],
      };
    }
    const subscriptionType = this.schema.getSubscriptionType();
    // SubscriptionRootRule has made this the only root field, with no directive that could skip it.
    const node = subscriptionRootField(document, operation);
    const field = node ? subscriptionType?.getFields()[node.name.value] : undefined;
    if (!subscriptionType || !node || !field) {
      return {
        errors: [
          {
            errorType: 'ValidationError',
            message: 'A subscription selects exactly one field of the Subscription type.',
          },
        ],
      };
    }
    const context: RequestContext = { identity, phase: 'subscribe' };
    const { result, variables: coerced } = await this.run(document, operation, variables, operationName, context);
    if (result.errors && result.errors.length > 0) return { errors: formatErrors(result.errors) ?? [] };
    const hasResolver = this.resolvers.has(`${subscriptionType.name}.${field.name}`);
    const authorized = hasResolver ? context.subscriptionResolverRan === field.name : context.authModesAllowed === true;
    if (!authorized) {
      return {
        errors: [
          {
            errorType: 'Unauthorized',
            message: `Not Authorized to access ${field.name} on type ${subscriptionType.name}`,
          },
        ],
      };
    }
    let args: Json;
    try {
      const plain = toPlain(getArgumentValues(field, node, coerced ?? {}));
      args = isRecord(plain) ? plain : {};
    } catch (error) {
      return {
        errors: [{ errorType: 'ValidationError', message: error instanceof Error ? error.message : String(error) }],
      };
    }
    // Input-object arguments (`filter`) are the resolver's to turn into a filter; the others filter by equality.
    const argumentFilter = Object.fromEntries(
      Object.entries(args).filter(([name]) => {
        const type = field.args.find((a) => a.name === name)?.type;
        return type !== undefined && !isInputObjectType(getNamedType(type));
      }),
    );
    return {
      plan: {
        authorized: true,
        field: field.name,
        responseKey: node.alias?.value ?? node.name.value,
        selectionSet: node.selectionSet,
        fragments: Object.fromEntries(
          document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d]] : [])),
        ),
        argumentFilter,
        resolverFilter: context.subscriptionFilter,
        resultType: getNamedType(field.type).name,
        // The subscriber's own decision, fixed at subscribe time as AppSync's is.
        deniedFields: [...(identity.lambda?.deniedFields ?? [])],
      },
    };
  }

  /**
   * One subscriber's view of a mutation's result, as AppSync delivers it under
   * a Lambda authorizer's deniedFields: every denied field (at any depth, of
   * any type) is null, in what its filters see and in what it receives, and
   * each one its selection asks for has AppSync's Unauthorized error.
   */
  subscriptionEvent(plan: SubscriptionPlan, payload: Json): { visible: Json; data: Json; errors?: Json[] } {
    const type = this.schema.getType(plan.resultType);
    if (plan.deniedFields.length === 0 || !type) {
      return {
        visible: payload,
        data: { [plan.responseKey]: projectSelection(plan.selectionSet, payload, plan.fragments) },
      };
    }
    const visible = this.redact(type, payload, plan.deniedFields);
    const errors: Json[] = [];
    this.deniedSelections(type, plan.selectionSet, visible, plan, [plan.responseKey], errors);
    const data = { [plan.responseKey]: projectSelection(plan.selectionSet, visible, plan.fragments) };
    return { visible: isRecord(visible) ? visible : {}, data, ...(errors.length > 0 ? { errors } : {}) };
  }

  /** The concrete object types a value of this type may be: its own, or by its __typename, else every possible one. */
  private objectTypesOf(type: GraphQLNamedType, value: Json): GraphQLObjectType[] {
    if (isObjectType(type)) return [type];
    if (!isAbstractType(type)) return [];
    const named = typeof value.__typename === 'string' ? this.schema.getType(value.__typename) : undefined;
    if (named && isObjectType(named)) return [named];
    return [...this.schema.getPossibleTypes(type)];
  }

  private isDenied(types: GraphQLObjectType[], field: string, denied: readonly string[]): boolean {
    return types.some((t) => isFieldDenied(denied, t.name, field, this.coordinates));
  }

  private redact(type: GraphQLNamedType, value: unknown, denied: readonly string[]): unknown {
    if (Array.isArray(value)) return value.map((v) => this.redact(type, v, denied));
    if (!isRecord(value)) return value;
    const types = this.objectTypesOf(type, value);
    if (types.length === 0) return value;
    const out: Json = {};
    for (const [key, inner] of Object.entries(value)) {
      if (this.isDenied(types, key, denied)) {
        out[key] = null;
        continue;
      }
      const field = types.map((t) => t.getFields()[key]).find((f) => f !== undefined);
      out[key] = field ? this.redact(getNamedType(field.type), inner, denied) : inner;
    }
    return out;
  }

  private deniedSelections(
    type: GraphQLNamedType,
    selectionSet: SelectionSetNode | undefined,
    value: unknown,
    plan: SubscriptionPlan,
    path: Array<string | number>,
    errors: Json[],
  ): void {
    if (!selectionSet || value === null || value === undefined) return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        this.deniedSelections(type, selectionSet, v, plan, [...path, i], errors);
      });
      return;
    }
    if (!isRecord(value)) return;
    const types = this.objectTypesOf(type, value);
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const key = selection.alias?.value ?? name;
        if (this.isDenied(types, name, plan.deniedFields)) {
          const owner = types.find((t) => isFieldDenied(plan.deniedFields, t.name, name, this.coordinates));
          errors.push({
            path: [...path, key],
            data: null,
            errorType: 'Unauthorized',
            errorInfo: null,
            locations: selection.loc
              ? [{ line: selection.loc.startToken.line, column: selection.loc.startToken.column, sourceName: null }]
              : [],
            message: `Not Authorized to access ${name} on type ${owner?.name ?? type.name}`,
          });
          continue;
        }
        const field = types.map((t) => t.getFields()[name]).find((f) => f !== undefined);
        if (field)
          this.deniedSelections(
            getNamedType(field.type),
            selection.selectionSet,
            value[name],
            plan,
            [...path, key],
            errors,
          );
      } else {
        const inner =
          selection.kind === Kind.INLINE_FRAGMENT
            ? selection.selectionSet
            : plan.fragments[selection.name.value]?.selectionSet;
        this.deniedSelections(type, inner, value, plan, path, errors);
      }
    }
  }

  async execute(
    query: string,
    variables: Json | undefined,
    operationName: string | undefined,
    context: RequestContext,
  ): Promise<{ result: ExecutionResult; mutationEvents: Array<{ mutation: string; payload: unknown }> }> {
    const prepared = this.prepare(query, operationName);
    if (!prepared.document || !prepared.operation) return { result: { errors: prepared.errors }, mutationEvents: [] };
    const { result } = await this.run(prepared.document, prepared.operation, variables, operationName, context);
    const mutationEvents: Array<{ mutation: string; payload: unknown }> = [];
    if (prepared.operation.operation === 'mutation' && isRecord(result.data)) {
      for (const selection of prepared.operation.selectionSet.selections) {
        if (selection.kind !== Kind.FIELD) continue;
        const payload = result.data[selection.alias?.value ?? selection.name.value];
        // Subscribers filter on field names: an alias in the mutation must not pose as another field.
        if (payload !== null && payload !== undefined)
          mutationEvents.push({
            mutation: selection.name.value,
            payload: byFieldName(selection.selectionSet, payload, prepared.document),
          });
      }
    }
    return { result, mutationEvents };
  }

  /** The auth-mode check, then graphql-js; variables that are not an object answer an error, never throw. */
  private async run(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: unknown,
    operationName: string | undefined,
    context: RequestContext,
  ): Promise<{ result: ExecutionResult; variables?: Json }> {
    if (variables !== undefined && variables !== null && !isRecord(variables))
      return { result: { errors: [new GraphQLError('Variables must be provided as a JSON object.')] } };
    const denied = this.checkAuthModes(operation, context.identity);
    if (denied) return { result: { data: null, errors: [denied] } };
    context.authModesAllowed = true;
    const coerced = getVariableValues(this.schema, operation.variableDefinitions ?? [], variables ?? {});
    if (coerced.errors) return { result: { errors: coerced.errors } };
    const result = await execute({
      schema: this.schema,
      document,
      variableValues: variables ?? undefined,
      operationName,
      contextValue: context,
    });
    return { result, variables: coerced.coerced };
  }
}

/**
 * The subscriber's selection of a mutation result, as AppSync delivers it:
 * the fields the subscription asks for, null where the mutation did not
 * select them (no resolver runs and no non-null check nulls the event).
 */
export const projectSelection = (
  selectionSet: SelectionSetNode | undefined,
  value: unknown,
  fragments: Record<string, FragmentDefinitionNode>,
): unknown => {
  if (value === null || value === undefined || !selectionSet) return value ?? null;
  if (Array.isArray(value)) return value.map((v) => projectSelection(selectionSet, v, fragments));
  if (!isRecord(value)) return value;
  const out: Json = {};
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const key = selection.alias?.value ?? selection.name.value;
      out[key] = projectSelection(selection.selectionSet, value[selection.name.value], fragments);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      Object.assign(out, projectSelection(selection.selectionSet, value, fragments));
    } else {
      Object.assign(out, projectSelection(fragments[selection.name.value]?.selectionSet, value, fragments));
    }
  }
  return out;
};

/** The errorType of AppSync's per-request limit errors. */
export const LIMIT_ERROR_TYPE = 'LimitExceededError';

const resolverLimitError = (limit: number) =>
  new AppSyncError(`The request exceeds the limit of ${limit} resolvers per request.`, LIMIT_ERROR_TYPE);

/** A mutation result keyed by field names instead of the response keys (aliases) the mutation chose. */
const byFieldName = (selectionSet: SelectionSetNode | undefined, value: unknown, document: DocumentNode): unknown => {
  if (!selectionSet || value === null || value === undefined) return value;
  if (Array.isArray(value)) return value.map((v) => byFieldName(selectionSet, v, document));
  if (!isRecord(value)) return value;
  const out: Json = {};
  const visit = (set: SelectionSetNode, seen: Set<string>) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        if (key in value) out[selection.name.value] = byFieldName(selection.selectionSet, value[key], document);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, seen);
      } else if (!seen.has(selection.name.value)) {
        const fragment = document.definitions.find(
          (d): d is FragmentDefinitionNode =>
            d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value,
        );
        if (fragment) visit(fragment.selectionSet, new Set([...seen, selection.name.value]));
      }
    }
  };
  visit(selectionSet, new Set());
  return out;
};

/** Formats errors the way AppSync does: errorType, data and errorInfo beside message, path and locations. */
export const formatErrors = (errors: readonly GraphQLError[] | undefined): Json[] | undefined =>
  errors?.map((error) => {
    const original = error.originalError;
    const appsync = original instanceof AppSyncError ? original : undefined;
    const extensionType = typeof error.extensions?.errorType === 'string' ? error.extensions.errorType : undefined;
    return {
      path: error.path ?? null,
      data: appsync?.data ?? null,
      errorType: appsync?.errorType ?? extensionType ?? (original ? 'Unknown' : 'ValidationError'),
      errorInfo: appsync?.errorInfo ?? null,
      locations: error.locations?.map((l) => ({ ...l, sourceName: null })) ?? [],
      message: error.message,
    };
  });
