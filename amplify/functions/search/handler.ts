import { Logger } from '@aws-lambda-powertools/logger';
import { CloudSearchDomainClient, SearchCommand } from '@aws-sdk/client-cloudsearch-domain';
import type { AppSyncIdentityCognito, AppSyncResolverEvent } from 'aws-lambda';
import { ConfigError, requireEnv } from '../shared/errors';
import { searchEngineOf } from '../shared/search-engine';
import { signedHttpClient } from '../shared/signed-http';
import {
  type NoteSearchPage,
  parseSearchArguments,
  type SearchArguments,
  type SearchQuery,
  toCloudSearchRequest,
  toSearchPage,
} from './core';
import { toOpenSearchPage, toOpenSearchQuery } from './opensearch';

const logger = new Logger({ serviceName: 'search' });
const engine = searchEngineOf(process.env);

type Engine = (search: SearchQuery, previousToken: string | null) => Promise<NoteSearchPage>;

const cloudSearch = (): Engine => {
  const client = new CloudSearchDomainClient({
    endpoint: requireEnv(process.env, 'CLOUDSEARCH_SEARCH_ENDPOINT'),
    ...(process.env.SEARCH_REGION && { region: process.env.SEARCH_REGION }),
  });
  return async (search, previousToken) =>
    toSearchPage(await client.send(new SearchCommand(toCloudSearchRequest(search))), previousToken);
};

const openSearch = (): Engine => {
  const index = requireEnv(process.env, 'OPENSEARCH_INDEX');
  const http = signedHttpClient(process.env, {
    endpoint: requireEnv(process.env, 'OPENSEARCH_ENDPOINT'),
    service: 'es',
    region: requireEnv(process.env, 'SEARCH_REGION'),
    timeoutMs: 8_000,
  });
  return async (search, previousToken) => {
    const { status, body } = await http.request('POST', `/${index}/_search`, JSON.stringify(toOpenSearchQuery(search)));
    // Before the first note is indexed there is no index: no notes yet, not an error.
    if (status === 404) return { items: [], nextToken: null, total: 0 };
    if (status >= 300) throw new Error(`_search failed (${status}): ${JSON.stringify(body).slice(0, 300)}`);
    return toOpenSearchPage(body, previousToken);
  };
};

const run: Engine | undefined =
  engine === 'cloudsearch' ? cloudSearch() : engine === 'opensearch' ? openSearch() : undefined;

const cognitoIdentity = (identity: AppSyncResolverEvent<SearchArguments>['identity']): AppSyncIdentityCognito | null =>
  identity && 'sub' in identity && 'username' in identity ? identity : null;

/** searchNotes: the caller's own notes only, filtered inside the engine's query. */
export const handler = async (event: AppSyncResolverEvent<SearchArguments>): Promise<NoteSearchPage> => {
  const search = parseSearchArguments(event.arguments, cognitoIdentity(event.identity));
  if (!run) throw new ConfigError('Search is switched off for this backend (SEARCH_ENGINE=none).');
  const page = await run(search, typeof event.arguments.nextToken === 'string' ? event.arguments.nextToken : null);
  logger.debug('search', { found: page.total, returned: page.items.length });
  return page;
};
