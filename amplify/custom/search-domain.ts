import { Aws } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { SearchConfig } from './config';
import type { DeploymentType } from './data-protection';
import { OPENSEARCH_INDEX, OpenSearchNotes } from './opensearch-domain';

/**
 * The notes domain's index fields. CloudFormation has no CloudSearch
 * resource and the service takes no new customers, so a CloudSearch backend
 * uses an existing domain, named by configuration, whose fields must be these
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

/** The CloudSearch domain's ARN, in the domain's own region (the stack's when the endpoints do not say). */
export const searchDomainArn = (domainName: string, region?: string): string =>
  `arn:${Aws.PARTITION}:cloudsearch:${region ?? Aws.REGION}:${Aws.ACCOUNT_ID}:domain/${domainName}`;

export interface SearchFunction {
  fn: IFunction;
  addEnvironment(name: string, value: string): void;
}

export interface SearchFunctions {
  indexer: SearchFunction;
  search: SearchFunction;
}

/**
 * Points the indexer and search functions at the configured engine, each with
 * only the access it needs. `SEARCH_ENGINE` tells the functions which adapter
 * to use; `none` makes the indexer acknowledge records without indexing and
 * searchNotes answer with an error that says search is off.
 */
export const connectSearch = (
  scope: Construct,
  config: SearchConfig,
  functions: SearchFunctions,
  deployment: { type: DeploymentType; backendName: string },
): OpenSearchNotes | undefined => {
  for (const target of [functions.indexer, functions.search]) target.addEnvironment('SEARCH_ENGINE', config.engine);
  if (config.engine === 'cloudsearch') {
    connectCloudSearch(config, functions);
    return undefined;
  }
  if (config.engine === 'none') return undefined;
  const { indexer, search } = functions;
  if (!indexer.fn.role || !search.fn.role) throw new Error('the indexer and search functions need their own roles');
  const domain = new OpenSearchNotes(scope, 'NotesSearch', {
    type: deployment.type,
    backendName: deployment.backendName,
    instanceType: config.instanceType,
    writer: indexer.fn.role,
    reader: search.fn.role,
  });
  for (const target of [indexer, search]) {
    target.addEnvironment('OPENSEARCH_ENDPOINT', domain.endpoint);
    target.addEnvironment('OPENSEARCH_INDEX', OPENSEARCH_INDEX);
    target.addEnvironment('SEARCH_REGION', Aws.REGION);
  }
  return domain;
};

const connectCloudSearch = (
  config: Extract<SearchConfig, { engine: 'cloudsearch' }>,
  functions: SearchFunctions,
): void => {
  const arn = searchDomainArn(config.domainName, config.region);
  // The domain's fields, in the template: CloudFormation has no CloudSearch resource to carry them (the local mode indexes these).
  const fields = JSON.stringify(NOTE_INDEX_FIELDS.map(({ name, type }) => ({ name, type })));
  for (const target of [functions.indexer, functions.search]) {
    target.addEnvironment('SEARCH_REGION', config.region ?? Aws.REGION);
    target.addEnvironment('CLOUDSEARCH_INDEX_FIELDS', fields);
  }
  functions.indexer.addEnvironment('CLOUDSEARCH_DOCUMENT_ENDPOINT', config.documentEndpoint);
  functions.indexer.fn.addToRolePolicy(
    new PolicyStatement({ effect: Effect.ALLOW, actions: ['cloudsearch:document'], resources: [arn] }),
  );
  functions.search.addEnvironment('CLOUDSEARCH_SEARCH_ENDPOINT', config.searchEndpoint);
  functions.search.fn.addToRolePolicy(
    new PolicyStatement({ effect: Effect.ALLOW, actions: ['cloudsearch:search'], resources: [arn] }),
  );
};
