import { ValidationError } from '../shared/errors';
import { type NoteSearchHit, type NoteSearchPage, nextPageToken, type SearchQuery, seenBefore } from './core';

/**
 * The `_search` body for a validated query: the same simple query syntax and
 * field weights as on CloudSearch, with the owner as a `term` filter inside
 * the query, so that other users' notes never leave OpenSearch. Pages follow
 * `search_after` on (score, id).
 */
export const toOpenSearchQuery = (search: SearchQuery): Record<string, unknown> => ({
  size: search.size,
  track_total_hits: true,
  query: {
    bool: {
      must: [{ simple_query_string: { query: search.query, fields: ['headline^2', 'text'], default_operator: 'and' } }],
      filter: [{ term: { owner: search.owner } }],
    },
  },
  sort: [{ _score: 'desc' }, { id: 'asc' }],
  _source: ['headline', 'text', 'photo_key', 'updated_at'],
  ...(search.cursor !== undefined && { search_after: searchAfterOf(search.cursor) }),
});

const searchAfterOf = (cursor: string): unknown[] => {
  try {
    const parsed: unknown = JSON.parse(cursor);
    if (Array.isArray(parsed) && parsed.length === 2) return parsed;
  } catch {
    // Reported below.
  }
  throw new ValidationError('nextToken is not a token this API returned');
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** Maps a `_search` response to the GraphQL page, with a token for the next page if there is one. */
export const toOpenSearchPage = (response: unknown, previousToken: string | null | undefined): NoteSearchPage => {
  const seenEarlier = seenBefore(previousToken);
  const hits = isRecord(response) && isRecord(response.hits) ? response.hits : {};
  const total = isRecord(hits.total) && typeof hits.total.value === 'number' ? hits.total.value : 0;
  const list = Array.isArray(hits.hits) ? hits.hits.filter(isRecord) : [];
  const items = list.flatMap((hit): NoteSearchHit[] => {
    const source = isRecord(hit._source) ? hit._source : {};
    const headline = text(source.headline);
    if (typeof hit._id !== 'string' || headline === null) return [];
    return [
      {
        id: hit._id,
        headline,
        text: text(source.text),
        photoKey: text(source.photo_key),
        updatedAt: text(source.updated_at),
        score: typeof hit._score === 'number' ? hit._score : null,
      },
    ];
  });
  const seen = seenEarlier + list.length;
  const last = list.at(-1)?.sort;
  const nextToken =
    Array.isArray(last) && list.length > 0 && seen < total ? nextPageToken(JSON.stringify(last), seen) : null;
  return { items, nextToken, total };
};
