import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GraphqlOutput } from '@aws-amplify/backend-output-schemas';
import {
  AmplifyData,
  AmplifyDataDefinition,
  AmplifyDynamoDbTableWrapper,
  type AuthorizationModes,
  type ConflictResolutionStrategy,
  FieldLogLevel,
  type FunctionSlot,
  RetentionDays,
} from '@aws-amplify/data-construct';
import type {
  AuthResources,
  BackendOutputStorageStrategy,
  ConstructContainerEntryGenerator,
  ConstructFactory,
  ConstructFactoryGetInstanceProps,
  FunctionResources,
  GenerateContainerEntryProps,
  ResourceProvider,
} from '@aws-amplify/plugin-types';
import { Aspects, type IAspect, Stack, Tags } from 'aws-cdk-lib';
import { CfnDataSource, CfnFunctionConfiguration, CfnResolver, MappingTemplate } from 'aws-cdk-lib/aws-appsync';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { CfnPolicy, Effect, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type { IConstruct } from 'constructs';
import { SYNC_ENV } from '../functions/shared/versioned-writes';

/**
 * The parts of an `a.schema(...)` value this factory uses. Declared structurally
 * so that the factory depends on the schema's behaviour, not on its generics.
 */
interface TransformableSchema {
  transform(): {
    schema: string;
    functionSlots: FunctionSlot[];
    jsFunctions: JsResolver[];
    lambdaFunctions: Record<string, ConstructFactory<ResourceProvider<FunctionResources>>>;
  };
}

interface JsResolver {
  typeName: string;
  fieldName: string;
  handlers: Array<{ dataSource: string; entry: string | { relativePath: string; importLine: string } }>;
}

type FunctionFactory = ConstructFactory<
  ResourceProvider<FunctionResources> & { addEnvironment(key: string, value: string): void }
>;

/** Grants one function direct access to one model table. */
export interface TableAccess {
  function: FunctionFactory;
  model: string;
  actions: Array<
    'dynamodb:GetItem' | 'dynamodb:PutItem' | 'dynamodb:UpdateItem' | 'dynamodb:DeleteItem' | 'dynamodb:Query'
  >;
  /**
   * The function writes as the versioned data source does (see
   * functions/shared/versioned-writes.ts): it also gets PutItem on the
   * DeltaSync table, whose name comes through `DELTASYNC_TABLE_NAME_PARAMETER`,
   * and the model data source's TTLs.
   */
  versioned?: boolean;
}

/** Conflict resolution by one of the project's own functions (AppSync's `ConflictHandler: LAMBDA`). */
export interface LambdaConflictResolution {
  detectionType: 'VERSION';
  handlerType: 'LAMBDA';
  conflictHandler: ConstructFactory<ResourceProvider<FunctionResources>>;
}

export interface SyncedDataProps {
  schema: TransformableSchema;
  name?: string;
  /** DataStore conflict detection for every model. */
  conflictResolution: Exclude<ConflictResolutionStrategy, { handlerType: 'LAMBDA' }> | LambdaConflictResolution;
  /**
   * Keeps soft-deleted records out of every non-sync read (`get<Model>`, the
   * list and index queries): a postDataLoad slot drops items with `_deleted`.
   * The `sync<Model>s` queries still return them, which is how DataStore
   * learns of deletes.
   */
  hideDeletedRecords?: boolean;
  /**
   * Direct table access for functions outside the data stack (such as auth
   * triggers). The table name reaches the function through an SSM parameter
   * whose path is a plain string, which avoids a deploy-time dependency cycle
   * between the stacks: the function gets `<MODEL>_TABLE_NAME_PARAMETER`.
   */
  tableAccess?: TableAccess[];
}

/** The env var that carries a model's table name into a function granted `tableAccess`. */
export const tableNameEnvVar = (model: string): string => `${model.toUpperCase()}_TABLE_NAME`;

/** The env var with the SSM parameter path that holds that table name in the cloud. */
export const tableNameParameterEnvVar = (model: string): string => `${tableNameEnvVar(model)}_PARAMETER`;

const DEFAULT_NAME = 'amplifyData';
const DYNAMO_STRATEGY = { dbType: 'DYNAMODB', provisionStrategy: 'AMPLIFY_TABLE' } as const;
const APPSYNC_JS = { name: 'APPSYNC_JS', runtimeVersion: '1.0.0' };
const DEPLOYMENT_TYPE_KEY = 'amplify-backend-type';
const BACKEND_NAME_KEY = 'amplify-backend-name';

/**
 * `defineData`, with DataStore conflict detection switched on.
 *
 * Gen 2's `defineData` builds its `AmplifyData` construct without a
 * `dataStoreConfiguration`, and the transform runs inside that constructor, so
 * no later escape hatch can add `_version`, the Sync queries or the DeltaSync
 * table. This factory builds the same construct from the same `a.schema`
 * definition with the configuration set, and hands it Gen 2's output storage
 * strategy, so the `data` entry of `amplify_outputs.json` points at this API.
 */
export const defineSyncedData = (props: SyncedDataProps): ConstructFactory<AmplifyData> =>
  new SyncedDataFactory(props, new Error().stack);

class SyncedDataFactory implements ConstructFactory<AmplifyData> {
  private generator: SyncedDataGenerator | undefined;

  constructor(
    private readonly props: SyncedDataProps,
    private readonly importStack: string | undefined,
  ) {}

  getInstance = (getInstanceProps: ConstructFactoryGetInstanceProps): AmplifyData => {
    getInstanceProps.importPathVerifier?.verify(
      this.importStack,
      join('amplify', 'data', 'resource'),
      'Amplify Data must be defined in amplify/data/resource.ts',
    );
    const auth = getInstanceProps.constructContainer
      .getConstructFactory<ResourceProvider<AuthResources>>('AuthResources')
      ?.getInstance(getInstanceProps);
    if (!auth) {
      throw new Error('defineSyncedData needs defineAuth: every model here is owner-authorized by the user pool.');
    }
    this.generator ??= new SyncedDataGenerator(this.props, auth.resources, getInstanceProps);
    // The container caches by generator, so every caller gets the same construct.
    const instance = getInstanceProps.constructContainer.getOrCompute(this.generator);
    if (!(instance instanceof AmplifyData)) {
      throw new Error('defineSyncedData: the construct container returned an unexpected resource.');
    }
    return instance;
  };
}

class SyncedDataGenerator implements ConstructContainerEntryGenerator {
  readonly resourceGroupName = 'data';
  private deltaSyncParameter: { name: string; path: string } | undefined;

  constructor(
    private readonly props: SyncedDataProps,
    private readonly auth: AuthResources,
    private readonly getInstanceProps: ConstructFactoryGetInstanceProps,
  ) {}

  generateContainerEntry = ({ scope, ssmEnvironmentEntriesGenerator }: GenerateContainerEntryProps): AmplifyData => {
    const name = this.props.name ?? DEFAULT_NAME;
    const transformed = this.props.schema.transform();
    const definition = AmplifyDataDefinition.fromString(transformed.schema, DYNAMO_STRATEGY);
    const isSandbox = scope.node.tryGetContext(DEPLOYMENT_TYPE_KEY) === 'sandbox';

    const authorizationModes: AuthorizationModes = {
      defaultAuthorizationMode: 'AMAZON_COGNITO_USER_POOLS',
      userPoolConfig: { userPool: this.auth.userPool },
      identityPoolConfig: {
        identityPoolId: this.auth.identityPoolId,
        authenticatedUserRole: this.auth.authenticatedUserIamRole,
        unauthenticatedUserRole: this.auth.unauthenticatedUserIamRole,
      },
    };

    const functionNameMap = Object.fromEntries(
      Object.entries(transformed.lambdaFunctions).map(([fnName, factory]) => [
        fnName,
        factory.getInstance(this.getInstanceProps).resources.lambda,
      ]),
    );

    const conflict = this.props.conflictResolution;
    let handlerFn: IFunction | undefined;
    let project: ConflictResolutionStrategy;
    if (conflict.handlerType === 'LAMBDA') {
      handlerFn = conflict.conflictHandler.getInstance(this.getInstanceProps).resources.lambda;
      project = { detectionType: conflict.detectionType, handlerType: 'LAMBDA', conflictHandler: handlerFn };
    } else {
      project = conflict;
    }
    const functionSlots = [
      ...transformed.functionSlots,
      ...(this.props.hideDeletedRecords ? hideDeletedSlots(transformed.schema) : []),
    ];

    const api = new AmplifyData(scope, name, {
      apiName: name,
      definition: { ...definition, functionSlots },
      authorizationModes,
      // The same strategy defineData uses: this is what makes the API the `data` output.
      outputStorageStrategy: this.getInstanceProps
        .outputStorageStrategy as unknown as BackendOutputStorageStrategy<GraphqlOutput>,
      functionNameMap,
      dataStoreConfiguration: { project },
      // Request-level logging (errors only, no request or response bodies).
      logging: { fieldLogLevel: FieldLogLevel.ERROR, excludeVerboseContent: true, retention: RetentionDays.ONE_MONTH },
      translationBehavior: {
        sandboxModeEnabled: false,
        allowDestructiveGraphqlSchemaUpdates: true,
        _provisionHotswapFriendlyResources: isSandbox,
      },
    });
    Tags.of(api).add('amplify:friendly-name', name);
    if (handlerFn) grantConflictHandlerInvoke(api, handlerFn);
    if (isSandbox) {
      Aspects.of(api).add(new ReplaceTableUponGsiUpdate());
    }
    for (const table of Object.values(api.resources.cfnResources.amplifyDynamoDbTables)) {
      table.pointInTimeRecoveryEnabled = true;
    }

    addJsResolvers(scope, api, transformed.jsFunctions, isSandbox);
    this.grantTableAccess(scope, api, ssmEnvironmentEntriesGenerator);
    return api;
  };

  private grantTableAccess(
    scope: IConstruct,
    api: AmplifyData,
    ssm: GenerateContainerEntryProps['ssmEnvironmentEntriesGenerator'],
  ): void {
    for (const access of this.props.tableAccess ?? []) {
      const table = api.resources.tables[access.model];
      if (!table) {
        throw new Error(
          `tableAccess names model '${access.model}', which the schema does not define. Models: ${Object.keys(api.resources.tables).join(', ')}`,
        );
      }
      const [entry] = ssm.generateSsmEnvironmentEntries({ [tableNameEnvVar(access.model)]: table.tableName });
      if (!entry) throw new Error(`no SSM parameter was created for the ${access.model} table name`);
      const fn = access.function.getInstance(this.getInstanceProps);
      const role = fn.resources.lambda.role;
      if (!role) throw new Error(`tableAccess: function ${fn.resources.lambda.node.path} has no role`);
      fn.addEnvironment(tableNameParameterEnvVar(access.model), entry.path);
      const parameterArn = Stack.of(scope).formatArn({
        service: 'ssm',
        resource: 'parameter',
        resourceName: entry.path.replace(/^\//, ''),
      });
      const statements = [
        new PolicyStatement({ effect: Effect.ALLOW, actions: access.actions, resources: [table.tableArn] }),
        new PolicyStatement({ effect: Effect.ALLOW, actions: ['ssm:GetParameter'], resources: [parameterArn] }),
      ];
      if (access.versioned) statements.push(...this.grantDeltaSync(scope, api, access, fn, ssm));
      new Policy(scope, `${access.model}TableAccess${fn.resources.lambda.node.id}`, { roles: [role], statements });
    }
  }

  /** The DeltaSync table and TTLs for a function that writes versioned items: the values the model's data source has. */
  private grantDeltaSync(
    scope: IConstruct,
    api: AmplifyData,
    access: TableAccess,
    fn: ReturnType<FunctionFactory['getInstance']>,
    ssm: GenerateContainerEntryProps['ssmEnvironmentEntriesGenerator'],
  ): PolicyStatement[] {
    const deltaTable = api.node.tryFindChild('DataStore');
    if (!(deltaTable instanceof Table)) throw new Error('tableAccess versioned: the API has no DeltaSync table');
    const source = api.node
      .findAll()
      .find((node): node is CfnDataSource => node instanceof CfnDataSource && node.name === `${access.model}Table`);
    const dynamo = source?.dynamoDbConfig;
    const delta = dynamo && 'deltaSyncConfig' in dynamo ? dynamo.deltaSyncConfig : undefined;
    if (!delta || !('baseTableTtl' in delta)) {
      throw new Error(`tableAccess versioned: the ${access.model} data source has no DeltaSyncConfig`);
    }
    // One parameter for every function that needs the name.
    this.deltaSyncParameter ??= ssm.generateSsmEnvironmentEntries({
      [SYNC_ENV.deltaSyncTableName]: deltaTable.tableName,
    })[0];
    const entry = this.deltaSyncParameter;
    if (!entry) throw new Error('no SSM parameter was created for the DeltaSync table name');
    fn.addEnvironment(`${SYNC_ENV.deltaSyncTableName}_PARAMETER`, entry.path);
    fn.addEnvironment(SYNC_ENV.deltaSyncTableTtlMinutes, String(delta.deltaSyncTableTtl));
    fn.addEnvironment(SYNC_ENV.baseTableTtlMinutes, String(delta.baseTableTtl));
    const parameterArn = Stack.of(scope).formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: entry.path.replace(/^\//, ''),
    });
    return [
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['dynamodb:PutItem'], resources: [deltaTable.tableArn] }),
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['ssm:GetParameter'], resources: [parameterArn] }),
    ];
  }
}

/** The read queries of each `@model` type in a transformed schema: get, list (unless disabled) and index queries. */
export const modelReadQueries = (schema: string): string[] => {
  const queries: string[] = [];
  // The transform writes each type's directives, then its field block between a `{` and a `}` on lines of their own.
  for (const match of schema.matchAll(/^type (\w+) @model(\([^)]*\))?[\s\S]*?^\{$([\s\S]*?)^\}$/gm)) {
    const [, model = '', modelArgs = '', body = ''] = match;
    if (!/\bget\s*:\s*null/.test(modelArgs)) queries.push(`get${model}`);
    if (!/\blist\s*:\s*null/.test(modelArgs)) queries.push(`list${model}s`);
    for (const index of body.matchAll(/queryField:\s*"(\w+)"/g)) if (index[1]) queries.push(index[1]);
  }
  return queries;
};

const PASS_THROUGH = MappingTemplate.fromString('$util.toJson($ctx.result)');

/** A NONE-data-source step after the data load: a `get` becomes null, a list loses its deleted items. */
const hideDeletedSlots = (schema: string): FunctionSlot[] =>
  modelReadQueries(schema).map((fieldName) => ({
    typeName: 'Query',
    fieldName,
    slotName: 'postDataLoad',
    slotIndex: 1,
    function: {
      requestMappingTemplate: MappingTemplate.fromString(
        fieldName.startsWith('get') ? HIDE_DELETED_ITEM : HIDE_DELETED_ITEMS,
      ),
      responseMappingTemplate: PASS_THROUGH,
    },
  }));

const HIDE_DELETED_ITEM = [
  '## Soft-deleted records stay for DataStore (sync queries), not for other reads.',
  '#if( $util.isNull($ctx.prev.result) || $ctx.prev.result._deleted == true )',
  '  $util.toJson({ "version": "2018-05-29", "payload": null })',
  '#else',
  '  $util.toJson({ "version": "2018-05-29", "payload": $ctx.prev.result })',
  '#end',
].join('\n');

const HIDE_DELETED_ITEMS = [
  '## Soft-deleted records stay for DataStore (sync queries), not for other reads.',
  '#set( $kept = [] )',
  '#foreach( $item in $util.defaultIfNull($ctx.prev.result.items, []) )',
  '  #if( $item._deleted != true )',
  '    $util.qr($kept.add($item))',
  '  #end',
  '#end',
  '#if( !$util.isNull($ctx.prev.result) )',
  '  $util.qr($ctx.prev.result.put("items", $kept))',
  '#end',
  '$util.toJson({ "version": "2018-05-29", "payload": $ctx.prev.result })',
].join('\n');

/**
 * The transformer's policy for invoking a conflict handler names it as
 * `arn:${AWS:Partition}:…` (one colon, not a pseudo parameter), which
 * CloudFormation rejects; each data-source role gets the function's own ARN instead.
 */
const grantConflictHandlerInvoke = (api: AmplifyData, fn: IFunction): void => {
  for (const node of api.node.findAll()) {
    if (node instanceof CfnPolicy && node.node.scope?.node.id === 'InvokeLambdaFunction') {
      node.addPropertyOverride('PolicyDocument.Statement', [
        { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fn.functionArn },
      ]);
    }
  }
};

/** Gen 2 sandbox semantics: a changed GSI replaces the table instead of failing the deploy. */
class ReplaceTableUponGsiUpdate implements IAspect {
  visit(node: IConstruct): void {
    if (AmplifyDynamoDbTableWrapper.isAmplifyDynamoDbTableResource(node)) {
      node.addPropertyOverride('replaceTableUponGsiUpdate', true);
    }
  }
}

/** The pass-through pipeline resolver Gen 2 puts around `a.handler.custom` functions. */
const pipelineCode = (apiId: string, environmentName: string): string =>
  [
    'export const request = (ctx) => {',
    `  ctx.stash.awsAppsyncApiId = '${apiId}';`,
    `  ctx.stash.amplifyApiEnvironmentName = '${environmentName}';`,
    '  return {};',
    '};',
    'export const response = (ctx) => ctx.prev.result;',
    '',
  ].join('\n');

const DATA_DIR = dirname(fileURLToPath(import.meta.url));

const resolveEntry = (entry: JsResolver['handlers'][number]['entry']): string => {
  const path = typeof entry === 'string' ? entry : entry.relativePath;
  const absolute = isAbsolute(path) ? path : join(DATA_DIR, path);
  // Fail at synth time, with the path, rather than at deploy time.
  readFileSync(absolute);
  return absolute;
};

/** Same resources as Gen 2's convertJsResolverDefinition: one AppSync function per handler, one pipeline. */
const addJsResolvers = (scope: IConstruct, api: AmplifyData, resolvers: JsResolver[], isSandbox: boolean): void => {
  const environmentName = isSandbox ? 'NONE' : String(scope.node.tryGetContext(BACKEND_NAME_KEY) ?? 'NONE');
  for (const resolver of resolvers) {
    const functionIds = resolver.handlers.map((handler, idx) => {
      const fnName = `Fn_${resolver.typeName}_${resolver.fieldName}_${idx + 1}`;
      const asset = new Asset(scope, `${fnName}_asset`, { path: resolveEntry(handler.entry) });
      const fn = new CfnFunctionConfiguration(scope, fnName, {
        apiId: api.apiId,
        dataSourceName: handler.dataSource,
        name: fnName,
        codeS3Location: asset.s3ObjectUrl,
        runtime: APPSYNC_JS,
      });
      fn.node.addDependency(api);
      return fn.attrFunctionId;
    });
    new CfnResolver(scope, `Resolver_${resolver.typeName}_${resolver.fieldName}`, {
      apiId: api.apiId,
      typeName: resolver.typeName,
      fieldName: resolver.fieldName,
      kind: 'PIPELINE',
      code: pipelineCode(api.apiId, environmentName),
      runtime: APPSYNC_JS,
      pipelineConfig: { functions: functionIds },
    }).node.addDependency(api);
  }
};
