import type { CloudAssembly } from '../cloud/assembly';
import type { MappingSpec } from '../streams';
import { isRecord, logicalIdOfRef } from './names';

/** A stream mapping as the template configures it; the function is named, not yet running. */
export type MappingDefinition = Omit<MappingSpec, 'fn'> & { functionId: string };

/** The event source mappings of DynamoDB streams, as the templates configure them. */
export const mappingSpecsOf = (assembly: CloudAssembly): MappingDefinition[] =>
  assembly.resources('AWS::Lambda::EventSourceMapping').flatMap(({ logicalId, stack, properties }) => {
    const props = stack.resolve(properties);
    if (!isRecord(props)) return [];
    const tableName = /:table\/([^/]+)\/stream\//.exec(String(props.EventSourceArn))?.[1];
    const functionId = logicalIdOfRef(props.FunctionName);
    if (!tableName || !functionId) return [];
    const filters =
      isRecord(props.FilterCriteria) && Array.isArray(props.FilterCriteria.Filters) ? props.FilterCriteria.Filters : [];
    return [
      {
        id: logicalId,
        tableName,
        functionId,
        batchSize: Number(props.BatchSize ?? 100),
        batchingWindowMs: Number(props.MaximumBatchingWindowInSeconds ?? 0) * 1000,
        reportBatchItemFailures:
          Array.isArray(props.FunctionResponseTypes) && props.FunctionResponseTypes.includes('ReportBatchItemFailures'),
        bisectOnError: props.BisectBatchOnFunctionError === true,
        maxRetries: Number(props.MaximumRetryAttempts ?? 3),
        filters: filters.filter(isRecord).map((f) => JSON.parse(String(f.Pattern))),
      },
    ];
  });
