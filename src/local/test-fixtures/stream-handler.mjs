// A stream consumer for the stream-mapping tests: it logs each batch it gets,
// reports records marked `fail` as batch item failures, and throws on `crash`.
import { appendFileSync } from 'node:fs';

export const handler = async (event) => {
  const ids = event.Records.map((record) => record.dynamodb.NewImage.id.S);
  appendFileSync(process.env.LOG_FILE, `${JSON.stringify(ids)}\n`);
  if (event.Records.some((record) => record.dynamodb.NewImage.crash?.BOOL)) throw new Error('crash');
  return {
    batchItemFailures: event.Records.filter((record) => record.dynamodb.NewImage.fail?.BOOL).map((record) => ({
      itemIdentifier: record.dynamodb.SequenceNumber,
    })),
  };
};
