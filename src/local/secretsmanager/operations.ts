import { randomUUID } from 'node:crypto';
import { CURRENT, type SecretsEngine, type SecretValue } from './engine';
import { invalidParameter, invalidRequest, SecretsManagerError } from './errors';
import { PasswordOptionsError, randomPassword } from './password';
import type { StoredSecret, StoredVersion } from './store';

/**
 * Secrets Manager's operations: each checks its input as the service does
 * (ValidationException for the model's constraints, InvalidParameterException
 * and InvalidRequestException for the rest), asks IAM for its action on the
 * secret's ARN, then calls the engine and shapes the answer.
 */

type Json = Record<string, unknown>;

export interface OperationContext {
  engine: SecretsEngine;
  /** Throws AccessDeniedException unless the caller may perform the action on the resource. */
  allow(action: string, resource: string): void;
  /** The decision alone, for BatchGetSecretValue's per-secret errors. */
  allowed(action: string, resource: string): boolean;
}

const validation = (message: string) =>
  new SecretsManagerError('ValidationException', `1 validation error detected: ${message}`);

const optionalString = (input: Json, member: string, min: number, max: number): string | undefined => {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new SecretsManagerError('SerializationException', `${member} must be a string.`);
  if (value.length < min)
    throw validation(
      `Value at '${camel(member)}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`,
    );
  if (value.length > max)
    throw validation(
      `Value at '${camel(member)}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  return value;
};

const requiredString = (input: Json, member: string, min: number, max: number): string => {
  const value = optionalString(input, member, min, max);
  if (value === undefined)
    throw validation(`Value null at '${camel(member)}' failed to satisfy constraint: Member must not be null`);
  return value;
};

const optionalBoolean = (input: Json, member: string): boolean | undefined => {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean')
    throw new SecretsManagerError('SerializationException', `${member} must be a boolean.`);
  return value;
};

const optionalInteger = (input: Json, member: string, min: number, max: number): number | undefined => {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new SecretsManagerError('SerializationException', `${member} must be an integer.`);
  if (value < min || value > max)
    throw validation(
      `Value '${value}' at '${camel(member)}' failed to satisfy constraint: Member must have value between ${min} and ${max}`,
    );
  return value;
};

const camel = (member: string): string => member.charAt(0).toLowerCase() + member.slice(1);

const secretId = (input: Json): string => requiredString(input, 'SecretId', 1, 2048);

const NAME = /^[A-Za-z0-9/_+=.@-]+$/;

const secretValueOf = (input: Json): SecretValue | undefined => {
  const string = optionalString(input, 'SecretString', 0, 65_536);
  const binary = input.SecretBinary;
  if (string !== undefined && binary !== undefined && binary !== null)
    throw invalidParameter(
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  if (binary !== undefined && binary !== null) {
    if (typeof binary !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(binary))
      throw new SecretsManagerError('SerializationException', 'SecretBinary must be base64-encoded.');
    if (Buffer.from(binary, 'base64').length > 65_536)
      throw validation(
        "Value at 'secretBinary' failed to satisfy constraint: Member must have length less than or equal to 65536",
      );
    return { binary };
  }
  return string === undefined ? undefined : { string };
};

const token = (input: Json): string | undefined => optionalString(input, 'ClientRequestToken', 32, 64);

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

const stagesOf = (secret: StoredSecret): Record<string, string[]> =>
  Object.fromEntries(secret.versions.filter((v) => v.stages.length > 0).map((v) => [v.id, v.stages]));

const described = (secret: StoredSecret) => ({
  ARN: secret.arn,
  Name: secret.name,
  ...(secret.description !== undefined ? { Description: secret.description } : {}),
  ...(secret.kmsKeyId !== undefined ? { KmsKeyId: secret.kmsKeyId } : {}),
  RotationEnabled: false,
  LastChangedDate: seconds(secret.lastChanged),
  ...(secret.lastAccessed !== undefined ? { LastAccessedDate: seconds(secret.lastAccessed) } : {}),
  ...(secret.deletionDate !== undefined ? { DeletedDate: seconds(secret.deletionDate) } : {}),
  ...(secret.tags.length > 0 ? { Tags: secret.tags } : {}),
  CreatedDate: seconds(secret.created),
});

const valueShape = (secret: StoredSecret, version: StoredVersion) => ({
  ARN: secret.arn,
  Name: secret.name,
  VersionId: version.id,
  ...(version.string !== undefined ? { SecretString: version.string } : {}),
  ...(version.binary !== undefined ? { SecretBinary: version.binary } : {}),
  VersionStages: version.stages,
  CreatedDate: seconds(version.created),
});

const tagsOf = (input: Json): StoredSecret['tags'] | undefined => {
  const tags = input.Tags;
  if (tags === undefined || tags === null) return undefined;
  if (!Array.isArray(tags)) throw new SecretsManagerError('SerializationException', 'Tags must be a list.');
  return tags.map((t) => {
    if (typeof t !== 'object' || t === null || typeof t.Key !== 'string' || typeof (t.Value ?? '') !== 'string')
      throw invalidParameter('Each tag must have a string Key and Value.');
    return { Key: t.Key, Value: String(t.Value ?? '') };
  });
};

interface Filter {
  key: string;
  values: string[];
}

const FILTER_KEYS = new Set(['description', 'name', 'tag-key', 'tag-value', 'primary-region', 'owning-service', 'all']);

const filtersOf = (input: Json): Filter[] => {
  const filters = input.Filters;
  if (filters === undefined || filters === null) return [];
  if (!Array.isArray(filters) || filters.length > 10)
    throw validation(
      "Value at 'filters' failed to satisfy constraint: Member must have length less than or equal to 10",
    );
  return filters.map((f) => {
    const key = typeof f === 'object' && f !== null ? f.Key : undefined;
    const values = typeof f === 'object' && f !== null ? f.Values : undefined;
    if (typeof key !== 'string' || !FILTER_KEYS.has(key))
      throw validation(
        `Value '${String(key)}' at 'filters.1.member.key' failed to satisfy constraint: Member must satisfy enum value set: [${[...FILTER_KEYS].join(', ')}]`,
      );
    if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'string'))
      throw invalidParameter('Invalid filter values: each filter needs 1 to 10 string values.');
    return { key, values: values.map(String) };
  });
};

/** ListSecrets' filters: a value is a case-insensitive prefix of a word; `!` negates it. */
const matches = (secret: StoredSecret, filters: Filter[]): boolean =>
  filters.every(({ key, values }) =>
    values.some((raw) => {
      const negated = raw.startsWith('!');
      const wanted = (negated ? raw.slice(1) : raw).toLowerCase();
      const fields =
        key === 'name'
          ? [secret.name]
          : key === 'description'
            ? [secret.description ?? '']
            : key === 'tag-key'
              ? secret.tags.map((t) => t.Key)
              : key === 'tag-value'
                ? secret.tags.map((t) => t.Value)
                : key === 'all'
                  ? [secret.name, secret.description ?? '', ...secret.tags.flatMap((t) => [t.Key, t.Value])]
                  : [];
      const hit = fields.some((field) => field.toLowerCase().startsWith(wanted));
      return negated ? !hit : hit;
    }),
  );

const page = <T>(items: T[], input: Json, maxDefault: number, maxLimit: number) => {
  const max = optionalInteger(input, 'MaxResults', 1, maxLimit) ?? maxDefault;
  const next = optionalString(input, 'NextToken', 1, 4096);
  const start = next === undefined ? 0 : Number(Buffer.from(next, 'base64url').toString('utf8'));
  if (!Number.isInteger(start) || start < 0 || start > items.length)
    throw invalidParameter('The NextToken value is invalid.');
  const end = start + max;
  return {
    items: items.slice(start, end),
    ...(end < items.length ? { NextToken: Buffer.from(String(end)).toString('base64url') } : {}),
  };
};

type Operation = (context: OperationContext, input: Json) => unknown;

export const OPERATIONS: Record<string, Operation> = {
  GetSecretValue: ({ engine, allow }, input) => {
    const id = secretId(input);
    const versionId = optionalString(input, 'VersionId', 32, 64);
    const stage = optionalString(input, 'VersionStage', 1, 256);
    allow('secretsmanager:GetSecretValue', engine.resourceArn(id));
    const { secret, version } = engine.getValue(id, versionId, stage);
    return valueShape(secret, version);
  },

  BatchGetSecretValue: ({ engine, allow, allowed }, input) => {
    const ids = input.SecretIdList;
    const filters = filtersOf(input);
    if (ids !== undefined && ids !== null && filters.length > 0)
      throw invalidParameter('Either SecretIdList or Filters must be provided, not both.');
    allow('secretsmanager:BatchGetSecretValue', '*');
    const errors: Json[] = [];
    const values: Json[] = [];
    const read = (id: string) => {
      try {
        if (!allowed('secretsmanager:GetSecretValue', engine.resourceArn(id)))
          throw new SecretsManagerError('AccessDeniedException', `Access to ${id} is not allowed.`);
        const { secret, version } = engine.getValue(id);
        values.push(valueShape(secret, version));
      } catch (error) {
        if (!(error instanceof SecretsManagerError)) throw error;
        errors.push({ SecretId: id, ErrorCode: error.type, Message: error.message });
      }
    };
    if (ids !== undefined && ids !== null) {
      if (
        !Array.isArray(ids) ||
        ids.length === 0 ||
        ids.length > 20 ||
        ids.some((i) => typeof i !== 'string' || i.length === 0)
      )
        throw invalidParameter('SecretIdList must list 1 to 20 secret IDs.');
      if (input.MaxResults !== undefined) throw invalidParameter('MaxResults is only valid with Filters.');
      for (const id of ids) read(String(id));
      return { SecretValues: values, Errors: errors };
    }
    if (filters.length === 0) throw invalidParameter('Either SecretIdList or Filters must be provided.');
    const found = page(
      engine.list().filter((s) => matches(s, filters)),
      input,
      20,
      20,
    );
    for (const secret of found.items) read(secret.arn);
    return { SecretValues: values, Errors: errors, ...(found.NextToken ? { NextToken: found.NextToken } : {}) };
  },

  DescribeSecret: ({ engine, allow }, input) => {
    const id = secretId(input);
    allow('secretsmanager:DescribeSecret', engine.resourceArn(id));
    const secret = engine.describe(id);
    return { ...described(secret), VersionIdsToStages: stagesOf(secret) };
  },

  ListSecrets: ({ engine, allow }, input) => {
    const filters = filtersOf(input);
    const include = optionalBoolean(input, 'IncludePlannedDeletion') ?? false;
    const order = input.SortOrder;
    if (order !== undefined && order !== 'asc' && order !== 'desc')
      throw validation(
        `Value '${String(order)}' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [asc, desc]`,
      );
    allow('secretsmanager:ListSecrets', '*');
    const all = engine
      .list(include)
      .filter((s) => matches(s, filters))
      .sort((a, b) => (order === 'asc' ? a.created - b.created : b.created - a.created));
    const { items, NextToken } = page(all, input, 100, 100);
    return {
      SecretList: items.map((s) => ({ ...described(s), SecretVersionsToStages: stagesOf(s) })),
      ...(NextToken ? { NextToken } : {}),
    };
  },

  CreateSecret: ({ engine, allow }, input) => {
    const name = requiredString(input, 'Name', 1, 512);
    if (!NAME.test(name))
      throw invalidParameter(
        'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
      );
    const versionId = token(input) ?? randomUUID();
    const description = optionalString(input, 'Description', 0, 2048);
    const kmsKeyId = optionalString(input, 'KmsKeyId', 0, 2048);
    const value = secretValueOf(input);
    const tags = tagsOf(input);
    allow('secretsmanager:CreateSecret', engine.resourceArn(name));
    const { secret, version } = engine.create({ name, value, versionId, description, kmsKeyId, tags });
    return { ARN: secret.arn, Name: secret.name, ...(version ? { VersionId: version.id } : {}) };
  },

  PutSecretValue: ({ engine, allow }, input) => {
    const id = secretId(input);
    const versionId = token(input);
    const value = secretValueOf(input);
    const stages = input.VersionStages;
    if (
      stages !== undefined &&
      (!Array.isArray(stages) ||
        stages.length === 0 ||
        stages.length > 20 ||
        stages.some((s) => typeof s !== 'string' || s.length === 0 || s.length > 256))
    )
      throw validation(
        "Value at 'versionStages' failed to satisfy constraint: Member must have length between 1 and 20",
      );
    if (!value) throw invalidParameter('You must provide either SecretString or SecretBinary.');
    allow('secretsmanager:PutSecretValue', engine.resourceArn(id));
    const { secret, version } = engine.putValue(
      id,
      value,
      versionId,
      stages === undefined ? [CURRENT] : stages.map(String),
    );
    return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: version.stages };
  },

  UpdateSecret: ({ engine, allow }, input) => {
    const id = secretId(input);
    const versionId = token(input);
    const description = optionalString(input, 'Description', 0, 2048);
    const kmsKeyId = optionalString(input, 'KmsKeyId', 0, 2048);
    const value = secretValueOf(input);
    allow('secretsmanager:UpdateSecret', engine.resourceArn(id));
    const { secret, version } = engine.update(id, { description, kmsKeyId, value, versionId });
    return { ARN: secret.arn, Name: secret.name, ...(version ? { VersionId: version.id } : {}) };
  },

  DeleteSecret: ({ engine, allow }, input) => {
    const id = secretId(input);
    const window = optionalInteger(input, 'RecoveryWindowInDays', -Infinity, Infinity);
    const force = optionalBoolean(input, 'ForceDeleteWithoutRecovery') ?? false;
    if (force && window !== undefined)
      throw invalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
    if (window !== undefined && (window < 7 || window > 30))
      throw invalidParameter('The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
    allow('secretsmanager:DeleteSecret', engine.resourceArn(id));
    const deleted = engine.delete(id, force ? 'now' : (window ?? 30));
    return { ARN: deleted.arn, Name: deleted.name, DeletionDate: seconds(deleted.deletionDate) };
  },

  RestoreSecret: ({ engine, allow }, input) => {
    const id = secretId(input);
    allow('secretsmanager:RestoreSecret', engine.resourceArn(id));
    const secret = engine.restore(id);
    return { ARN: secret.arn, Name: secret.name };
  },

  GetRandomPassword: ({ allow }, input) => {
    const options = {
      passwordLength: optionalInteger(input, 'PasswordLength', 1, 4096),
      excludeCharacters: optionalString(input, 'ExcludeCharacters', 0, 4096),
      excludeNumbers: optionalBoolean(input, 'ExcludeNumbers'),
      excludePunctuation: optionalBoolean(input, 'ExcludePunctuation'),
      excludeUppercase: optionalBoolean(input, 'ExcludeUppercase'),
      excludeLowercase: optionalBoolean(input, 'ExcludeLowercase'),
      includeSpace: optionalBoolean(input, 'IncludeSpace'),
      requireEachIncludedType: optionalBoolean(input, 'RequireEachIncludedType'),
    };
    allow('secretsmanager:GetRandomPassword', '*');
    try {
      return { RandomPassword: randomPassword(options) };
    } catch (error) {
      if (error instanceof PasswordOptionsError) throw invalidRequest(error.message);
      throw error;
    }
  },
};
