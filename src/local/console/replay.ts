import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DeadLetter } from '../streams';

/**
 * Replaying a dead letter. An asynchronous invocation's letter (a storage
 * trigger's: `s3:<bucket> -> <function>`) holds the event itself, which is
 * invoked again. A stream mapping's letter holds the keys of the records that
 * failed, as Lambda's on-failure destination holds their place in the stream;
 * by the time someone replays it the stream may have moved on, so each key is
 * replayed as a record of the item as it is now: MODIFY with its current
 * image, or REMOVE if it is gone.
 */

export type ReplayPlan =
  | { kind: 'async'; functionName: string; event: unknown }
  | { kind: 'stream'; mappingId: string; keys: Array<Record<string, AttributeValue>> };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isKey = (value: unknown): value is Record<string, AttributeValue> =>
  isRecord(value) && Object.values(value).every((v) => isRecord(v) && Object.keys(v).length === 1);

export const replayPlan = (letter: DeadLetter): ReplayPlan | undefined => {
  const asyncSource = /^(\S+) -> (.+)$/.exec(letter.mapping);
  if (asyncSource?.[2]) {
    return letter.keys.length === 1
      ? { kind: 'async', functionName: asyncSource[2], event: letter.keys[0] }
      : undefined;
  }
  const keys = letter.keys.filter(isKey);
  return keys.length > 0 && keys.length === letter.keys.length
    ? { kind: 'stream', mappingId: letter.mapping, keys }
    : undefined;
};

/** The stream event a replay delivers: one record per key, from the item as it is now. */
export const replayStreamEvent = (
  tableName: string,
  region: string,
  records: Array<{ keys: Record<string, AttributeValue>; item: Record<string, AttributeValue> | undefined }>,
  now: Date = new Date(),
): { Records: Array<Record<string, unknown>> } => ({
  Records: records.map(({ keys, item }, i) => ({
    eventID: `replay-${now.getTime()}-${i}`,
    eventName: item ? 'MODIFY' : 'REMOVE',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    eventSourceARN: `arn:aws:dynamodb:${region}:000000000000:table/${tableName}/stream/local`,
    dynamodb: {
      ApproximateCreationDateTime: Math.floor(now.getTime() / 1000),
      Keys: keys,
      ...(item ? { NewImage: item } : {}),
      SequenceNumber: `replay-${now.getTime()}-${i}`,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  })),
});
