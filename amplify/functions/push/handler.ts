import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PinpointClient, SendMessagesCommand } from '@aws-sdk/client-pinpoint';
import { DynamoDBDocumentClient, PutCommand, paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { requireEnv } from '../shared/errors';
import { fromEnvOrSsm } from '../shared/ssm-env';
import {
  deltaSyncEntry,
  SYNC_ENV,
  type SyncSettings,
  softDeleteUpdate,
  syncSettingsFrom,
} from '../shared/versioned-writes';
import { type DeviceItem, deliverMessage, type PushDependencies, toDevice, toMessage } from './core';

const logger = new Logger({ serviceName: 'push' });
const metrics = new Metrics({ namespace: 'MobileBackend', serviceName: 'push' });
const processor = new BatchProcessor(EventType.DynamoDBStreams);
const applicationId = requireEnv(process.env, 'PINPOINT_APPLICATION_ID');
const deviceTable = requireEnv(process.env, 'DEVICE_TABLE_NAME');
const pinpoint = new PinpointClient({});
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
// Checked at cold start; the DeltaSync table name is read once, on the first removal.
syncSettingsFrom(process.env, '');
let syncSettings: Promise<SyncSettings> | undefined;
const loadSyncSettings = (): Promise<SyncSettings> =>
  (syncSettings ??= fromEnvOrSsm(SYNC_ENV.deltaSyncTableName).then((name) => syncSettingsFrom(process.env, name)));

const deps: PushDependencies = {
  async findDevices(owner) {
    const devices: DeviceItem[] = [];
    const pages = paginateQuery(
      { client: documents },
      {
        TableName: deviceTable,
        IndexName: 'byOwner',
        KeyConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': owner },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const device = toDevice(item);
        if (device) devices.push(device);
      }
    }
    return devices;
  },
  async send(request) {
    const response = await pinpoint.send(new SendMessagesCommand(request));
    return response.MessageResponse?.Result ?? {};
  },
  async removeDevice(device) {
    const settings = await loadSyncSettings();
    let removed: Record<string, unknown> | undefined;
    try {
      const update = softDeleteUpdate(deviceTable, device.id, device._version, new Date(), settings);
      removed = (await documents.send(new UpdateCommand(update))).Attributes;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    if (!removed) return false;
    const tombstone = { ...removed, id: device.id, _version: removed._version, _lastChangedAt: removed._lastChangedAt };
    await documents.send(
      new PutCommand({
        TableName: settings.deltaSyncTableName,
        Item: deltaSyncEntry(deviceTable, tombstone, settings),
      }),
    );
    return true;
  },
};

const recordHandler = async (record: DynamoDBRecord): Promise<void> => {
  const report = await deliverMessage(toMessage(record), applicationId, deps);
  metrics.addMetric('PushDelivered', MetricUnit.Count, report.delivered);
  metrics.addMetric('PushTokensRemoved', MetricUnit.Count, report.removedDevices.length);
  if (report.failed.length > 0) logger.warn('push not delivered to some devices', { ...report });
};

/** Message table stream (INSERT only) → one SendMessages call per message. */
export const handler = async (event: DynamoDBStreamEvent, context: Context) => {
  const response = await processPartialResponse(event, recordHandler, processor, { context });
  metrics.publishStoredMetrics();
  return response;
};
