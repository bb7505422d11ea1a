import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { RecordError } from '../shared/errors';

/** CloudSearch's documented limits for one documents batch upload. */
export const CLOUDSEARCH_LIMITS = {
  maxBatchBytes: 5 * 1024 * 1024,
  maxDocumentBytes: 1024 * 1024,
} as const;

/** The index fields of the notes domain. Field names are the domain's; keep them in step with `search-domain.ts`. */
export interface NoteSearchFields {
  owner: string;
  headline: string;
  text?: string;
  photo_key?: string;
  created_at?: string;
  updated_at?: string;
}

export type SearchDocument = { type: 'add'; id: string; fields: NoteSearchFields } | { type: 'delete'; id: string };

/** One stream record turned into the index operation it calls for. */
export interface IndexOperation {
  /** The record this came from, then any earlier records for the same note that it supersedes. */
  sequenceNumbers: string[];
  document: SearchDocument;
  bytes: number;
}

export interface Batch {
  operations: IndexOperation[];
  bytes: number;
}

// CloudSearch accepts ids of letters, digits and _-=#;:/?@& up to 128 characters.
const DOCUMENT_ID = /^[A-Za-z0-9_\-=#;:/?@&]{1,128}$/;
// Characters that are not valid in XML 1.0, which CloudSearch rejects in field values.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters to strip.
const INVALID_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

const clean = (value: unknown): string | undefined =>
  typeof value === 'string' ? value.replace(INVALID_CHARS, '') : undefined;

const toItem = (image: Record<string, AttributeValue> | undefined): Record<string, unknown> | undefined =>
  // The aws-lambda and SDK AttributeValue types describe the same wire shape.
  image ? unmarshall(image as Parameters<typeof unmarshall>[0]) : undefined;

const documentId = (item: Record<string, unknown> | undefined, sequenceNumber: string): string => {
  const id = item?.id;
  if (typeof id !== 'string' || !DOCUMENT_ID.test(id)) {
    throw new RecordError(`record ${sequenceNumber}: note id ${JSON.stringify(id)} is not a valid document id`);
  }
  return id;
};

/** The search document for a note item, or an error if the item cannot be indexed. */
export const toSearchFields = (item: Record<string, unknown>, sequenceNumber: string): NoteSearchFields => {
  const owner = clean(item.owner);
  const headline = clean(item.headline);
  if (!owner) throw new RecordError(`record ${sequenceNumber}: note has no owner`);
  if (headline === undefined) throw new RecordError(`record ${sequenceNumber}: note has no headline`);
  const fields: NoteSearchFields = { owner, headline };
  const text = clean(item.text);
  const photoKey = clean(item.photoKey);
  const createdAt = clean(item.createdAt);
  const updatedAt = clean(item.updatedAt);
  if (text) fields.text = text;
  if (photoKey) fields.photo_key = photoKey;
  if (createdAt) fields.created_at = createdAt;
  if (updatedAt) fields.updated_at = updatedAt;
  return fields;
};

const byteLength = (document: SearchDocument): number => Buffer.byteLength(JSON.stringify(document), 'utf8');

/**
 * Turns a Note-table stream record into an index operation. INSERT and MODIFY
 * add (or replace) the document; REMOVE and DataStore's soft delete
 * (`_deleted: true`) delete it.
 */
export const toIndexOperation = (record: DynamoDBRecord): IndexOperation => {
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  if (!sequenceNumber) throw new RecordError('stream record has no sequence number');
  const newItem = toItem(record.dynamodb?.NewImage);
  const oldItem = toItem(record.dynamodb?.OldImage);

  let document: SearchDocument;
  if (record.eventName === 'REMOVE' || newItem?._deleted === true) {
    document = { type: 'delete', id: documentId(newItem ?? oldItem, sequenceNumber) };
  } else if ((record.eventName === 'INSERT' || record.eventName === 'MODIFY') && newItem) {
    document = {
      type: 'add',
      id: documentId(newItem, sequenceNumber),
      fields: toSearchFields(newItem, sequenceNumber),
    };
  } else {
    throw new RecordError(`record ${sequenceNumber}: ${record.eventName ?? 'unknown'} event without a new image`);
  }
  const bytes = byteLength(document);
  if (bytes > CLOUDSEARCH_LIMITS.maxDocumentBytes) {
    throw new RecordError(
      `record ${sequenceNumber}: document is ${bytes} bytes, over CloudSearch's ${CLOUDSEARCH_LIMITS.maxDocumentBytes}-byte limit`,
    );
  }
  return { sequenceNumbers: [sequenceNumber], document, bytes };
};

/**
 * Keeps only the last operation for each note, in stream order, so that a
 * batch never holds two operations on one document. The survivor carries the
 * sequence numbers of the operations it replaced: they succeed or fail with it.
 */
export const collapseByDocument = (operations: readonly IndexOperation[]): IndexOperation[] => {
  const last = new Map<string, IndexOperation>();
  for (const operation of operations) {
    const previous = last.get(operation.document.id);
    last.delete(operation.document.id);
    last.set(operation.document.id, {
      ...operation,
      sequenceNumbers: [...operation.sequenceNumbers, ...(previous?.sequenceNumbers ?? [])],
    });
  }
  return [...last.values()];
};

/**
 * Packs operations, in stream order, into as few batches as CloudSearch's
 * batch limit allows. A batch is a JSON array, so it costs its documents plus
 * one byte per separator and two for the brackets.
 */
export const toBatches = (
  operations: readonly IndexOperation[],
  maxBatchBytes: number = CLOUDSEARCH_LIMITS.maxBatchBytes,
): Batch[] => {
  const batches: Batch[] = [];
  let current: Batch = { operations: [], bytes: 2 };
  for (const operation of operations) {
    const added = operation.bytes + (current.operations.length > 0 ? 1 : 0);
    if (current.operations.length > 0 && current.bytes + added > maxBatchBytes) {
      batches.push(current);
      current = { operations: [], bytes: 2 };
    }
    current.operations.push(operation);
    current.bytes += operation.bytes + (current.operations.length > 1 ? 1 : 0);
  }
  if (current.operations.length > 0) batches.push(current);
  return batches;
};

/** Serializes a batch in the JSON form `uploadDocuments` takes. */
export const serializeBatch = (batch: Batch): string =>
  `[${batch.operations.map((op) => JSON.stringify(op.document)).join(',')}]`;

export interface IndexResult {
  failedSequenceNumbers: string[];
  uploaded: number;
  batches: number;
  errors: Array<{ sequenceNumbers: string[]; message: string }>;
}

/** Documents an engine rejected within an accepted batch (OpenSearch's `_bulk` reports them per item). */
export interface BatchOutcome {
  failed: ReadonlyArray<{ id: string; message: string }>;
}

/**
 * Sends one batch with exactly one call. `documents` is the batch in
 * CloudSearch's JSON form; an engine with another wire form builds it from
 * `batch`. Throwing fails the whole batch; returning failures fails only those
 * documents (and every record folded into them).
 */
// biome-ignore lint/suspicious/noConfusingVoidType: an uploader that reports nothing (CloudSearch's) returns void
export type Uploader = (documents: string, batch: Batch) => Promise<void | BatchOutcome>;

/**
 * Indexes one stream batch: converts every record, uploads each batch with
 * exactly one call, and returns the sequence numbers of every record that did
 * not reach the index, so that Lambda retries them.
 */
export const indexRecords = async (
  records: readonly DynamoDBRecord[],
  upload: Uploader,
  maxBatchBytes: number = CLOUDSEARCH_LIMITS.maxBatchBytes,
): Promise<IndexResult> => {
  const result: IndexResult = { failedSequenceNumbers: [], uploaded: 0, batches: 0, errors: [] };
  const operations: IndexOperation[] = [];
  for (const [position, record] of records.entries()) {
    try {
      operations.push(toIndexOperation(record));
    } catch (error) {
      const sequenceNumber = record.dynamodb?.SequenceNumber ?? `#${position}`;
      result.failedSequenceNumbers.push(sequenceNumber);
      result.errors.push({ sequenceNumbers: [sequenceNumber], message: messageOf(error) });
    }
  }
  for (const batch of toBatches(collapseByDocument(operations), maxBatchBytes)) {
    result.batches += 1;
    let failed: BatchOutcome['failed'];
    try {
      const outcome = await upload(serializeBatch(batch), batch);
      failed = outcome ? outcome.failed : [];
    } catch (error) {
      const sequenceNumbers = batch.operations.flatMap((op) => op.sequenceNumbers);
      result.failedSequenceNumbers.push(...sequenceNumbers);
      result.errors.push({ sequenceNumbers, message: messageOf(error) });
      continue;
    }
    const failedIds = new Map(failed.map((f) => [f.id, f.message]));
    for (const operation of batch.operations) {
      const message = failedIds.get(operation.document.id);
      if (message === undefined) {
        result.uploaded += operation.sequenceNumbers.length;
      } else {
        result.failedSequenceNumbers.push(...operation.sequenceNumbers);
        result.errors.push({ sequenceNumbers: operation.sequenceNumbers, message });
      }
    }
  }
  return result;
};

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
