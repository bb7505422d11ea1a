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
