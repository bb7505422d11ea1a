import { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { PostConfirmationTriggerEvent } from 'aws-lambda';
import { fromEnvOrSsm } from '../shared/ssm-env';
import { deltaSyncEntry, SYNC_ENV, syncSettingsFrom } from '../shared/versioned-writes';
import { buildProfile, createsProfile } from './core';

const logger = new Logger({ serviceName: 'post-confirmation' });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

// The TTLs are checked at cold start; the table names are read on the first call.
syncSettingsFrom(process.env, '');

/** Creates the confirmed user's profile. Idempotent: Cognito may call a trigger more than once. */
export const handler = async (event: PostConfirmationTriggerEvent): Promise<PostConfirmationTriggerEvent> => {
  if (!createsProfile(event)) return event;
  const [tableName, deltaSyncTableName] = await Promise.all([
    fromEnvOrSsm('USERPROFILE_TABLE_NAME'),
    fromEnvOrSsm(SYNC_ENV.deltaSyncTableName),
  ]);
  const settings = syncSettingsFrom(process.env, deltaSyncTableName);
  const profile = buildProfile(event, new Date());
  try {
    await documents.send(
      new PutCommand({ TableName: tableName, Item: profile, ConditionExpression: 'attribute_not_exists(id)' }),
    );
    logger.info('profile created', { id: profile.id });
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    logger.info('profile already exists', { id: profile.id });
    return event;
  }
  // As the versioned data source does after a write: the change goes into the DeltaSync table too.
  await documents.send(
    new PutCommand({ TableName: deltaSyncTableName, Item: deltaSyncEntry(tableName, profile, settings) }),
  );
  return event;
};
