import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Handler } from 'aws-lambda';

const s3 = new S3Client();

/** For every uploaded object, a receipt beside it under processed/ with its key and size. */
export const handler: S3Handler = async (event) => {
  for (const record of event.Records) {
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    // The receipts land in the same bucket: they must not trigger receipts of their own.
    if (key.startsWith('processed/')) continue;
    await s3.send(
      new PutObjectCommand({
        Bucket: record.s3.bucket.name,
        Key: `processed/${key.split('/').at(-1)}.json`,
        Body: JSON.stringify({ key, size: record.s3.object.size, event: record.eventName }),
        ContentType: 'application/json',
      }),
    );
  }
};
