import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { CloudSearchDomainClient, UploadDocumentsCommand } from '@aws-sdk/client-cloudsearch-domain';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { requireEnv } from '../shared/errors';
import { searchEngineOf } from '../shared/search-engine';
import { signedHttpClient } from '../shared/signed-http';
import { indexRecords, type Uploader } from './core';
import { bulkFailures, isIndexAlreadyThere, NOTE_INDEX_BODY, toBulkBody } from './opensearch';

const logger = new Logger({ serviceName: 'indexer' });
const metrics = new Metrics({ namespace: 'MobileBackend', serviceName: 'indexer' });
const engine = searchEngineOf(process.env);

const cloudSearchUploader = (): Uploader => {
  const client = new CloudSearchDomainClient({
    endpoint: requireEnv(process.env, 'CLOUDSEARCH_DOCUMENT_ENDPOINT'),
    ...(process.env.SEARCH_REGION && { region: process.env.SEARCH_REGION }),
  });
  return async (documents) => {
    const response = await client.send(new UploadDocumentsCommand({ documents, contentType: 'application/json' }));
    for (const warning of response.warnings ?? []) logger.warn('CloudSearch warning', { warning: warning.message });
  };
};

const openSearchUploader = (): Uploader => {
  const index = requireEnv(process.env, 'OPENSEARCH_INDEX');
  const http = signedHttpClient(process.env, {
    endpoint: requireEnv(process.env, 'OPENSEARCH_ENDPOINT'),
    service: 'es',
    region: requireEnv(process.env, 'SEARCH_REGION'),
    timeoutMs: 30_000,
  });
  let indexReady: Promise<void> | undefined;
  // Creates the index with its mapping once per container; an existing index is fine.
  const ensureIndex = async (): Promise<void> => {
    const { status, body } = await http.request('PUT', `/${index}`, JSON.stringify(NOTE_INDEX_BODY));
    if (status >= 300 && !isIndexAlreadyThere(status, body)) {
      throw new Error(`creating index ${index} failed (${status}): ${JSON.stringify(body).slice(0, 300)}`);
    }
  };
  return async (_documents, batch) => {
    indexReady ??= ensureIndex().catch((error: unknown) => {
      indexReady = undefined;
      throw error;
    });
    await indexReady;
    const { status, body } = await http.request('POST', `/${index}/_bulk`, toBulkBody(batch), 'application/x-ndjson');
    if (status >= 300) throw new Error(`_bulk failed (${status}): ${JSON.stringify(body).slice(0, 300)}`);
    return bulkFailures(body, batch);
  };
};

const upload: Uploader | undefined =
  engine === 'cloudsearch' ? cloudSearchUploader() : engine === 'opensearch' ? openSearchUploader() : undefined;

/**
 * Note table stream → the search engine. One call per batch (CloudSearch
 * `uploadDocuments` or OpenSearch `_bulk`); every record that did not reach
 * the index is reported back, so Lambda retries it and, after the mapping's
 * retries, sends it to the dead-letter queue. With search switched off
 * (`SEARCH_ENGINE=none`) records are acknowledged and counted as skipped.
 */
export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  if (!upload) {
    logger.warn('search is off (SEARCH_ENGINE=none): records acknowledged without indexing', {
      records: event.Records.length,
    });
    metrics.addMetric('RecordsSkipped', MetricUnit.Count, event.Records.length);
    metrics.publishStoredMetrics();
    return { batchItemFailures: [] };
  }
  const result = await indexRecords(event.Records, upload);
  for (const error of result.errors) logger.error('records not indexed', error);
  metrics.addMetric('DocumentsIndexed', MetricUnit.Count, result.uploaded);
  metrics.addMetric('RecordsFailed', MetricUnit.Count, result.failedSequenceNumbers.length);
  metrics.publishStoredMetrics();
  return { batchItemFailures: result.failedSequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })) };
};
