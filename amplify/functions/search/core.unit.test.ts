import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/limits';
import { UnauthorizedError, ValidationError } from '../shared/errors';
import {
  buildSearchRequest,
  type CallerIdentity,
  ownerFilter,
  ownerOf,
  type SearchArguments,
  type SearchHit,
  type SearchResponse,
  toSearchPage,
} from './core';

const caller = (overrides: CallerIdentity = {}): CallerIdentity => ({
  sub: 'sub-123',
  username: 'alice',
  ...overrides,
});

const searchHit = (id: string | undefined, fields: Record<string, string> = {}): SearchHit => ({
  id,
  fields: Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, [value]])),
});

const searchResponse = ({
  found,
  cursor,
  hits,
}: {
  found: number;
  cursor?: string;
  hits: SearchHit[];
}): SearchResponse => ({ hits: { found, cursor, hit: hits } });

const base64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

/** The error a call throws, so that its class, name and message can all be checked. */
const thrownBy = (act: () => unknown): unknown => {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
};

describe('buildSearchRequest', () => {
  it('builds a request restricted to the caller with the default page size', () => {
    // Act
    const request = buildSearchRequest({ query: '  milk  ' }, caller());

    // Assess
    expect(request).toEqual({
      query: 'milk',
      queryParser: 'simple',
      queryOptions: JSON.stringify({ fields: ['headline^2', 'text'] }),
      filterQuery: "(term field=owner 'sub-123::alice')",
      size: LIMITS.searchLimitDefault,
      cursor: 'initial',
      return: 'headline,text,photo_key,updated_at,_score',
    });
  });

  it.each([
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['an empty string', ''],
    ['only whitespace', ' \t\n '],
    ['an object', { query: 'milk' }],
  ])('rejects a query that is %s', (_label, query) => {
    // Act
    const error = thrownBy(() => buildSearchRequest({ query }, caller()));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toHaveProperty('name', 'ValidationError');
    expect(error).toHaveProperty('message', 'query must be a non-empty string');
  });

  it(`rejects a query longer than ${LIMITS.searchQueryMax} characters and accepts one of exactly that length`, () => {
    // Prepare
    const longest = 'q'.repeat(LIMITS.searchQueryMax);

    // Act
    const accepted = buildSearchRequest({ query: `  ${longest}  ` }, caller());
    const error = thrownBy(() => buildSearchRequest({ query: `${longest}q` }, caller()));

    // Assess
    expect(accepted.query).toBe(longest);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toHaveProperty('message', `query must be at most ${LIMITS.searchQueryMax} characters`);
  });

  it.each([
    ['0', 0],
    ['51', LIMITS.searchLimitMax + 1],
    ['2.5', 2.5],
    ["the string '5'", '5'],
    ['-1', -1],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])('rejects limit %s', (_label, limit) => {
    // Act
    const error = thrownBy(() => buildSearchRequest({ query: 'milk', limit }, caller()));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toHaveProperty('message', `limit must be an integer from 1 to ${LIMITS.searchLimitMax}`);
  });

  it.each([1, LIMITS.searchLimitMax])('accepts limit %i', (limit) => {
    // Act
    const request = buildSearchRequest({ query: 'milk', limit }, caller());

    // Assess
    expect(request.size).toBe(limit);
  });

  it('uses the default size for a null limit', () => {
    // Act & Assess
    expect(buildSearchRequest({ query: 'milk', limit: null }, caller()).size).toBe(LIMITS.searchLimitDefault);
  });

  it.each([
    ['no identity', null],
    ['an undefined identity', undefined],
    ['an identity without sub', { username: 'alice' }],
    ['an identity without username', { sub: 'sub-123' }],
    ['an identity with an empty sub', { sub: '', username: 'alice' }],
  ])('rejects %s as Unauthorized', (_label, identity) => {
    // Act
    const error = thrownBy(() => buildSearchRequest({ query: 'milk' }, identity));

    // Assess
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(error).toHaveProperty('name', 'Unauthorized');
  });

  it('checks the identity before the arguments', () => {
    // Act
    const error = thrownBy(() => buildSearchRequest({ query: '' }, null));

    // Assess
    expect(error).toHaveProperty('name', 'Unauthorized');
  });

  it('escapes single quotes and backslashes in the owner filter', () => {
    // Prepare: the owner is  o'brien\x::al'ice  ; each ' becomes \' and each \ becomes \\.
    const identity = caller({ sub: "o'brien\\x", username: "al'ice" });

    // Act
    const request = buildSearchRequest({ query: 'milk' }, identity);

    // Assess
    expect(request.filterQuery).toBe("(term field=owner 'o\\'brien\\\\x::al\\'ice')");
  });

  it('escapes a backslash before a quote without doubling the escape it adds', () => {
    // Act & Assess: a\'b  ->  a\\\'b
    expect(ownerFilter("a\\'b")).toBe("(term field=owner 'a\\\\\\'b')");
  });

  it.each([
    ['a string that is not base64 JSON', 'garbage'],
    ['base64 of text that is not JSON', base64url('not json at all')],
    ['JSON with a negative seen', base64url(JSON.stringify({ cursor: 'c', seen: -1 }))],
    ['JSON with a fractional seen', base64url(JSON.stringify({ cursor: 'c', seen: 1.5 }))],
    ['JSON with a string seen', base64url(JSON.stringify({ cursor: 'c', seen: '3' }))],
    ['JSON without a cursor', base64url(JSON.stringify({ seen: 3 }))],
    ['JSON null', base64url('null')],
    ['a number', 12],
    ['a token over 4096 characters', 'a'.repeat(4097)],
  ])('rejects a nextToken that is %s', (_label, nextToken) => {
    // Act
    const error = thrownBy(() => buildSearchRequest({ query: 'milk', nextToken }, caller()));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toHaveProperty('message', 'nextToken is not a token this API returned');
  });

  it('uses the cursor of a well-formed nextToken', () => {
    // Prepare
    const args: SearchArguments = { query: 'milk', nextToken: base64url(JSON.stringify({ cursor: 'abc', seen: 0 })) };

    // Act & Assess
    expect(buildSearchRequest(args, caller()).cursor).toBe('abc');
  });
});

describe('ownerOf', () => {
  it('is the <sub>::<username> identity Gen 2 writes into owner fields', () => {
    // Act & Assess
    expect(ownerOf(caller())).toBe('sub-123::alice');
  });
});

describe('toSearchPage', () => {
  it('maps hit fields to the GraphQL shape', () => {
    // Prepare
    const response = searchResponse({
      found: 1,
      hits: [
        searchHit('note-1', {
          headline: 'Groceries',
          text: 'Milk and eggs',
          photo_key: 'media/photo.jpg',
          updated_at: '2024-01-02T11:00:00.000Z',
          _score: '2.75',
        }),
      ],
    });

    // Act
    const page = toSearchPage(response, null);

    // Assess
    expect(page).toEqual({
      items: [
        {
          id: 'note-1',
          headline: 'Groceries',
          text: 'Milk and eggs',
          photoKey: 'media/photo.jpg',
          updatedAt: '2024-01-02T11:00:00.000Z',
          score: 2.75,
        },
      ],
      nextToken: null,
      total: 1,
    });
  });

  it('returns null for the optional fields a hit lacks', () => {
    // Prepare
    const response = searchResponse({ found: 1, hits: [searchHit('note-1', { headline: 'Only a headline' })] });

    // Act
    const page = toSearchPage(response, undefined);

    // Assess
    expect(page.items).toEqual([
      { id: 'note-1', headline: 'Only a headline', text: null, photoKey: null, updatedAt: null, score: null },
    ]);
  });

  it('skips hits without an id or a headline', () => {
    // Prepare
    const response = searchResponse({
      found: 4,
      hits: [
        searchHit(undefined, { headline: 'No id' }),
        searchHit('', { headline: 'Empty id' }),
        searchHit('note-2', { text: 'No headline' }),
        { id: 'note-3' },
        searchHit('note-4', { headline: 'Kept' }),
      ],
    });

    // Act
    const page = toSearchPage(response, null);

    // Assess
    expect(page.items.map((item) => item.id)).toEqual(['note-4']);
    expect(page.total).toBe(4);
  });

  it('handles an empty response', () => {
    // Act & Assess
    expect(toSearchPage({}, null)).toEqual({ items: [], nextToken: null, total: 0 });
  });

  it('returns a nextToken only while fewer hits were seen than found', () => {
    // Prepare
    const hits = [searchHit('a', { headline: 'A' }), searchHit('b', { headline: 'B' })];

    // Act
    const more = toSearchPage(searchResponse({ found: 3, cursor: 'c1', hits }), null);
    const all = toSearchPage(searchResponse({ found: 2, cursor: 'c1', hits }), null);
    const noCursor = toSearchPage(searchResponse({ found: 3, hits }), null);
    const noHits = toSearchPage(searchResponse({ found: 3, cursor: 'c1', hits: [] }), null);

    // Assess
    expect(typeof more.nextToken).toBe('string');
    expect(all.nextToken).toBeNull();
    expect(noCursor.nextToken).toBeNull();
    expect(noHits.nextToken).toBeNull();
  });

  it('returns a token that the next request turns back into the cursor, counting hits across pages', () => {
    // Prepare
    const page1 = toSearchPage(
      searchResponse({
        found: 5,
        cursor: 'cursor-1',
        hits: [searchHit('a', { headline: 'A' }), searchHit('b', { headline: 'B' })],
      }),
      null,
    );
    if (page1.nextToken === null) throw new Error('expected a token after page 1');

    // Act
    const request2 = buildSearchRequest({ query: 'milk', limit: 2, nextToken: page1.nextToken }, caller());
    const page2 = toSearchPage(
      searchResponse({
        found: 5,
        cursor: 'cursor-2',
        hits: [searchHit('c', { headline: 'C' }), searchHit('d', { headline: 'D' })],
      }),
      page1.nextToken,
    );
    if (page2.nextToken === null) throw new Error('expected a token after page 2');
    const request3 = buildSearchRequest({ query: 'milk', limit: 2, nextToken: page2.nextToken }, caller());
    const page3 = toSearchPage(
      searchResponse({ found: 5, cursor: 'cursor-3', hits: [searchHit('e', { headline: 'E' })] }),
      page2.nextToken,
    );

    // Assess
    expect(request2.cursor).toBe('cursor-1');
    expect(request3.cursor).toBe('cursor-2');
    expect(page2.items.map((item) => item.id)).toEqual(['c', 'd']);
    expect(page3.nextToken).toBeNull();
    expect(page3.total).toBe(5);
  });

  it('rejects a malformed previous token', () => {
    // Act
    const error = thrownBy(() => toSearchPage(searchResponse({ found: 1, hits: [] }), 'garbage'));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
  });
});
