import type { Batch, BatchOutcome } from './core';

/**
 * The notes index: the same fields as the CloudSearch domain
 * (`NOTE_INDEX_FIELDS`), plus `id` as a keyword, the tie-breaker that makes
 * `search_after` paging stable.
 */
export const NOTE_INDEX_BODY = {
  settings: { index: { number_of_shards: 1 } },
  mappings: {
    dynamic: 'strict',
    properties: {
      id: { type: 'keyword' },
      owner: { type: 'keyword' },
      headline: { type: 'text' },
      text: { type: 'text' },
      photo_key: { type: 'keyword', index: false },
      created_at: { type: 'date' },
      updated_at: { type: 'date' },
    },
  },
} as const;

/** One `_bulk` body (NDJSON, ending in a newline) for a batch: `index` for adds, `delete` for deletes. */
export const toBulkBody = (batch: Batch): string =>
  batch.operations
    .map(({ document }) =>
      document.type === 'add'
        ? `${JSON.stringify({ index: { _id: document.id } })}\n${JSON.stringify({ id: document.id, ...document.fields })}\n`
        : `${JSON.stringify({ delete: { _id: document.id } })}\n`,
    )
    .join('');

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const errorText = (error: unknown): string => {
  if (isRecord(error)) return `${String(error.type ?? 'error')}: ${String(error.reason ?? '')}`.trim();
  return String(error);
};

/**
 * The documents a `_bulk` response rejected. A delete of a document that is
 * not there (404) is a success: the index already says what the table says.
 * A response that is not a bulk response fails the whole batch.
 */
export const bulkFailures = (response: unknown, batch: Batch): BatchOutcome => {
  if (!isRecord(response) || !Array.isArray(response.items) || response.items.length !== batch.operations.length) {
    throw new Error(`_bulk answered without one item per operation: ${JSON.stringify(response).slice(0, 200)}`);
  }
  const failed: Array<{ id: string; message: string }> = [];
  response.items.forEach((entry: unknown, position) => {
    const operation = batch.operations[position];
    const result = isRecord(entry) ? (entry.index ?? entry.delete) : undefined;
    if (!operation) return;
    const id = operation.document.id;
    if (!isRecord(result) || typeof result.status !== 'number') {
      failed.push({ id, message: `_bulk item ${position} has no status` });
      return;
    }
    const notFoundDelete = operation.document.type === 'delete' && result.status === 404;
    if (result.status >= 300 && !notFoundDelete) {
      failed.push({ id, message: `OpenSearch rejected ${id} (${result.status}): ${errorText(result.error)}` });
    }
  });
  return { failed };
};

/** True when `PUT /<index>` failed only because the index is already there. */
export const isIndexAlreadyThere = (status: number, body: unknown): boolean =>
  status === 400 && isRecord(body) && isRecord(body.error) && body.error.type === 'resource_already_exists_exception';
