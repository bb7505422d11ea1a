import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { RecordError } from '../shared/errors';
import { type Item, streamRecord } from '../shared/test-events';
import {
  type Batch,
  CLOUDSEARCH_LIMITS,
  collapseByDocument,
  type IndexOperation,
  indexRecords,
  type SearchDocument,
  serializeBatch,
  toBatches,
  toIndexOperation,
} from './core';

const note = (overrides: Item = {}): Item => ({
  id: 'note-1',
  __typename: 'Note',
  owner: 'sub-1::alice',
  headline: 'Groceries',
  text: 'Milk and eggs',
  photoKey: 'media/sub-1/photo.jpg',
  createdAt: '2024-01-01T10:00:00.000Z',
  updatedAt: '2024-01-02T11:00:00.000Z',
  _version: 1,
  _lastChangedAt: 1704103200000,
  ...overrides,
});

const addOperation = (id: string, seq: string, overrides: Item = {}): IndexOperation =>
  toIndexOperation(streamRecord({ eventName: 'INSERT', newImage: note({ id, ...overrides }), seq }));

const deleteOperation = (id: string, seq: string): IndexOperation =>
  toIndexOperation(streamRecord({ eventName: 'REMOVE', oldImage: note({ id }), seq }));

const byteLength = (value: string): number => Buffer.byteLength(value, 'utf8');

const idsOf = (batch: Batch): string[] => batch.operations.map((op) => op.document.id);

const parseUpload = (documents: string): SearchDocument[] => {
  const parsed: unknown = JSON.parse(documents);
  if (!Array.isArray(parsed)) throw new Error(`upload is not a JSON array: ${documents.slice(0, 80)}`);
  return parsed;
};

describe('toIndexOperation', () => {
  it('turns an INSERT into an add with the index fields', () => {
    // Prepare
    const record = streamRecord({ eventName: 'INSERT', newImage: note(), seq: '100' });

    // Act
    const operation = toIndexOperation(record);

    // Assess
    expect(operation.sequenceNumbers).toEqual(['100']);
    expect(operation.document).toEqual({
      type: 'add',
      id: 'note-1',
      fields: {
        owner: 'sub-1::alice',
        headline: 'Groceries',
        text: 'Milk and eggs',
        photo_key: 'media/sub-1/photo.jpg',
        created_at: '2024-01-01T10:00:00.000Z',
        updated_at: '2024-01-02T11:00:00.000Z',
      },
    });
    expect(operation.bytes).toBe(byteLength(JSON.stringify(operation.document)));
  });

  it('turns a MODIFY into an add carrying the new image', () => {
    // Prepare
    const record = streamRecord({
      eventName: 'MODIFY',
      oldImage: note({ headline: 'Old headline' }),
      newImage: note({ headline: 'New headline', text: 'Updated', updatedAt: '2024-02-01T00:00:00.000Z' }),
      seq: '101',
    });

    // Act
    const operation = toIndexOperation(record);

    // Assess
    expect(operation.document).toEqual({
      type: 'add',
      id: 'note-1',
      fields: {
        owner: 'sub-1::alice',
        headline: 'New headline',
        text: 'Updated',
        photo_key: 'media/sub-1/photo.jpg',
        created_at: '2024-01-01T10:00:00.000Z',
        updated_at: '2024-02-01T00:00:00.000Z',
      },
    });
  });

  it('leaves out optional fields that are absent, null or empty', () => {
    // Prepare
    const record = streamRecord({
      eventName: 'INSERT',
      newImage: note({ text: '', photoKey: null, createdAt: undefined, updatedAt: undefined }),
      seq: '102',
    });

    // Act
    const operation = toIndexOperation(record);

    // Assess
    expect(operation.document).toEqual({
      type: 'add',
      id: 'note-1',
      fields: { owner: 'sub-1::alice', headline: 'Groceries' },
    });
  });

  it('turns a REMOVE into a delete of the OldImage id', () => {
    // Prepare
    const record = streamRecord({ eventName: 'REMOVE', oldImage: note({ id: 'note-gone' }), seq: '103' });

    // Act
    const operation = toIndexOperation(record);

    // Assess
    expect(operation.document).toEqual({ type: 'delete', id: 'note-gone' });
    expect(operation.sequenceNumbers).toEqual(['103']);
    expect(operation.bytes).toBe(byteLength('{"type":"delete","id":"note-gone"}'));
  });

  it("turns DataStore's soft delete (MODIFY with _deleted: true) into a delete", () => {
    // Prepare
    const record = streamRecord({
      eventName: 'MODIFY',
      oldImage: note({ id: 'note-soft' }),
      newImage: note({ id: 'note-soft', _deleted: true, _version: 2 }),
      seq: '104',
    });

    // Act
    const operation = toIndexOperation(record);

    // Assess
    expect(operation.document).toEqual({ type: 'delete', id: 'note-soft' });
  });

  it('keeps indexing a note whose _deleted flag is false', () => {
    // Prepare
    const record = streamRecord({ eventName: 'MODIFY', newImage: note({ _deleted: false }), seq: '105' });

    // Act
    const operation = toIndexOperation(record);

    // Assess
    expect(operation.document.type).toBe('add');
  });

  it.each([
    ['a space', 'note 1'],
    ['a character CloudSearch refuses', 'note*1'],
    ['an empty string', ''],
    ['more than 128 characters', 'n'.repeat(129)],
    ['a number', 42],
  ])('reports an id with %s as a failure naming the sequence number', (_label, id) => {
    // Prepare
    const record = streamRecord({ eventName: 'INSERT', newImage: note({ id }), seq: '777' });

    // Act
    const convert = () => toIndexOperation(record);

    // Assess
    expect(convert).toThrow(RecordError);
    expect(convert).toThrow(/record 777: note id .* is not a valid document id/);
  });

  it('accepts a 128-character id made of every allowed character class', () => {
    // Prepare
    const id = 'Az09_-=#;:/?@&'.padEnd(128, 'x');
    const record = streamRecord({ eventName: 'INSERT', newImage: note({ id }), seq: '106' });

    // Act
    const operation = toIndexOperation(record);

    // Assess
    expect(operation.document.id).toBe(id);
  });

  it('reports a REMOVE whose OldImage id is invalid', () => {
    // Prepare
    const record = streamRecord({ eventName: 'REMOVE', oldImage: note({ id: 'bad id' }), seq: '107' });

    // Act & Assess
    expect(() => toIndexOperation(record)).toThrow(/record 107/);
  });

  it('reports a note without an owner', () => {
    // Prepare
    const record = streamRecord({ eventName: 'INSERT', newImage: note({ owner: undefined }), seq: '200' });

    // Act & Assess
    expect(() => toIndexOperation(record)).toThrow(new RecordError('record 200: note has no owner'));
  });

  it('reports a note whose owner is empty after cleaning', () => {
    // Prepare
    const record = streamRecord({ eventName: 'INSERT', newImage: note({ owner: '\u0000\u0001' }), seq: '201' });

    // Act & Assess
    expect(() => toIndexOperation(record)).toThrow(/record 201: note has no owner/);
  });

  it('reports a note without a headline', () => {
    // Prepare
    const record = streamRecord({ eventName: 'INSERT', newImage: note({ headline: undefined }), seq: '202' });

    // Act & Assess
    expect(() => toIndexOperation(record)).toThrow(new RecordError('record 202: note has no headline'));
  });

  it('reports a document over the 1 MB CloudSearch limit', () => {
    // Prepare
    const record = streamRecord({
      eventName: 'INSERT',
      newImage: note({ text: 'a'.repeat(CLOUDSEARCH_LIMITS.maxDocumentBytes) }),
      seq: '300',
    });

    // Act & Assess
    expect(() => toIndexOperation(record)).toThrow(
      /record 300: document is \d+ bytes, over CloudSearch's 1048576-byte/,
    );
  });

  it('accepts a document of exactly 1 MB and rejects one byte more', () => {
    // Prepare: measure the document without text, then fill it to the limit.
    const base = toIndexOperation(streamRecord({ eventName: 'INSERT', newImage: note({ text: 'x' }), seq: '1' }));
    const fill = CLOUDSEARCH_LIMITS.maxDocumentBytes - base.bytes + 1;
    const exact = streamRecord({ eventName: 'INSERT', newImage: note({ text: 'x'.repeat(fill) }), seq: '301' });
    const over = streamRecord({ eventName: 'INSERT', newImage: note({ text: 'x'.repeat(fill + 1) }), seq: '302' });

    // Act
    const operation = toIndexOperation(exact);

    // Assess
    expect(operation.bytes).toBe(CLOUDSEARCH_LIMITS.maxDocumentBytes);
    expect(() => toIndexOperation(over)).toThrow(/record 302/);
  });

  it('counts the document size in UTF-8 bytes, not characters', () => {
    // Prepare: 'é' is one character but two bytes, so 600k of them are over 1 MB.
    const record = streamRecord({ eventName: 'INSERT', newImage: note({ text: 'é'.repeat(600_000) }), seq: '303' });

    // Act & Assess
    expect(() => toIndexOperation(record)).toThrow(/record 303: document is/);
  });

  it('strips characters that are invalid in XML 1.0 and keeps tab, newline and carriage return', () => {
    // Prepare
    const record = streamRecord({
      eventName: 'INSERT',
      newImage: note({
        owner: 'sub-1::\u0000alice',
        headline: 'A\u0000B\u0008C\u000BD\u000CE\u000EF\u001FG\uFFFEH\uFFFFI',
        text: 'line 1\nline 2\tcol\r\u0007end',
        photoKey: 'media/\u0001photo.jpg',
      }),
      seq: '400',
    });

    // Act
    const operation = toIndexOperation(record);

    // Assess
    expect(operation.document).toEqual({
      type: 'add',
      id: 'note-1',
      fields: {
        owner: 'sub-1::alice',
        headline: 'ABCDEFGHI',
        text: 'line 1\nline 2\tcol\rend',
        photo_key: 'media/photo.jpg',
        created_at: '2024-01-01T10:00:00.000Z',
        updated_at: '2024-01-02T11:00:00.000Z',
      },
    });
  });

  it('reports a record without a sequence number', () => {
    // Prepare
    const record = streamRecord({ eventName: 'INSERT', newImage: note() });

    // Act & Assess
    expect(() => toIndexOperation(record)).toThrow(/no sequence number/);
  });

  it('reports an INSERT without a new image', () => {
    // Prepare
    const record = streamRecord({ eventName: 'INSERT', seq: '500' });

    // Act & Assess
    expect(() => toIndexOperation(record)).toThrow(/record 500: INSERT event without a new image/);
  });
});

describe('collapseByDocument', () => {
  it('keeps the last operation per note and carries the sequence numbers it supersedes', () => {
    // Prepare
    const first = addOperation('note-1', '1', { headline: 'First' });
    const other = addOperation('note-2', '2');
    const second = addOperation('note-1', '3', { headline: 'Second' });
    const removal = deleteOperation('note-1', '4');

    // Act
    const collapsed = collapseByDocument([first, other, second, removal]);

    // Assess
    expect(collapsed).toHaveLength(2);
    expect(collapsed[0]).toEqual(other);
    expect(collapsed[1]?.document).toEqual({ type: 'delete', id: 'note-1' });
    expect(collapsed[1]?.sequenceNumbers).toEqual(['4', '3', '1']);
    expect(collapsed[1]?.bytes).toBe(removal.bytes);
  });

  it('places the survivor where its last operation was in stream order', () => {
    // Prepare
    const operations = [addOperation('a', '1'), addOperation('b', '2'), addOperation('a', '3'), addOperation('c', '4')];

    // Act
    const collapsed = collapseByDocument(operations);

    // Assess
    expect(collapsed.map((op) => op.document.id)).toEqual(['b', 'a', 'c']);
    expect(collapsed.map((op) => op.sequenceNumbers)).toEqual([['2'], ['3', '1'], ['4']]);
  });

  it('leaves operations on distinct notes unchanged and does not mutate its input', () => {
    // Prepare
    const operations = [addOperation('a', '1'), addOperation('a', '2')];
    const snapshot = structuredClone(operations);

    // Act
    const collapsed = collapseByDocument([addOperation('x', '9'), ...operations]);

    // Assess
    expect(collapsed.map((op) => op.document.id)).toEqual(['x', 'a']);
    expect(operations).toEqual(snapshot);
  });
});

describe('toBatches', () => {
  const equalOperations = (count: number): IndexOperation[] =>
    Array.from({ length: count }, (_, i) => addOperation(`note-${i}`, String(i)));

  it('packs as many operations as fit under a small limit, counting brackets and separators', () => {
    // Prepare: two documents cost 2 brackets + 2 documents + 1 comma.
    const operations = equalOperations(5);
    const size = operations[0]?.bytes ?? 0;
    expect(operations.every((op) => op.bytes === size)).toBe(true);
    const maxBatchBytes = 2 * size + 3;

    // Act
    const batches = toBatches(operations, maxBatchBytes);

    // Assess
    expect(batches.map(idsOf)).toEqual([['note-0', 'note-1'], ['note-2', 'note-3'], ['note-4']]);
    for (const batch of batches) {
      const serialized = serializeBatch(batch);
      expect(byteLength(serialized)).toBeLessThanOrEqual(maxBatchBytes);
      expect(batch.bytes).toBe(byteLength(serialized));
    }
  });

  it('starts a new batch when one more byte would be over the limit', () => {
    // Prepare
    const operations = equalOperations(3);
    const size = operations[0]?.bytes ?? 0;

    // Act
    const batches = toBatches(operations, 2 * size + 2);

    // Assess
    expect(batches.map(idsOf)).toEqual([['note-0'], ['note-1'], ['note-2']]);
    for (const batch of batches) expect(byteLength(serializeBatch(batch))).toBeLessThanOrEqual(2 * size + 2);
  });

  it('keeps stream order across batches', () => {
    // Prepare
    const operations = [
      addOperation('a', '1'),
      deleteOperation('b', '2'),
      addOperation('c', '3', { text: 'x'.repeat(300) }),
      deleteOperation('d', '4'),
      addOperation('e', '5'),
    ];

    // Act
    const batches = toBatches(operations, 600);

    // Assess
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flatMap(idsOf)).toEqual(['a', 'b', 'c', 'd', 'e']);
    for (const batch of batches) expect(byteLength(serializeBatch(batch))).toBeLessThanOrEqual(600);
  });

  it('returns no batches for no operations', () => {
    // Act & Assess
    expect(toBatches([])).toEqual([]);
  });

  it('splits twelve ~500 KB documents so that no batch exceeds the 5 MB CloudSearch limit', () => {
    // Prepare: half plain ASCII, half two-byte characters, each document about 500 KB of UTF-8.
    const operations = Array.from({ length: 12 }, (_, i) =>
      addOperation(`note-${i}`, String(1000 + i), {
        text: i % 2 === 0 ? 'x'.repeat(500 * 1024) : 'ü'.repeat(250 * 1024),
      }),
    );
    for (const op of operations) expect(op.bytes).toBeGreaterThan(500 * 1024);

    // Act
    const batches = toBatches(operations);

    // Assess
    expect(batches.length).toBeGreaterThanOrEqual(2);
    expect(batches.flatMap(idsOf)).toEqual(operations.map((op) => op.document.id));
    for (const batch of batches) {
      const serialized = serializeBatch(batch);
      expect(byteLength(serialized)).toBeLessThanOrEqual(5 * 1024 * 1024);
      expect(batch.bytes).toBe(byteLength(serialized));
    }
  });
});

describe('serializeBatch', () => {
  it('serializes a batch as the JSON array of its documents', () => {
    // Prepare
    const batch = toBatches([addOperation('a', '1'), deleteOperation('b', '2')])[0];
    if (!batch) throw new Error('expected one batch');

    // Act
    const serialized = serializeBatch(batch);

    // Assess
    expect(parseUpload(serialized)).toEqual([
      expect.objectContaining({ type: 'add', id: 'a' }),
      { type: 'delete', id: 'b' },
    ]);
  });
});

describe('indexRecords', () => {
  const recordingUpload = (failOnCall?: number) => {
    const calls: string[] = [];
    const upload = async (documents: string): Promise<void> => {
      calls.push(documents);
      if (calls.length === failOnCall) throw new Error('CloudSearch said no');
    };
    return { calls, upload };
  };

  const inserts = (count: number): DynamoDBRecord[] =>
    Array.from({ length: count }, (_, i) =>
      streamRecord({ eventName: 'INSERT', newImage: note({ id: `note-${i}` }), seq: String(10 + i) }),
    );

  it('makes exactly one upload call per batch', async () => {
    // Prepare
    const records = inserts(5);
    const size = addOperation('note-0', '10').bytes;
    const { calls, upload } = recordingUpload();

    // Act
    const result = await indexRecords(records, upload, 2 * size + 3);

    // Assess
    expect(calls).toHaveLength(3);
    expect(result).toEqual({ failedSequenceNumbers: [], uploaded: 5, batches: 3, errors: [] });
    expect(calls.map((documents) => parseUpload(documents).map((doc) => doc.id))).toEqual([
      ['note-0', 'note-1'],
      ['note-2', 'note-3'],
      ['note-4'],
    ]);
  });

  it('uploads everything in one call when it fits the default limit', async () => {
    // Prepare
    const { calls, upload } = recordingUpload();

    // Act
    const result = await indexRecords(inserts(20), upload);

    // Assess
    expect(calls).toHaveLength(1);
    expect(parseUpload(calls[0] ?? '[]')).toHaveLength(20);
    expect(result.uploaded).toBe(20);
    expect(result.batches).toBe(1);
  });

  it('fails every record of a batch whose upload throws and only those', async () => {
    // Prepare
    const records = inserts(5);
    const size = addOperation('note-0', '10').bytes;
    const { calls, upload } = recordingUpload(2);

    // Act
    const result = await indexRecords(records, upload, 2 * size + 3);

    // Assess
    expect(calls).toHaveLength(3);
    expect(result.failedSequenceNumbers).toEqual(['12', '13']);
    expect(result.uploaded).toBe(3);
    expect(result.batches).toBe(3);
    expect(result.errors).toEqual([{ sequenceNumbers: ['12', '13'], message: 'CloudSearch said no' }]);
  });

  it('fails records that do not convert and indexes the others', async () => {
    // Prepare
    const records = [
      streamRecord({ eventName: 'INSERT', newImage: note({ id: 'good-1' }), seq: '1' }),
      streamRecord({ eventName: 'INSERT', newImage: note({ id: 'bad id' }), seq: '2' }),
      streamRecord({ eventName: 'INSERT', newImage: note({ id: 'no-owner', owner: undefined }), seq: '3' }),
      streamRecord({ eventName: 'REMOVE', oldImage: note({ id: 'good-2' }), seq: '4' }),
    ];
    const { calls, upload } = recordingUpload();

    // Act
    const result = await indexRecords(records, upload);

    // Assess
    expect(result.failedSequenceNumbers).toEqual(['2', '3']);
    expect(result.uploaded).toBe(2);
    expect(result.errors.map((e) => e.sequenceNumbers)).toEqual([['2'], ['3']]);
    expect(result.errors[0]?.message).toMatch(/record 2:/);
    expect(result.errors[1]?.message).toMatch(/record 3: note has no owner/);
    expect(calls).toHaveLength(1);
    expect(parseUpload(calls[0] ?? '[]').map((doc) => [doc.type, doc.id])).toEqual([
      ['add', 'good-1'],
      ['delete', 'good-2'],
    ]);
  });

  it('reports a record without a sequence number by its position', async () => {
    // Prepare
    const records = [
      streamRecord({ eventName: 'INSERT', newImage: note({ id: 'a' }), seq: '1' }),
      streamRecord({ eventName: 'INSERT', newImage: note({ id: 'b' }) }),
    ];
    const { upload } = recordingUpload();

    // Act
    const result = await indexRecords(records, upload);

    // Assess
    expect(result.failedSequenceNumbers).toEqual(['#1']);
    expect(result.uploaded).toBe(1);
  });

  it('uploads only the latest version of a note and fails all its records together', async () => {
    // Prepare
    const records = [
      streamRecord({ eventName: 'INSERT', newImage: note({ headline: 'v1' }), seq: '1' }),
      streamRecord({ eventName: 'MODIFY', newImage: note({ headline: 'v2' }), seq: '2' }),
    ];
    const succeeding = recordingUpload();
    const failing = recordingUpload(1);

    // Act
    const ok = await indexRecords(records, succeeding.upload);
    const failed = await indexRecords(records, failing.upload);

    // Assess
    expect(succeeding.calls).toHaveLength(1);
    const uploaded = parseUpload(succeeding.calls[0] ?? '[]');
    expect(uploaded).toHaveLength(1);
    expect(uploaded[0]).toMatchObject({ type: 'add', id: 'note-1', fields: { headline: 'v2' } });
    expect(ok.uploaded).toBe(2);
    expect([...failed.failedSequenceNumbers].sort()).toEqual(['1', '2']);
    expect(failed.uploaded).toBe(0);
  });

  it('makes no upload call for no records', async () => {
    // Prepare
    const { calls, upload } = recordingUpload();

    // Act
    const result = await indexRecords([], upload);

    // Assess
    expect(calls).toHaveLength(0);
    expect(result).toEqual({ failedSequenceNumbers: [], uploaded: 0, batches: 0, errors: [] });
  });

  it('makes no upload call when every record fails conversion', async () => {
    // Prepare
    const records = [streamRecord({ eventName: 'INSERT', newImage: note({ headline: undefined }), seq: '9' })];
    const { calls, upload } = recordingUpload();

    // Act
    const result = await indexRecords(records, upload);

    // Assess
    expect(calls).toHaveLength(0);
    expect(result.failedSequenceNumbers).toEqual(['9']);
    expect(result.batches).toBe(0);
  });

  it('reports a non-Error rejection by its string form', async () => {
    // Prepare
    const upload = (): Promise<void> => Promise.reject('throttled');

    // Act
    const result = await indexRecords(inserts(1), upload);

    // Assess
    expect(result.errors).toEqual([{ sequenceNumbers: ['10'], message: 'throttled' }]);
  });
});
