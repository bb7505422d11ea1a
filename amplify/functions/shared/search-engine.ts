import { ConfigError } from './errors';

export type SearchEngine = 'cloudsearch' | 'opensearch' | 'none';

/**
 * The engine the backend configured (`SEARCH_ENGINE`, set by
 * amplify/custom/search-domain.ts). A function deployed before the variable
 * existed has CloudSearch endpoints only, so their presence means CloudSearch.
 */
export const searchEngineOf = (env: Record<string, string | undefined>): SearchEngine => {
  const value = env.SEARCH_ENGINE;
  if (value === 'cloudsearch' || value === 'opensearch' || value === 'none') return value;
  if (value)
    throw new ConfigError(`SEARCH_ENGINE=${JSON.stringify(value)} is not one of cloudsearch, opensearch, none.`);
  return env.CLOUDSEARCH_DOCUMENT_ENDPOINT || env.CLOUDSEARCH_SEARCH_ENDPOINT ? 'cloudsearch' : 'none';
};
