// A consumer for the queue and topic tests: it logs each event it gets and,
// for SQS records, reports those whose body starts with "fail" as batch item
// failures; a body "crash" fails the whole invocation.
import { appendFileSync } from 'node:fs';

export const handler = async (event) => {
  appendFileSync(process.env.LOG_FILE, `${JSON.stringify(event)}\n`);
  const records = event.Records ?? [];
  if (records.some((record) => record.body === 'crash')) throw new Error('crash');
  return {
    batchItemFailures: records
      .filter((record) => record.eventSource === 'aws:sqs' && record.body.startsWith('fail'))
      .map((record) => ({ itemIdentifier: record.messageId })),
  };
};
