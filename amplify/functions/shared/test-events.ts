import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';

export type Item = Record<string, unknown>;

/** A DynamoDB stream image of an item. */
export const toImage = (item: Item): Record<string, AttributeValue> =>
  // marshall returns the SDK's AttributeValue union; the aws-lambda AttributeValue interface
  // describes the same DynamoDB wire shape, but the two declarations are not assignable to each other.
  marshall(item, { removeUndefinedValues: true }) as Record<string, AttributeValue>;

/** A DynamoDB stream record, as Lambda passes it from a NEW_AND_OLD_IMAGES stream. */
export const streamRecord = ({
  eventName,
  newImage,
  oldImage,
  seq,
}: {
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  newImage?: Item;
  oldImage?: Item;
  seq?: string;
}): DynamoDBRecord => ({
  eventName,
  eventSource: 'aws:dynamodb',
  dynamodb: {
    SequenceNumber: seq,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
    ...(newImage && { NewImage: toImage(newImage) }),
    ...(oldImage && { OldImage: toImage(oldImage) }),
  },
});
