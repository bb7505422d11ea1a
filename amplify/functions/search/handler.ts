import { Logger } from '@aws-lambda-powertools/logger';
import { CloudSearchDomainClient, SearchCommand } from '@aws-sdk/client-cloudsearch-domain';
import type { AppSyncIdentityCognito, AppSyncResolverEvent } from 'aws-lambda';
import { requireEnv } from '../shared/errors';
import { buildSearchRequest, type NoteSearchPage, type SearchArguments, toSearchPage } from './core';

const logger = new Logger({ serviceName: 'search' });
const client = new CloudSearchDomainClient({ endpoint: requireEnv(process.env, 'CLOUDSEARCH_SEARCH_ENDPOINT') });

const cognitoIdentity = (identity: AppSyncResolverEvent<SearchArguments>['identity']): AppSyncIdentityCognito | null =>
  identity && 'sub' in identity && 'username' in identity ? identity : null;

/** searchNotes: the caller's own notes only, filtered inside the CloudSearch query. */
export const handler = async (event: AppSyncResolverEvent<SearchArguments>): Promise<NoteSearchPage> => {
  const request = buildSearchRequest(event.arguments, cognitoIdentity(event.identity));
  const response = await client.send(new SearchCommand(request));
  const page = toSearchPage(response, typeof event.arguments.nextToken === 'string' ? event.arguments.nextToken : null);
  logger.debug('search', { found: page.total, returned: page.items.length });
  return page;
};
