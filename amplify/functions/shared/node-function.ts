import { defineFunction } from '@aws-amplify/backend';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';

export interface NodeFunctionProps {
  /** The function's name; also the prefix of its logical ids. */
  name: string;
  /** Absolute path of the handler module. */
  entry: string;
  /** The Gen 2 resource group (nested stack) it lives in; see each resource.ts for why. */
  resourceGroupName: 'auth' | 'data' | 'function' | 'rest-api';
  timeoutSeconds: number;
  memoryMB: number;
}

/**
 * A Gen 2 function (`defineFunction(scope => fn)`) built the way we want it:
 * - the AWS SDK v3 comes from the Node.js 24 runtime instead of the bundle, so
 *   each bundle is our code plus Powertools (tens of KB rather than ~600 KB);
 * - its own role, which may write only to its own log group (no AWS-managed
 *   AWSLambdaBasicExecutionRole); everything else is granted by name in backend.ts;
 * - JSON logs kept for a month, arm64, ESM with source maps.
 */
export const defineNodeFunction = (props: NodeFunctionProps) =>
  defineFunction(
    (scope) => {
      const logGroup = new LogGroup(scope, `${props.name}-logs`, {
        retention: RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const role = new Role(scope, `${props.name}-role`, {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
        description: `Execution role of the ${props.name} function`,
      });
      role.addToPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          // The log group ARN attribute ends in ":*", which covers its streams.
          resources: [logGroup.logGroupArn],
        }),
      );
      return new NodejsFunction(scope, `${props.name}-lambda`, {
        entry: props.entry,
        handler: 'handler',
        runtime: Runtime.NODEJS_24_X,
        architecture: Architecture.ARM_64,
        memorySize: props.memoryMB,
        timeout: Duration.seconds(props.timeoutSeconds),
        role,
        logGroup,
        loggingFormat: LoggingFormat.JSON,
        applicationLogLevelV2: ApplicationLogLevel.INFO,
        environment: { NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: props.name },
        bundling: {
          format: OutputFormat.ESM,
          target: 'node22',
          minify: true,
          sourceMap: true,
          bundleAwsSDK: false,
          mainFields: ['module', 'main'],
          // Some dependencies are CommonJS; give them a require() inside the ES module.
          banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        },
      });
    },
    { resourceGroupName: props.resourceGroupName },
  );
