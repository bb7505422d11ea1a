import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { CloudAssembly } from '../cloud/assembly';
import { corsRulesOf } from '../storage/cors';
import { isRecord, NAMES } from './names';

export interface StorageOutputs {
  bucket_name: string;
  buckets: Array<{ name: string; bucket_name: string; aws_region: string; paths?: unknown }>;
}

/** The storage outputs Gen 2 writes to amplify_outputs.json, from the root stack's outputs, with local names. */
export const storageOutputsOf = (assembly: CloudAssembly): StorageOutputs | undefined => {
  const outputs = assembly.root.template.Outputs;
  if (!isRecord(outputs) || !isRecord(outputs.bucketName) || !isRecord(outputs.buckets)) return undefined;
  const bucketName = String(assembly.root.resolve(outputs.bucketName.Value));
  const listed = JSON.parse(String(assembly.root.resolve(outputs.buckets.Value))) as unknown[];
  return {
    bucket_name: bucketName,
    buckets: listed
      .map((entry) => (typeof entry === 'string' ? JSON.parse(entry) : entry))
      .filter(isRecord)
      .map((b) => ({
        name: String(b.name),
        bucket_name: String(b.bucketName),
        aws_region: NAMES.region,
        ...(b.paths === undefined ? {} : { paths: b.paths }),
      })),
  };
};

/** The local name of every S3 bucket the templates define, by logical ID. */
export const bucketNamesOf = (assembly: CloudAssembly): Record<string, string> =>
  Object.fromEntries(
    assembly.resources('AWS::S3::Bucket').map(({ logicalId, stack }) => [logicalId, String(stack.ref(logicalId))]),
  );

/** Each bucket's CORS rules, as its template gives them (browser uploads need the preflight answered). */
export const bucketCorsOf = (assembly: CloudAssembly): Record<string, ReturnType<typeof corsRulesOf>> =>
  Object.fromEntries(
    assembly
      .resources('AWS::S3::Bucket')
      .map(({ logicalId, stack, properties }) => [
        String(stack.ref(logicalId)),
        corsRulesOf(stack.resolve(properties.CorsConfiguration)),
      ]),
  );

/** An object a CDK BucketDeployment puts in a bucket at deploy time. */
export interface DeployedObject {
  bucket: string;
  key: string;
  body: Buffer;
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  json: 'application/json',
  graphql: 'application/graphql',
  js: 'application/javascript',
  html: 'text/html',
  txt: 'text/plain',
};

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });

/**
 * What the templates' `Custom::CDKBucketDeployment`s deploy, from their asset
 * folders: Amplify's model introspection schema (which a function's data
 * client reads, `getAmplifyDataClientConfig`) and its codegen assets. The
 * local S3 puts them in their buckets at every start, as a deploy would.
 */
export const bucketDeploymentsOf = (assembly: CloudAssembly): DeployedObject[] =>
  assembly.resources('Custom::CDKBucketDeployment').flatMap(({ stack, properties }) => {
    const bucket = String(stack.resolve(properties.DestinationBucketName));
    const prefix = String(stack.resolve(properties.DestinationKeyPrefix) ?? '').replace(/^\/+/, '');
    const keys = stack.resolve(properties.SourceObjectKeys);
    return (Array.isArray(keys) ? keys : []).flatMap((key) => {
      const source = assembly.assetPath(String(key));
      // In a cloud assembly a deployment's source is its unpacked folder; a packed one has no local use.
      if (!statSync(source).isDirectory()) return [];
      return filesUnder(source).map((file) => {
        const relativeKey = relative(source, file).split(sep).join('/');
        return {
          bucket,
          key: prefix ? `${prefix.replace(/\/?$/, '/')}${relativeKey}` : relativeKey,
          body: readFileSync(file),
          contentType: CONTENT_TYPES[file.split('.').at(-1) ?? ''] ?? 'application/octet-stream',
        };
      });
    });
  });
