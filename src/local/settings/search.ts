import type { CloudAssembly } from '../cloud/assembly';
import { rolePolicies } from '../iam/roles';
import { NAMES } from './names';

/**
 * The CloudSearch domain the functions' policies name. CloudFormation has no
 * CloudSearch resource, so a backend uses an existing domain, and its role
 * policies are where the assembly names it; `local` when none does.
 */
export const searchDomainArnOf = (assembly: CloudAssembly): string => {
  for (const documents of rolePolicies(assembly).values()) {
    const arn = /arn:aws:cloudsearch:[^:"]*:[^:"]*:domain\/[a-z0-9-]+/.exec(JSON.stringify(documents))?.[0];
    if (arn) return arn;
  }
  return `arn:aws:cloudsearch:${NAMES.region}:${NAMES.accountId}:domain/local`;
};

/** The OpenSearch domain the template creates (the default search engine): its ARN with the local names. */
export const openSearchDomainArnOf = (assembly: CloudAssembly): string | undefined => {
  const domain = assembly.resources('AWS::OpenSearchService::Domain')[0];
  if (!domain) return undefined;
  const name = String(domain.stack.resolve(domain.properties.DomainName));
  return `arn:aws:es:${NAMES.region}:${NAMES.accountId}:domain/${name}`;
};
