import { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { PostConfirmationTriggerEvent } from 'aws-lambda';
import { requireEnv } from '../shared/errors';
import { buildProfile, createsProfile } from './core';

const logger = new Logger({ serviceName: 'post-confirmation' });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

/** Creates the confirmed user's profile. Idempotent: Cognito may call a trigger more than once. */
export const handler = async (event: PostConfirmationTriggerEvent): Promise<PostConfirmationTriggerEvent> => {
  if (!createsProfile(event)) return event;
  // Resolved from SSM at cold start by the Gen 2 function runtime (see defineSyncedData's tableAccess).
  const tableName = requireEnv(process.env, 'USERPROFILE_TABLE_NAME');
  const profile = buildProfile(event, new Date());
  try {
    await documents.send(
      new PutCommand({ TableName: tableName, Item: profile, ConditionExpression: 'attribute_not_exists(id)' }),
    );
    logger.info('profile created', { id: profile.id });
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    logger.info('profile already exists', { id: profile.id });
  }
  return event;
};
