/**
 * Prints the AWS CLI commands that give an existing CloudSearch domain the
 * index fields the indexer and search functions use (NOTE_INDEX_FIELDS).
 * CloudFormation has no CloudSearch resource, so this is a one-off per domain.
 *
 *   npm run search:fields -- notes
 */
import { NOTE_INDEX_FIELDS } from '../amplify/custom/search-domain';

const domain = process.argv[2] ?? process.env.CLOUDSEARCH_DOMAIN_NAME ?? 'notes';
if (!/^[a-z][a-z0-9-]{2,27}$/.test(domain)) {
  console.error(
    `"${domain}" is not a CloudSearch domain name (3-28 characters: a-z, 0-9, hyphen; starting with a letter).`,
  );
  process.exit(1);
}

const optionsKey = (type: string): string => `${type[0]?.toUpperCase() ?? ''}${type.slice(1)}Options`;

for (const field of NOTE_INDEX_FIELDS) {
  const { name, type, ...flags } = field;
  const options = Object.entries(flags)
    .map(([key, value]) => `${key[0]?.toUpperCase() ?? ''}${key.slice(1)}Enabled=${String(value)}`)
    .join(',');
  console.log(
    `aws cloudsearch define-index-field --domain-name ${domain} --name ${name} --type ${type}` +
      (options
        ? ` --${optionsKey(type)
            .replace(/([A-Z])/g, '-$1')
            .toLowerCase()
            .replace(/^-/, '')} ${options}`
        : ''),
  );
}
console.log(`aws cloudsearch index-documents --domain-name ${domain}`);
