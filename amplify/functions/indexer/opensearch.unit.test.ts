import { describe, expect, it } from 'vitest';
import { type Item, streamRecord } from '../shared/test-events';
import { type Batch, indexRecords, toBatches, toIndexOperation } from './core';
import { bulkFailures, isIndexAlreadyThere, NOTE_INDEX_BODY, toBulkBody } from './opensearch';

const note = (overrides: Item = {}): Item => ({
  id: 'note-1',
  owner: 'sub-1::alice',
  headline: 'Groceries',
  text: 'Milk and eggs',
  createdAt: '2024-01-01T10:00:00.000Z',
  updatedAt: '2024-01-02T11:00:00.000Z',
  _version: 1,
  ...overrides,
});

const batchOf = (...records: Parameters<typeof streamRecord>[0][]): Batch => {
  const [batch] = toBatches(records.map((r) => toIndexOperation(streamRecord(r))));
  if (!batch) throw new Error('no batch');
  return batch;
};

const lines = (body: string): unknown[] => {
  expect(body.endsWith('\n')).toBe(true);
  return body
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line));
};

describe('toBulkBody', () => {
  it('writes an index action and the document for an add, a delete action alone for a delete', () => {
    // Prepare
    const batch = batchOf(
      { eventName: 'INSERT', newImage: note({ id: 'a' }), seq: '1' },
      { eventName: 'REMOVE', oldImage: note({ id: 'b' }), seq: '2' },
      { eventName: 'MODIFY', newImage: note({ id: 'c', _deleted: true }), seq: '3' },
    );

    // Act
    const parsed = lines(toBulkBody(batch));

    // Assess
    expect(parsed).toEqual([
      { index: { _id: 'a' } },
      {
        id: 'a',
        owner: 'sub-1::alice',
        headline: 'Groceries',
        text: 'Milk and eggs',
        created_at: '2024-01-01T10:00:00.000Z',
        updated_at: '2024-01-02T11:00:00.000Z',
      },
      { delete: { _id: 'b' } },
      { delete: { _id: 'c' } },
    ]);
  });

  it('writes only fields the strict mapping knows', () => {
    // Prepare
    const batch = batchOf({ eventName: 'INSERT', newImage: note({ photoKey: 'media/x.jpg', extra: 'x' }), seq: '1' });

    // Act
    const [, document] = lines(toBulkBody(batch));

    // Assess
    const known = Object.keys(NOTE_INDEX_BODY.mappings.properties);
    expect(Object.keys(document ?? {}).every((field) => known.includes(field))).toBe(true);
    expect(NOTE_INDEX_BODY.mappings.properties.owner.type).toBe('keyword');
  });

  it('keeps newlines inside values escaped, one JSON value per line', () => {
    // Prepare
    const batch = batchOf({ eventName: 'INSERT', newImage: note({ text: 'line 1\nline 2' }), seq: '1' });

    // Act & Assess
    expect(toBulkBody(batch).split('\n')).toHaveLength(3);
  });
});

describe('bulkFailures', () => {
  const batch = batchOf(
    { eventName: 'INSERT', newImage: note({ id: 'a' }), seq: '1' },
    { eventName: 'INSERT', newImage: note({ id: 'b' }), seq: '2' },
    { eventName: 'REMOVE', oldImage: note({ id: 'c' }), seq: '3' },
  );

  it('reports nothing when every item succeeded, and a delete of a missing document as a success', () => {
    // Act
    const outcome = bulkFailures(
      {
        errors: false,
        items: [
          { index: { _id: 'a', status: 201 } },
          { index: { _id: 'b', status: 200 } },
          { delete: { _id: 'c', status: 404, result: 'not_found' } },
        ],
      },
      batch,
    );

    // Assess
    expect(outcome).toEqual({ failed: [] });
  });

  it('reports each rejected item with its status and reason', () => {
    // Act
    const outcome = bulkFailures(
      {
        errors: true,
        items: [
          { index: { _id: 'a', status: 201 } },
          { index: { _id: 'b', status: 400, error: { type: 'mapper_parsing_exception', reason: 'bad date' } } },
          { delete: { _id: 'c', status: 429, error: { type: 'es_rejected_execution_exception', reason: 'busy' } } },
        ],
      },
      batch,
    );

    // Assess
    expect(outcome.failed).toEqual([
      { id: 'b', message: 'OpenSearch rejected b (400): mapper_parsing_exception: bad date' },
      { id: 'c', message: 'OpenSearch rejected c (429): es_rejected_execution_exception: busy' },
    ]);
  });

  it.each([
    ['no items', { errors: false }],
    ['too few items', { errors: false, items: [{ index: { status: 201 } }] }],
    ['an error body', { error: { type: 'security_exception' }, status: 403 }],
    ['text', 'Bad Gateway'],
  ])('fails the whole batch on a response with %s', (_label, response) => {
    // Act & Assess
    expect(() => bulkFailures(response, batch)).toThrow(/_bulk answered without one item per operation/);
  });

  it('fails an item without a status', () => {
    // Act
    const outcome = bulkFailures({ items: [{ index: { status: 201 } }, { index: {} }, { update: {} }] }, batch);

    // Assess
    expect(outcome.failed.map((f) => f.id)).toEqual(['b', 'c']);
  });
});

describe('indexRecords with per-document failures', () => {
  it('fails only the records of the rejected documents, superseded records included', async () => {
    // Prepare
    const records = [
      streamRecord({ eventName: 'INSERT', newImage: note({ id: 'a', headline: 'v1' }), seq: '1' }),
      streamRecord({ eventName: 'INSERT', newImage: note({ id: 'b' }), seq: '2' }),
      streamRecord({ eventName: 'MODIFY', newImage: note({ id: 'a', headline: 'v2' }), seq: '3' }),
    ];
    const bodies: string[] = [];

    // Act
    const result = await indexRecords(records, async (_documents, batch) => {
      bodies.push(toBulkBody(batch));
      return { failed: [{ id: 'a', message: 'rejected' }] };
    });

    // Assess
    expect(bodies).toHaveLength(1);
    expect(result.failedSequenceNumbers.sort()).toEqual(['1', '3']);
    expect(result.uploaded).toBe(1);
    expect(result.errors).toEqual([{ sequenceNumbers: ['3', '1'], message: 'rejected' }]);
  });
});

describe('isIndexAlreadyThere', () => {
  it('accepts only resource_already_exists_exception on a 400', () => {
    // Act & Assess
    const exists = { error: { type: 'resource_already_exists_exception' }, status: 400 };
    expect(isIndexAlreadyThere(400, exists)).toBe(true);
    expect(isIndexAlreadyThere(403, exists)).toBe(false);
    expect(isIndexAlreadyThere(400, { error: { type: 'mapper_parsing_exception' } })).toBe(false);
    expect(isIndexAlreadyThere(400, 'text')).toBe(false);
  });
});
