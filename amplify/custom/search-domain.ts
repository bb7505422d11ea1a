import { Aws } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { BackendConfig } from './config';

/**
 * The notes domain's index fields. CloudFormation has no CloudSearch
 * resource and the service takes no new customers, so the backend uses an
 * existing domain, named by configuration, whose fields must be these
 * (`npm run search:fields` prints the commands that define them). The local
 * search engine indexes the same fields.
 */
export const NOTE_INDEX_FIELDS = [
  { name: 'owner', type: 'literal', search: true, facet: false, return: false, sort: false },
  { name: 'headline', type: 'text', return: true, sort: true, highlight: true },
  { name: 'text', type: 'text', return: true, sort: false, highlight: true },
  { name: 'photo_key', type: 'literal', search: false, facet: false, return: true, sort: false },
  { name: 'created_at', type: 'date', search: true, facet: false, return: true, sort: true },
  { name: 'updated_at', type: 'date', search: true, facet: false, return: true, sort: true },
] as const;

export const searchDomainArn = (domainName: string): string =>
  `arn:${Aws.PARTITION}:cloudsearch:${Aws.REGION}:${Aws.ACCOUNT_ID}:domain/${domainName}`;

/** Points the indexer and search functions at the configured domain, each with only the action it needs. */
export const connectSearchDomain = (
  config: BackendConfig['search'],
  functions: {
    indexer: { fn: IFunction; addEnvironment(name: string, value: string): void };
    search: { fn: IFunction; addEnvironment(name: string, value: string): void };
  },
): void => {
  const arn = searchDomainArn(config.domainName);
  functions.indexer.addEnvironment('CLOUDSEARCH_DOCUMENT_ENDPOINT', config.documentEndpoint);
  functions.indexer.fn.addToRolePolicy(
    new PolicyStatement({ effect: Effect.ALLOW, actions: ['cloudsearch:document'], resources: [arn] }),
  );
  functions.search.addEnvironment('CLOUDSEARCH_SEARCH_ENDPOINT', config.searchEndpoint);
  functions.search.fn.addToRolePolicy(
    new PolicyStatement({ effect: Effect.ALLOW, actions: ['cloudsearch:search'], resources: [arn] }),
  );
};
