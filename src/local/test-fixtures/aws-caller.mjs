// A function bundle for tests: calls the AWS services the way deployed function code does, with SDK
// clients configured from the environment only (region, credentials, AWS_ENDPOINT_URL_<SERVICE>).
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const s3 = new S3Client({});
const dynamodb = new DynamoDBClient({});

const outcome = async (call) => {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, name: error.name, message: error.message };
  }
};

export const handler = async (event) => {
  if (event.service === 's3' && event.op === 'put')
    return outcome(() =>
      s3.send(new PutObjectCommand({ Bucket: event.bucket, Key: event.key, Body: event.body })).then(() => 'stored'),
    );
  if (event.service === 's3' && event.op === 'get')
    return outcome(() =>
      s3.send(new GetObjectCommand({ Bucket: event.bucket, Key: event.key })).then((r) => r.Body.transformToString()),
    );
  if (event.service === 'dynamodb' && event.op === 'put')
    return outcome(() =>
      dynamodb.send(new PutItemCommand({ TableName: event.table, Item: event.item })).then(() => 'stored'),
    );
  if (event.service === 'dynamodb' && event.op === 'get')
    return outcome(() =>
      dynamodb.send(new GetItemCommand({ TableName: event.table, Key: event.key })).then((r) => r.Item ?? null),
    );
  throw new Error(`unknown call ${JSON.stringify(event)}`);
};
