import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { LocalFunctionSpec } from '../functions/specs';
import { LambdaError } from './errors';

/**
 * Lambda's view of the running functions: names, ARNs and qualifiers as the
 * API takes them (a name, `account:function:name` or the whole ARN, with an
 * optional `:qualifier`), and each function's configuration as
 * GetFunctionConfiguration shapes it.
 */

export interface FunctionNames {
  region: string;
  accountId: string;
}

/** Lambda's pattern for FunctionName (name, partial or full ARN, optional qualifier). */
const FUNCTION_NAME =
  /^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?$/;

export const functionArn = (names: FunctionNames, name: string): string =>
  `arn:aws:lambda:${names.region}:${names.accountId}:function:${name}`;

/** The function's name and qualifier in a FunctionName (and a Qualifier parameter); ValidationException for a malformed one. */
export const parseFunctionName = (raw: string, qualifier: string | undefined): { name: string; qualifier?: string } => {
  const match = raw.length <= 170 ? FUNCTION_NAME.exec(raw) : null;
  const name = match?.[7];
  if (!match || !name || name.length > 64)
    throw new LambdaError(
      'ValidationException',
      `1 validation error detected: Value '${raw.slice(0, 200)}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${FUNCTION_NAME.source}`,
    );
  const inName = match[9];
  if (inName !== undefined && qualifier !== undefined && inName !== qualifier)
    throw new LambdaError(
      'InvalidParameterValueException',
      'The derived qualifier from the function name does not match the specified qualifier.',
    );
  const effective = qualifier ?? inName;
  return effective === undefined ? { name } : { name, qualifier: effective };
};

/** The template's own variables: the local credentials and endpoints a function gets are not configuration. */
const configuredVariables = (env: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith('AWS_') && key !== 'PATH'));

export const configurationOf = (names: FunctionNames, spec: LocalFunctionSpec) => {
  const code = readFileSync(spec.entry);
  return {
    FunctionName: spec.name,
    FunctionArn: functionArn(names, spec.name),
    Runtime: spec.runtime,
    Role: spec.roleArn,
    Handler: spec.handler,
    CodeSize: code.length,
    Description: '',
    Timeout: spec.timeoutSeconds,
    MemorySize: spec.memoryMB ?? 128,
    LastModified: statSync(spec.entry).mtime.toISOString().replace('Z', '+0000'),
    CodeSha256: createHash('sha256').update(code).digest('base64'),
    Version: '$LATEST',
    Environment: { Variables: configuredVariables(spec.env) },
    TracingConfig: { Mode: 'PassThrough' },
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: ['x86_64'],
    EphemeralStorage: { Size: 512 },
  };
};
