import { CfnRole, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type IFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';

/**
 * Replaces the AWS-managed AWSLambdaBasicExecutionRole (logs on every log
 * group in the account) with the two log actions on the function's own log group.
 */
export const scopeFunctionLogging = (fn: IFunction): void => {
  if (!(fn instanceof LambdaFunction)) throw new Error(`${fn.node.path}: expected a Lambda function`);
  const cfnRole = fn.role?.node.defaultChild;
  if (!(cfnRole instanceof CfnRole)) throw new Error(`${fn.node.path}: expected a function role created with it`);
  cfnRole.managedPolicyArns = [];
  fn.addToRolePolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      // The log group ARN attribute ends in ":*", which covers its streams.
      resources: [fn.logGroup.logGroupArn],
    }),
  );
};
