import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { AssemblyError, type CloudAssembly } from '../cloud/assembly';
import { nodeRuntimeFor } from './node-runtimes';
import type { FunctionSpec } from './runner';

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A function as a synthesized assembly defines it, with the endpoints the local services use. */
export interface LocalFunctionSpec extends FunctionSpec {
  logicalId: string;
  /** The execution role (its ARN, as the assembly names it): its policies limit what the function may do. */
  roleArn: string | undefined;
  /** The role's local credentials, which the function signs with (and its stream mappings read with). */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  /** The folder of the bundle (index.mjs and its source map). */
  codeDir: string;
  /** The project files the bundle was built from (absolute), read from its source map. */
  inputs: string[];
  /** Equal keys mean the same code, handler, timeout and environment: a running worker can stay. */
  key: string;
}

/** A synthesis made without bundling has no bundle for this function, and none was built before. */
export class MissingBundleError extends Error {
  override readonly name = 'MissingBundleError';
}

export interface FunctionEnvironment {
  region: string;
  /**
   * The local endpoint of each AWS service that runs here, by the SDK's
   * `AWS_ENDPOINT_URL_<SERVICE>` suffix (`DYNAMODB`, `S3`, `PINPOINT`, ...).
   */
  endpoints: Record<string, string>;
  /** The CloudSearch domain endpoint, for the template's `CLOUDSEARCH_*_ENDPOINT` variables. */
  searchEndpoint: string;
  /** The local OpenSearch endpoint, for `OPENSEARCH_ENDPOINT`, when the template creates a domain. */
  openSearchEndpoint?: string;
  /** The local CA's certificate file, trusted by the functions' TLS clients (the local S3 is HTTPS). */
  caFile?: string;
  /** The credential a function signs with, from its name and role. */
  credentialsFor(name: string, roleArn: string | undefined): LocalFunctionSpec['credentials'];
}

const bundleInputs = (codeDir: string, entry: string): string[] => {
  const map = `${entry}.map`;
  if (!existsSync(map)) return [];
  const parsed: unknown = JSON.parse(readFileSync(map, 'utf8'));
  const sources = isRecord(parsed) && Array.isArray(parsed.sources) ? parsed.sources.map(String) : [];
  return sources.map((source) => resolve(codeDir, source)).filter((path) => !path.includes('/node_modules/'));
};

/**
 * The Lambda functions of an assembly. A synthesis that skipped bundling
 * (a hot reload that touched no function code) has no bundles; each
 * function then keeps the bundle it had in `previous`, copied into the new
 * assembly's folder so that the folder is complete on its own.
 */
export const functionSpecsOf = (
  assembly: CloudAssembly,
  logicalIds: Iterable<string>,
  environment: FunctionEnvironment,
  previous: ReadonlyMap<string, LocalFunctionSpec> = new Map(),
): Map<string, LocalFunctionSpec> => {
  const wanted = new Set(logicalIds);
  const specs = new Map<string, LocalFunctionSpec>();
  for (const { logicalId, stack, properties } of assembly.resources('AWS::Lambda::Function')) {
    if (!wanted.has(logicalId)) continue;
    const props = stack.resolve(properties);
    if (!isRecord(props)) throw new Error(`function ${logicalId} has no properties`);
    const handler = String(props.Handler ?? 'index.handler');
    // The Node.js major the cloud runs it on; a runtime not available here stops the start, naming the function.
    const runtime = String(props.Runtime ?? 'nodejs22.x');
    nodeRuntimeFor(logicalId, runtime);
    const memoryMB = Number(props.MemorySize ?? 128);
    const roleArn = typeof props.Role === 'string' ? props.Role : undefined;
    const credentials = environment.credentialsFor(logicalId, roleArn);
    const code = isRecord(props.Code) ? String(props.Code.S3Key) : '';
    let codeDir: string;
    let inputs: string[] | undefined;
    try {
      codeDir = assembly.assetPath(code);
    } catch (error) {
      if (!(error instanceof AssemblyError)) throw error;
      const kept = previous.get(logicalId);
      if (!kept) throw new MissingBundleError(`function ${logicalId} has no bundle in ${assembly.dir}`);
      codeDir = join(assembly.dir, 'local-code', logicalId);
      cpSync(kept.codeDir, codeDir, { recursive: true });
      inputs = kept.inputs;
    }
    const entry = ['mjs', 'js', 'cjs']
      .map((ext) => join(codeDir, `${handler.split('.')[0]}.${ext}`))
      .find((f) => existsSync(f));
    if (!entry) throw new Error(`function ${logicalId}: no bundle in ${codeDir}`);
    const templateEnv =
      isRecord(props.Environment) && isRecord(props.Environment.Variables) ? props.Environment.Variables : {};
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(templateEnv)) env[key] = String(value ?? '');
    // Only endpoints differ: the same variables, pointed at the local services (SSM parameters are served, not inlined).
    if ('CLOUDSEARCH_DOCUMENT_ENDPOINT' in env) env.CLOUDSEARCH_DOCUMENT_ENDPOINT = environment.searchEndpoint;
    if ('CLOUDSEARCH_SEARCH_ENDPOINT' in env) env.CLOUDSEARCH_SEARCH_ENDPOINT = environment.searchEndpoint;
    if ('OPENSEARCH_ENDPOINT' in env && environment.openSearchEndpoint)
      env.OPENSEARCH_ENDPOINT = environment.openSearchEndpoint;
    Object.assign(env, {
      AWS_REGION: environment.region,
      AWS_DEFAULT_REGION: environment.region,
      // As on Lambda: the execution role's temporary credentials.
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
      ...Object.fromEntries(
        Object.entries(environment.endpoints).map(([service, url]) => [`AWS_ENDPOINT_URL_${service}`, url]),
      ),
      AWS_LAMBDA_FUNCTION_NAME: logicalId,
      PATH: process.env.PATH ?? '',
    });
    const timeoutSeconds = Number(props.Timeout ?? 3);
    const reservedConcurrency =
      props.ReservedConcurrentExecutions === undefined ? undefined : Number(props.ReservedConcurrentExecutions);
    const key = createHash('sha256')
      .update(readFileSync(entry))
      .update(JSON.stringify({ handler, timeoutSeconds, env, runtime, memoryMB, reservedConcurrency }))
      .digest('hex');
    specs.set(logicalId, {
      logicalId,
      roleArn,
      credentials,
      caFile: environment.caFile,
      name: logicalId,
      entry,
      handler,
      timeoutSeconds,
      runtime,
      memoryMB,
      ...(reservedConcurrency === undefined ? {} : { reservedConcurrency }),
      env,
      codeDir,
      inputs: inputs ?? bundleInputs(dirname(entry), entry),
      key,
    });
  }
  for (const logicalId of wanted)
    if (!specs.has(logicalId)) throw new Error(`function ${logicalId} is not in the assembly`);
  return specs;
};
