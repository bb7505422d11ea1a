import type { CloudAssembly } from '../cloud/assembly';
import { rolePolicies } from '../iam/roles';
import { isRecord, NAMES } from './names';
import { UnsupportedFeatureError } from './unsupported';

const CLOUDSEARCH_ENDPOINTS = ['CLOUDSEARCH_DOCUMENT_ENDPOINT', 'CLOUDSEARCH_SEARCH_ENDPOINT'];
const TEXT_TYPES = new Set(['text', 'text-array']);

export interface CloudSearchSettings {
  /** The domain's ARN, as the functions' policies name it. */
  arn: string;
  /** The domain's text fields, which a simple query searches. */
  textFields: string[];
}

/**
 * The CloudSearch domain the functions use, or undefined when none does.
 * CloudFormation has no CloudSearch resource: a backend uses an existing
 * domain, its role policies name the domain, and the functions' environment
 * carries its endpoints and its index fields (`CLOUDSEARCH_INDEX_FIELDS`, a
 * JSON array of `{ name, type }`). A domain whose fields the assembly does not
 * give stops the start.
 */
export const cloudSearchOf = (assembly: CloudAssembly): CloudSearchSettings | undefined => {
  const users: string[] = [];
  const fields = new Set<string>();
  for (const { logicalId, stack, properties } of assembly.resources('AWS::Lambda::Function')) {
    const environment = stack.resolve(properties.Environment);
    const variables = isRecord(environment) && isRecord(environment.Variables) ? environment.Variables : {};
    if (!CLOUDSEARCH_ENDPOINTS.some((name) => name in variables)) continue;
    users.push(`${stack.path}/${logicalId}`);
    const declared: unknown =
      typeof variables.CLOUDSEARCH_INDEX_FIELDS === 'string' ? JSON.parse(variables.CLOUDSEARCH_INDEX_FIELDS) : [];
    for (const field of Array.isArray(declared) ? declared : [])
      if (isRecord(field) && TEXT_TYPES.has(String(field.type))) fields.add(String(field.name));
  }
  let arn: string | undefined;
  for (const documents of rolePolicies(assembly).values()) {
    arn ??= /arn:aws:cloudsearch:[^:"]*:[^:"]*:domain\/[a-z0-9-]+/.exec(JSON.stringify(documents))?.[0];
  }
  if (users.length === 0 && !arn) return undefined;
  if (fields.size === 0)
    throw new UnsupportedFeatureError(
      (users.length ? users : ['a role policy']).map((resource) => ({
        feature:
          'a CloudSearch domain whose text fields the assembly does not give (set CLOUDSEARCH_INDEX_FIELDS, a JSON array of { name, type }, on the functions that use it)',
        resource,
      })),
    );
  return { arn: arn ?? `arn:aws:cloudsearch:${NAMES.region}:${NAMES.accountId}:domain/local`, textFields: [...fields] };
};

/** The OpenSearch domain the template creates (the default search engine): its ARN with the local names. */
export const openSearchDomainArnOf = (assembly: CloudAssembly): string | undefined => {
  const domain = assembly.resources('AWS::OpenSearchService::Domain')[0];
  if (!domain) return undefined;
  const name = String(domain.stack.resolve(domain.properties.DomainName));
  return `arn:aws:es:${NAMES.region}:${NAMES.accountId}:domain/${name}`;
};
