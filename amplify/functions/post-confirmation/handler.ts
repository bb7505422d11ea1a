import { Logger } from '@aws-lambda-powertools/logger';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { PostConfirmationTriggerEvent } from 'aws-lambda';
import { requireEnv } from '../shared/errors';
import { buildProfile, createsProfile } from './core';

const logger = new Logger({ serviceName: 'post-confirmation' });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

/** The table name: given directly (local backend), or read once from the SSM parameter the data stack writes. */
const resolveTableName = async (): Promise<string> => {
  if (process.env.USERPROFILE_TABLE_NAME) return process.env.USERPROFILE_TABLE_NAME;
  const path = requireEnv(process.env, 'USERPROFILE_TABLE_NAME_PARAMETER');
  const value = await getParameter(path, { maxAge: 3600 });
  if (!value) throw new Error(`SSM parameter ${path} is empty`);
  return value;
};

/** Creates the confirmed user's profile. Idempotent: Cognito may call a trigger more than once. */
export const handler = async (event: PostConfirmationTriggerEvent): Promise<PostConfirmationTriggerEvent> => {
  if (!createsProfile(event)) return event;
  const tableName = await resolveTableName();
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
