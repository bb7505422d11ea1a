/**
 * The reference stack of `npm run bench`, in a process of its own: Gen 1's
 * AppSync simulator (what `amplify mock` runs) as published, loaded with the
 * synthesized VTL resolvers, on the DynamoDB Local it is given, where it
 * creates the template's tables (what `amplify mock` does).
 *
 *   tsx scripts/bench-reference.ts <assembly dir> <dynamodb endpoint> <port>
 *
 * Prints `ready <url>` and serves until killed. The only change to the
 * templates is the textual `normalize` (the simulator's parser otherwise
 * refuses `$x.or` reads); of src/local only the assembly reader and the
 * table creation are loaded.
 */

import http from 'node:http';
import { AmplifyAppSyncSimulator } from '@aws-amplify/amplify-appsync-simulator';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CloudAssembly } from '../src/local/cloud/assembly';
import { LOCAL_AWS } from '../src/local/dynamodb/local';
import { createTables, tableSpecs } from '../src/local/dynamodb/tables';
import { normalize } from '../src/local/graphql/vtl-normalize';

type Json = Record<string, unknown>;

/** Gen 1's simulator, loaded with the synthesized VTL resolvers (APPSYNC_JS ones are beyond it) on 127.0.0.1. */
export const startReference = async (assemblyDir: string, dynamodbEndpoint: string, port: number) => {
  const assembly = new CloudAssembly(assemblyDir, {
    apiId: 'local',
    graphqlUrl: '',
    userPoolId: 'us-east-1_LocalPool',
    userPoolClientId: 'localclient0000000000000000',
    identityPoolId: 'x',
    region: 'us-east-1',
    accountId: '000000000000',
    pushApplicationId: 'x',
  });
  // As `amplify mock` does, the reference creates the tables it needs in the DynamoDB it is given.
  const tables = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamodbEndpoint });
  await createTables(tables, tableSpecs(assembly));
  tables.destroy();
  const schemaResource = assembly.resources('AWS::AppSync::GraphQLSchema')[0];
  const schema = schemaResource
    ? assembly.readAsset(schemaResource.stack.resolve(schemaResource.properties.DefinitionS3Location))
    : '';
  const text = (stack: (typeof schemaResource & object)['stack'], inline: unknown, location: unknown) =>
    normalize(
      inline !== undefined
        ? String(stack.resolve(inline))
        : location !== undefined
          ? assembly.readAsset(stack.resolve(location))
          : '$util.toJson({})',
    );
  const dataSources: Json[] = assembly.resources('AWS::AppSync::DataSource').flatMap(({ stack, properties }) => {
    const name = String(stack.resolve(properties.Name));
    const dynamo = stack.resolve(properties.DynamoDBConfig) as Json | undefined;
    if (properties.Type === 'NONE') return [{ type: 'NONE', name }];
    if (properties.Type !== 'AMAZON_DYNAMODB' || !dynamo) return [];
    return [
      {
        type: 'AMAZON_DYNAMODB',
        name,
        config: {
          endpoint: dynamodbEndpoint,
          region: 'us-east-1',
          accessKeyId: 'local',
          secretAccessKey: 'local',
          tableName: dynamo.TableName,
        },
      },
    ];
  });
  const known = new Set(dataSources.map((d) => String(d.name)));
  const mappingTemplates: Array<{ path: string; content: string }> = [];
  const functions: Json[] = [];
  const functionNames = new Map<string, string>();
  for (const { stack, logicalId, properties } of assembly.resources('AWS::AppSync::FunctionConfiguration')) {
    if (properties.Runtime || !known.has(String(stack.resolve(properties.DataSourceName)))) continue;
    const name = `${String(properties.Name)}_${logicalId}`;
    functionNames.set(`${stack.path}/${logicalId}`, name);
    mappingTemplates.push({
      path: `${name}.req.vtl`,
      content: text(stack, properties.RequestMappingTemplate, properties.RequestMappingTemplateS3Location),
    });
    mappingTemplates.push({
      path: `${name}.res.vtl`,
      content: text(stack, properties.ResponseMappingTemplate, properties.ResponseMappingTemplateS3Location),
    });
    functions.push({
      name,
      dataSourceName: String(stack.resolve(properties.DataSourceName)),
      requestMappingTemplateLocation: `${name}.req.vtl`,
      responseMappingTemplateLocation: `${name}.res.vtl`,
    });
  }
  const resolvers: Json[] = [];
  for (const { stack, properties } of assembly.resources('AWS::AppSync::Resolver')) {
    if (properties.Runtime) continue;
    const ids =
      ((stack.resolve(properties.PipelineConfig) as Json | undefined)?.Functions as string[] | undefined) ?? [];
    const names = ids.map((id) => functionNames.get(id));
    if (names.some((n) => n === undefined)) continue;
    resolvers.push({
      kind: 'PIPELINE',
      typeName: properties.TypeName,
      fieldName: properties.FieldName,
      functions: names,
      requestMappingTemplate: text(stack, properties.RequestMappingTemplate, undefined),
      responseMappingTemplate: text(stack, properties.ResponseMappingTemplate, undefined),
    });
  }
  // The simulator's DynamoDB client takes its credentials from the environment; DynamoDB Local accepts any.
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  // The simulator listens on every interface; keep it on loopback.
  const listen = http.Server.prototype.listen;
  http.Server.prototype.listen = function (this: http.Server, ...args: unknown[]) {
    if (typeof args[0] === 'number')
      return Reflect.apply(listen, this, [
        args[0],
        '127.0.0.1',
        ...args.slice(1).filter((a) => typeof a === 'function'),
      ]);
    return Reflect.apply(listen, this, args);
  } as typeof listen;
  const simulator = new AmplifyAppSyncSimulator({ port, wsPort: port });
  try {
    simulator.init({
      schema: { content: schema },
      resolvers,
      functions,
      dataSources,
      mappingTemplates,
      appSync: {
        name: 'reference',
        defaultAuthenticationType: { authenticationType: 'AMAZON_COGNITO_USER_POOLS', cognitoUserPoolConfig: {} },
        additionalAuthenticationProviders: [],
      },
    } as never);
    await simulator.start();
  } finally {
    http.Server.prototype.listen = listen;
  }
  return { url: simulator.url, stop: () => simulator.stop() };
};

const [assemblyDir, dynamodbEndpoint, port] = process.argv.slice(2);
if (!assemblyDir || !dynamodbEndpoint || !port) {
  console.error('usage: bench-reference.ts <assembly dir> <dynamodb endpoint> <port>');
  process.exit(2);
}
startReference(assemblyDir, dynamodbEndpoint, Number(port)).then(
  ({ url }) => console.log(`ready ${url}`),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
