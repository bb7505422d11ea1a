import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Handler } from 'aws-lambda';

const s3 = new S3Client();

/** Every object deleted from the media bucket leaves a note in the exports bucket. */
export const handler: S3Handler = async (event) => {
  for (const record of event.Records) {
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    await s3.send(
      new PutObjectCommand({
        Bucket: process.env.MARKET_EXPORTS_BUCKET_NAME,
        Key: `reports/deleted/${key.split('/').at(-1)}.json`,
        Body: JSON.stringify({ key, event: record.eventName, bucket: record.s3.bucket.name }),
        ContentType: 'application/json',
      }),
    );
  }
};
