import type { IndexSpec, KeySchema, KeyType, SortedItems } from './indexes';
import type { Item } from './values';

/** The engine's types: a table as the journal keeps it and as the store holds it, and its stream. */

export type Json = Record<string, unknown>;

export const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
export const rec = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
export const arr = (value: unknown): unknown[] | undefined => (Array.isArray(value) ? value : undefined);

/** DynamoDB Local's region and account, which appear in its ARNs. */
export const ARN_PREFIX = 'arn:aws:dynamodb:ddblocal:000000000000';
export const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

export const labelOf = (at: number): string => new Date(at).toISOString().replace(/Z$/, '');

export interface StreamRecord {
  eventID: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  eventVersion: '1.1';
  eventSource: 'aws:dynamodb';
  awsRegion: 'ddblocal';
  /** Set on the REMOVE records of items that TTL deleted, as DynamoDB sets it. */
  userIdentity?: { type: 'Service'; principalId: 'dynamodb.amazonaws.com' };
  dynamodb: {
    ApproximateCreationDateTime: number;
    Keys: Item;
    NewImage?: Item;
    OldImage?: Item;
    SequenceNumber: string;
    SizeBytes: number;
    StreamViewType: string;
  };
}

export interface Stream {
  arn: string;
  label: string;
  viewType: string;
  shardId: string;
  createdAt: number;
  records: Array<{ sequence: bigint; at: number; record: StreamRecord }>;
}

/** The state a CreateTable or UpdateTable left, as the journal keeps it. */
export interface TableDefinition {
  name: string;
  createdAt: number;
  key: KeySchema;
  attributeDefinitions: Array<{ AttributeName: string; AttributeType: KeyType }>;
  indexes: IndexSpec[];
  billingMode: string;
  /** A PROVISIONED table's capacity, as DescribeTable echoes it. */
  throughput?: { read: number; write: number };
  stream?: { viewType: string; label: string; createdAt: number };
  ttl?: { AttributeName: string; TimeToLiveStatus: string };
}

/** A live table: its definition, its items in each ordering, and its stream's records. */
export interface Table extends Omit<TableDefinition, 'stream'> {
  items: Map<string, Item>;
  primary: SortedItems;
  secondary: Map<string, SortedItems>;
  bytes: number;
  stream?: Stream;
}
