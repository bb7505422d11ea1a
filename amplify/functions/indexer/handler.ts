import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { CloudSearchDomainClient, UploadDocumentsCommand } from '@aws-sdk/client-cloudsearch-domain';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { requireEnv } from '../shared/errors';
import { indexRecords } from './core';

const logger = new Logger({ serviceName: 'indexer' });
const metrics = new Metrics({ namespace: 'MobileBackend', serviceName: 'indexer' });
const client = new CloudSearchDomainClient({ endpoint: requireEnv(process.env, 'CLOUDSEARCH_DOCUMENT_ENDPOINT') });

const upload = async (documents: string): Promise<void> => {
  const response = await client.send(new UploadDocumentsCommand({ documents, contentType: 'application/json' }));
  for (const warning of response.warnings ?? []) logger.warn('CloudSearch warning', { warning: warning.message });
};

/**
 * Note table stream → CloudSearch. One `uploadDocuments` call per batch; every
 * record that did not reach the index is reported back, so Lambda retries it
 * and, after the mapping's retries, sends it to the dead-letter queue.
 */
export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const result = await indexRecords(event.Records, upload);
  for (const error of result.errors) logger.error('records not indexed', error);
  metrics.addMetric('DocumentsIndexed', MetricUnit.Count, result.uploaded);
  metrics.addMetric('RecordsFailed', MetricUnit.Count, result.failedSequenceNumbers.length);
  metrics.publishStoredMetrics();
  return { batchItemFailures: result.failedSequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })) };
};
