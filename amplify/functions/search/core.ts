import { LIMITS } from '../../shared/limits';
import { UnauthorizedError, ValidationError } from '../shared/errors';

export interface SearchArguments {
  query?: unknown;
  limit?: unknown;
  nextToken?: unknown;
}

/** The caller, as AppSync passes a Cognito user pool identity to a Lambda resolver. */
export interface CallerIdentity {
  sub?: string;
  username?: string;
}

export interface SearchRequest {
  query: string;
  queryParser: 'simple';
  queryOptions: string;
  filterQuery: string;
  size: number;
  cursor: string;
  return: string;
}

export interface SearchHit {
  id?: string;
  fields?: Record<string, string[] | undefined>;
}

export interface SearchResponse {
  hits?: { found?: number; cursor?: string; hit?: SearchHit[] };
}

export interface NoteSearchHit {
  id: string;
  headline: string;
  text: string | null;
  photoKey: string | null;
  updatedAt: string | null;
  score: number | null;
}

export interface NoteSearchPage {
  items: NoteSearchHit[];
  nextToken: string | null;
  total: number;
}

interface PageToken {
  cursor: string;
  seen: number;
}

/** The owner identity Gen 2 writes into a model's owner field. */
export const ownerOf = (identity: CallerIdentity | null | undefined): string => {
  if (!identity?.sub || !identity.username) {
    throw new UnauthorizedError('searchNotes needs a signed-in user pool identity');
  }
  return `${identity.sub}::${identity.username}`;
};

// Structured-query string literal: backslash and single quote are the only escapes.
const literal = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Restricts a search to one owner's notes. It goes into the query itself, so CloudSearch never returns other notes. */
export const ownerFilter = (owner: string): string => `(term field=owner ${literal(owner)})`;

const encodeToken = (token: PageToken): string => Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');

const decodeToken = (raw: string): PageToken => {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'cursor' in parsed &&
      'seen' in parsed &&
      typeof parsed.cursor === 'string' &&
      typeof parsed.seen === 'number' &&
      Number.isInteger(parsed.seen) &&
      parsed.seen >= 0
    ) {
      return { cursor: parsed.cursor, seen: parsed.seen };
    }
  } catch {
    // Reported below with the same message as a well-formed but wrong token.
  }
  throw new ValidationError('nextToken is not a token this API returned');
};

/** searchNotes arguments, validated, for one caller: what either engine's request is built from. */
export interface SearchQuery {
  owner: string;
  query: string;
  size: number;
  /** The engine's cursor from the previous page's token; undefined on the first page. */
  cursor?: string;
}

/** Validates searchNotes arguments for this caller. */
export const parseSearchArguments = (
  args: SearchArguments,
  identity: CallerIdentity | null | undefined,
): SearchQuery => {
  const owner = ownerOf(identity);
  if (typeof args.query !== 'string' || args.query.trim().length === 0) {
    throw new ValidationError('query must be a non-empty string');
  }
  const query = args.query.trim();
  if (query.length > LIMITS.searchQueryMax) {
    throw new ValidationError(`query must be at most ${LIMITS.searchQueryMax} characters`);
  }
  let size: number = LIMITS.searchLimitDefault;
  if (args.limit !== undefined && args.limit !== null) {
    if (
      typeof args.limit !== 'number' ||
      !Number.isInteger(args.limit) ||
      args.limit < 1 ||
      args.limit > LIMITS.searchLimitMax
    ) {
      throw new ValidationError(`limit must be an integer from 1 to ${LIMITS.searchLimitMax}`);
    }
    size = args.limit;
  }
  if (args.nextToken !== undefined && args.nextToken !== null) {
    if (typeof args.nextToken !== 'string' || args.nextToken.length > 4096) {
      throw new ValidationError('nextToken is not a token this API returned');
    }
    return { owner, query, size, cursor: decodeToken(args.nextToken).cursor };
  }
  return { owner, query, size };
};

/** The CloudSearch request for a validated query. */
export const toCloudSearchRequest = (search: SearchQuery): SearchRequest => ({
  query: search.query,
  queryParser: 'simple',
  queryOptions: JSON.stringify({ fields: ['headline^2', 'text'] }),
  filterQuery: ownerFilter(search.owner),
  size: search.size,
  cursor: search.cursor ?? 'initial',
  return: 'headline,text,photo_key,updated_at,_score',
});

/** Validates searchNotes arguments and builds the CloudSearch request for this caller. */
export const buildSearchRequest = (args: SearchArguments, identity: CallerIdentity | null | undefined): SearchRequest =>
  toCloudSearchRequest(parseSearchArguments(args, identity));

/** Encodes a next-page token (the same shape for both engines: the engine's cursor and the hits seen so far). */
export const nextPageToken = (cursor: string, seen: number): string => encodeToken({ cursor, seen });

/** How many hits the pages before this one returned. */
export const seenBefore = (previousToken: string | null | undefined): number =>
  typeof previousToken === 'string' ? decodeToken(previousToken).seen : 0;

const first = (fields: SearchHit['fields'], name: string): string | null => fields?.[name]?.[0] ?? null;

/** Maps a CloudSearch response to the GraphQL page, with a token for the next page if there is one. */
export const toSearchPage = (response: SearchResponse, previousToken: string | null | undefined): NoteSearchPage => {
  const seenEarlier = seenBefore(previousToken);
  const hits = response.hits?.hit ?? [];
  const total = response.hits?.found ?? 0;
  const items = hits.flatMap((hit): NoteSearchHit[] => {
    const headline = first(hit.fields, 'headline');
    if (!hit.id || headline === null) return [];
    const score = first(hit.fields, '_score');
    return [
      {
        id: hit.id,
        headline,
        text: first(hit.fields, 'text'),
        photoKey: first(hit.fields, 'photo_key'),
        updatedAt: first(hit.fields, 'updated_at'),
        score: score === null ? null : Number(score),
      },
    ];
  });
  const seen = seenEarlier + hits.length;
  const cursor = response.hits?.cursor;
  const nextToken = cursor && hits.length > 0 && seen < total ? encodeToken({ cursor, seen }) : null;
  return { items, nextToken, total };
};
