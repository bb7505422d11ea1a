import { describe, expect, it } from 'vitest';
import { ValidationError } from '../shared/errors';
import { parseSearchArguments } from './core';
import { toOpenSearchPage, toOpenSearchQuery } from './opensearch';

const caller = { sub: 'sub-123', username: 'alice' };

const hit = (id: string, score: number, source: Record<string, unknown> = { headline: `Note ${id}` }) => ({
  _id: id,
  _score: score,
  _source: source,
  sort: [score, id],
});

describe('toOpenSearchQuery', () => {
  it("filters by the caller's owner inside the query, with CloudSearch's fields and weights", () => {
    // Act
    const query = toOpenSearchQuery(parseSearchArguments({ query: ' milk ', limit: 5 }, caller));

    // Assess
    expect(query).toEqual({
      size: 5,
      track_total_hits: true,
      query: {
        bool: {
          must: [{ simple_query_string: { query: 'milk', fields: ['headline^2', 'text'], default_operator: 'and' } }],
          filter: [{ term: { owner: 'sub-123::alice' } }],
        },
      },
      sort: [{ _score: 'desc' }, { id: 'asc' }],
      _source: ['headline', 'text', 'photo_key', 'updated_at'],
    });
  });

  it('keeps an owner with quotes and backslashes a plain term value', () => {
    // Act
    const query = toOpenSearchQuery(parseSearchArguments({ query: 'x' }, { sub: "s'1", username: 'a\\b"c' }));

    // Assess
    expect(JSON.stringify(query)).toContain(JSON.stringify({ term: { owner: 's\'1::a\\b"c' } }));
  });

  it('continues after the last hit of the previous page', () => {
    // Prepare
    const first = toOpenSearchPage({ hits: { total: { value: 3 }, hits: [hit('a', 2.5), hit('b', 1.5)] } }, null);

    // Act
    const query = toOpenSearchQuery(parseSearchArguments({ query: 'milk', nextToken: first.nextToken }, caller));

    // Assess
    expect(query.search_after).toEqual([1.5, 'b']);
  });

  it('rejects a token whose cursor is not a search_after pair', () => {
    // Prepare
    const token = Buffer.from(JSON.stringify({ cursor: 'initial', seen: 1 })).toString('base64url');

    // Act & Assess
    expect(() => toOpenSearchQuery(parseSearchArguments({ query: 'milk', nextToken: token }, caller))).toThrow(
      ValidationError,
    );
  });
});

describe('toOpenSearchPage', () => {
  it('maps hits to the GraphQL page', () => {
    // Act
    const page = toOpenSearchPage(
      {
        hits: {
          total: { value: 1, relation: 'eq' },
          hits: [
            hit('a', 2.5, {
              headline: 'Groceries',
              text: 'Milk',
              photo_key: 'media/x.jpg',
              updated_at: '2024-01-02T11:00:00.000Z',
            }),
          ],
        },
      },
      null,
    );

    // Assess
    expect(page).toEqual({
      items: [
        {
          id: 'a',
          headline: 'Groceries',
          text: 'Milk',
          photoKey: 'media/x.jpg',
          updatedAt: '2024-01-02T11:00:00.000Z',
          score: 2.5,
        },
      ],
      nextToken: null,
      total: 1,
    });
  });

  it('gives a next token while hits remain, and none on the last page', () => {
    // Act
    const first = toOpenSearchPage({ hits: { total: { value: 3 }, hits: [hit('a', 2), hit('b', 1)] } }, null);
    const last = toOpenSearchPage({ hits: { total: { value: 3 }, hits: [hit('c', 0.5)] } }, first.nextToken);

    // Assess
    expect(first.nextToken).toEqual(expect.any(String));
    expect(last.nextToken).toBeNull();
    expect(last.total).toBe(3);
  });

  it('skips hits without a headline and answers an empty page for a response without hits', () => {
    // Act & Assess
    expect(
      toOpenSearchPage({ hits: { total: { value: 2 }, hits: [hit('a', 1, {}), hit('b', 1)] } }, null).items.map(
        (i) => i.id,
      ),
    ).toEqual(['b']);
    expect(toOpenSearchPage({}, null)).toEqual({ items: [], nextToken: null, total: 0 });
  });
});
