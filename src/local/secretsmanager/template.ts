import { createHash } from 'node:crypto';
import type { CloudAssembly, FoundResource } from '../cloud/assembly';
import type { PolicyDocument } from '../iam/policy';
import { type PasswordOptions, randomPassword } from './password';

/**
 * What the templates say about secrets: the `AWS::SecretsManager::Secret`s
 * they create (a literal SecretString, or a GenerateSecretString the local
 * service generates once), and the secrets the functions' policies name
 * that no template creates (`Secret.fromSecretNameV2`: they exist only in
 * the account, so the developer sets them locally).
 */

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export interface TemplateSecret {
  logicalId: string;
  name: string;
  description?: string;
  tags: Array<{ Key: string; Value: string }>;
  /** Changes when the definition does: the secret then gets a new version, as an update of the stack gives it. */
  key: string;
  value: () => { string: string };
}

/** A secret's name as CloudFormation gives it: its Name, else one made from its logical ID. */
export const templateSecretName = (logicalId: string, properties: unknown): string =>
  isRecord(properties) && typeof properties.Name === 'string' && properties.Name.length > 0
    ? properties.Name
    : logicalId;

const bool = (value: unknown): boolean | undefined =>
  value === undefined ? undefined : value === true || value === 'true';

/** GenerateSecretString's options, as the password generator takes them. */
export const generateOptionsOf = (generate: Json): PasswordOptions => ({
  ...(generate.PasswordLength !== undefined ? { passwordLength: Number(generate.PasswordLength) } : {}),
  ...(typeof generate.ExcludeCharacters === 'string' ? { excludeCharacters: generate.ExcludeCharacters } : {}),
  excludeLowercase: bool(generate.ExcludeLowercase),
  excludeUppercase: bool(generate.ExcludeUppercase),
  excludeNumbers: bool(generate.ExcludeNumbers),
  excludePunctuation: bool(generate.ExcludePunctuation),
  includeSpace: bool(generate.IncludeSpace),
  requireEachIncludedType: bool(generate.RequireEachIncludedType),
});

/** A generated value: the password, or the template's JSON with the password under GenerateStringKey. */
export const generatedValue = (generate: Json): string => {
  const password = randomPassword(generateOptionsOf(generate));
  if (typeof generate.SecretStringTemplate !== 'string' || typeof generate.GenerateStringKey !== 'string')
    return password;
  const template: unknown = JSON.parse(generate.SecretStringTemplate);
  return JSON.stringify({ ...(isRecord(template) ? template : {}), [generate.GenerateStringKey]: password });
};

/** Why a Secret resource cannot be created as CloudFormation would, or undefined. */
export const templateSecretProblem = (found: FoundResource): string | undefined => {
  const props = found.stack.resolve(found.properties);
  if (!isRecord(props)) return undefined;
  const generate = props.GenerateSecretString;
  if (props.SecretString !== undefined && generate !== undefined)
    return 'a secret with both SecretString and GenerateSecretString (CloudFormation refuses it)';
  if (isRecord(generate)) {
    if ((generate.SecretStringTemplate === undefined) !== (generate.GenerateStringKey === undefined))
      return 'GenerateSecretString with only one of SecretStringTemplate and GenerateStringKey (CloudFormation refuses it)';
    if (typeof generate.SecretStringTemplate === 'string') {
      try {
        if (!isRecord(JSON.parse(generate.SecretStringTemplate)))
          return 'a SecretStringTemplate that is not a JSON object';
      } catch {
        return 'a SecretStringTemplate that is not JSON';
      }
    }
    try {
      randomPassword(generateOptionsOf(generate));
    } catch (error) {
      return `GenerateSecretString options no password satisfies (${error instanceof Error ? error.message : error})`;
    }
  }
  return undefined;
};

export const templateSecretsOf = (assembly: CloudAssembly): TemplateSecret[] =>
  assembly.resources('AWS::SecretsManager::Secret').map(({ logicalId, stack, properties }) => {
    const props = stack.resolve(properties);
    const record = isRecord(props) ? props : {};
    const name = templateSecretName(logicalId, record);
    const generate = isRecord(record.GenerateSecretString) ? record.GenerateSecretString : undefined;
    const literal = record.SecretString === undefined ? undefined : String(record.SecretString);
    const definition = JSON.stringify({ literal, generate });
    return {
      logicalId,
      name,
      ...(typeof record.Description === 'string' ? { description: record.Description } : {}),
      tags: Array.isArray(record.Tags)
        ? record.Tags.flatMap((t) => (isRecord(t) ? [{ Key: String(t.Key), Value: String(t.Value ?? '') }] : []))
        : [],
      key: createHash('sha256').update(definition).digest('hex'),
      // A secret with neither gets a generated password, as CloudFormation gives it.
      value: () => ({ string: literal ?? generatedValue(generate ?? {}) }),
    };
  });

/**
 * The names of the secrets the given policies grant access to by name
 * (`arn:…:secret:<name>-??????`, `arn:…:secret:<name>-*` or a full ARN),
 * without wildcards in the name itself.
 */
export const secretNamesInPolicies = (documents: readonly PolicyDocument[]): Set<string> => {
  const names = new Set<string>();
  for (const statement of documents.flatMap((d) => [d.Statement].flat())) {
    if (statement.Effect !== 'Allow') continue;
    const actions = [statement.Action ?? []].flat().map(String);
    if (!actions.some((a) => a.toLowerCase().startsWith('secretsmanager:') || a === '*')) continue;
    for (const resource of [statement.Resource ?? []].flat().map(String)) {
      const tail = /^arn:aws:secretsmanager:[^:]*:[^:]*:secret:(.+)$/.exec(resource)?.[1];
      if (!tail) continue;
      const name = tail.replace(/-(\?{6}|\*|[A-Za-z0-9]{6})$/, '');
      if (name.length > 0 && !/[*?]/.test(name)) names.add(name);
    }
  }
  return names;
};
