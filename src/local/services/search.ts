import { join } from 'node:path';
import { startLocalOpenSearch } from '../search/opensearch';
import { startLocalSearch } from '../search/server';
import type { ServiceContext } from './context';
import { accessOf } from './context';
import { serviceOf } from './registry';

/** A CloudSearch domain's document and search endpoints. */
export const cloudSearchService = (context: ServiceContext, domain: { arn: string; textFields: string[] }) =>
  serviceOf(
    'cloudsearch',
    () =>
      startLocalSearch({
        textFields: domain.textFields,
        file: join(context.dataDir, 'search', 'documents.json'),
        port: context.ports.search,
        access: { domainArn: domain.arn, ...accessOf(context.credentials) },
      }),
    { stop: (search) => search.close(), info: ({ url }) => ({ url }) },
  );

/** The OpenSearch domain the template creates, over the same local engine. */
export const openSearchService = (context: ServiceContext, domainArn: string) =>
  serviceOf(
    'opensearch',
    () =>
      startLocalOpenSearch({
        port: context.ports.opensearch,
        file: join(context.dataDir, 'search', 'opensearch.json'),
        access: { domainArn, ...accessOf(context.credentials) },
      }),
    { stop: (search) => search.close(), info: ({ url }) => ({ url }) },
  );
