import { randomUUID } from 'node:crypto';
import { arnTail, secretArn } from './arn';
import { invalidRequest, MARKED_FOR_DELETION, notFound, SecretsManagerError } from './errors';
import type { SecretStore, StoredSecret, StoredVersion } from './store';

/**
 * What Secrets Manager does with secrets, apart from the wire and from
 * authorization: finding a secret by name, ARN or partial ARN, versions and
 * their staging labels (AWSCURRENT moves on each new value and the one it
 * left becomes AWSPREVIOUS), deletion with a recovery window, restore.
 */

export const CURRENT = 'AWSCURRENT';
export const PREVIOUS = 'AWSPREVIOUS';

export interface SecretValue {
  string?: string;
  /** Base64. */
  binary?: string;
}

export interface EngineOptions {
  region: string;
  accountId: string;
  now?: () => number;
  /** Says how to set a secret the template references but nobody created, for its not-found message. */
  unsetHint?: (name: string) => string | undefined;
}

export class SecretsEngine {
  readonly now: () => number;

  constructor(
    readonly store: SecretStore,
    readonly options: EngineOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The name an id means: a name, a full ARN or a partial one (without the suffix). */
  private find(secrets: Map<string, StoredSecret>, id: string): StoredSecret | undefined {
    const live = (s: StoredSecret | undefined) => (s && !this.expired(s) ? s : undefined);
    const tail = arnTail(id);
    if (tail === undefined) return live(secrets.get(id));
    for (const secret of secrets.values()) if (secret.arn === id) return live(secret);
    return live(secrets.get(tail));
  }

  private expired(secret: StoredSecret): boolean {
    return secret.deletionDate !== undefined && secret.deletionDate <= this.now();
  }

  /** The ARN IAM checks a request on: the secret's, or for an unknown one the ARN it would have. */
  resourceArn(id: string): string {
    const found = this.find(this.store.read(), id);
    if (found) return found.arn;
    const tail = arnTail(id);
    if (tail !== undefined) return id;
    return secretArn(this.options.region, this.options.accountId, id);
  }

  private missing(id: string): SecretsManagerError {
    const name = arnTail(id) ?? id;
    const hint = this.options.unsetHint?.(name.replace(/-[A-Za-z0-9]{6}$/, '')) ?? this.options.unsetHint?.(name);
    return notFound(hint ? `Secrets Manager can't find the specified secret. ${hint}` : undefined);
  }

  /** A secret, also one marked for deletion; ResourceNotFoundException otherwise. */
  describe(id: string): StoredSecret {
    const found = this.find(this.store.read(), id);
    if (!found) throw this.missing(id);
    return found;
  }

  list(includePlannedDeletion = false): StoredSecret[] {
    return [...this.store.read().values()].filter(
      (s) => !this.expired(s) && (includePlannedDeletion || s.deletionDate === undefined),
    );
  }

  /** A version's value, by id or staging label (AWSCURRENT by default); touches LastAccessedDate. */
  getValue(id: string, versionId?: string, stage?: string): { secret: StoredSecret; version: StoredVersion } {
    const secrets = this.store.read();
    const secret = this.find(secrets, id);
    if (!secret) throw this.missing(id);
    if (secret.deletionDate !== undefined) throw invalidRequest(MARKED_FOR_DELETION);
    const label = stage ?? (versionId === undefined ? CURRENT : undefined);
    const version = secret.versions.find(
      (v) => (versionId === undefined || v.id === versionId) && (label === undefined || v.stages.includes(label)),
    );
    if (!version)
      throw notFound(
        versionId !== undefined
          ? `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`
          : `Secrets Manager can't find the specified secret value for staging label: ${label}`,
      );
    // As Secrets Manager, the date only (it rounds to the day): the store is written once a day per secret, not per read.
    const today = Math.floor(this.now() / 86_400_000) * 86_400_000;
    if (secret.lastAccessed !== today) {
      secret.lastAccessed = today;
      this.store.update((stored) => {
        const current = stored.get(secret.name);
        if (current) current.lastAccessed = today;
      });
    }
    return { secret, version };
  }

  create(input: {
    name: string;
    value?: SecretValue;
    versionId?: string;
    description?: string;
    kmsKeyId?: string;
    tags?: StoredSecret['tags'];
    origin?: StoredSecret['origin'];
    templateKey?: string;
    /** A stable ARN (template and developer secrets); a new random one otherwise. */
    stableArn?: boolean;
  }): { secret: StoredSecret; version?: StoredVersion } {
    return this.store.update((secrets) => {
      const existing = secrets.get(input.name);
      if (existing && !this.expired(existing)) {
        if (existing.deletionDate !== undefined)
          throw invalidRequest(
            "You can't create this secret because a secret with this name is already scheduled for deletion.",
          );
        throw new SecretsManagerError(
          'ResourceExistsException',
          `The operation failed because the secret ${input.name} already exists.`,
        );
      }
      const now = this.now();
      const suffix = input.stableArn ? undefined : randomSuffix();
      const secret: StoredSecret = {
        name: input.name,
        arn: secretArn(this.options.region, this.options.accountId, input.name, suffix),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.kmsKeyId !== undefined ? { kmsKeyId: input.kmsKeyId } : {}),
        tags: input.tags ?? [],
        created: now,
        lastChanged: now,
        versions: [],
        origin: input.origin ?? 'api',
        ...(input.templateKey !== undefined ? { templateKey: input.templateKey } : {}),
      };
      const version = input.value
        ? addVersion(secret, input.value, input.versionId ?? randomUUID(), [CURRENT], now)
        : undefined;
      secrets.set(secret.name, secret);
      return { secret, ...(version ? { version } : {}) };
    });
  }

  /**
   * A new version with the given labels (AWSCURRENT by default). The same
   * token with the same value is a no-op, as a retried call; with another
   * value it is refused.
   */
  putValue(
    id: string,
    value: SecretValue,
    versionId: string = randomUUID(),
    stages: string[] = [CURRENT],
    change?: (secret: StoredSecret) => void,
  ): { secret: StoredSecret; version: StoredVersion } {
    return this.store.update((secrets) => {
      const secret = this.find(secrets, id);
      if (!secret) throw this.missing(id);
      if (secret.deletionDate !== undefined) throw invalidRequest(MARKED_FOR_DELETION);
      change?.(secret);
      const same = secret.versions.find((v) => v.id === versionId);
      if (same) {
        if (same.string !== value.string || same.binary !== value.binary)
          throw new SecretsManagerError(
            'ResourceExistsException',
            `You can't modify an existing version, you can only create a new version. VersionId: ${versionId}`,
          );
        return { secret, version: same };
      }
      const version = addVersion(secret, value, versionId, stages, this.now());
      return { secret, version };
    });
  }

  /** Description and KMS key, and a new current value when one is given. */
  update(
    id: string,
    change: { description?: string; kmsKeyId?: string; value?: SecretValue; versionId?: string },
  ): { secret: StoredSecret; version?: StoredVersion } {
    const apply = (secret: StoredSecret) => {
      if (change.description !== undefined) secret.description = change.description;
      if (change.kmsKeyId !== undefined) secret.kmsKeyId = change.kmsKeyId;
      secret.lastChanged = this.now();
    };
    if (change.value) return this.putValue(id, change.value, change.versionId, [CURRENT], apply);
    return this.store.update((secrets) => {
      const secret = this.find(secrets, id);
      if (!secret) throw this.missing(id);
      if (secret.deletionDate !== undefined) throw invalidRequest(MARKED_FOR_DELETION);
      apply(secret);
      return { secret };
    });
  }

  /** Marks a secret for deletion after a recovery window, or deletes it at once. */
  delete(id: string, recoveryDays: number | 'now'): StoredSecret & { deletionDate: number } {
    return this.store.update((secrets) => {
      const secret = this.find(secrets, id);
      if (!secret) throw this.missing(id);
      const now = this.now();
      if (recoveryDays === 'now') {
        secrets.delete(secret.name);
        return { ...secret, deletionDate: now };
      }
      if (secret.deletionDate !== undefined) throw invalidRequest(MARKED_FOR_DELETION);
      secret.deletionDate = now + recoveryDays * 86_400_000;
      return { ...secret, deletionDate: secret.deletionDate };
    });
  }

  restore(id: string): StoredSecret {
    return this.store.update((secrets) => {
      const secret = this.find(secrets, id);
      if (!secret) throw this.missing(id);
      delete secret.deletionDate;
      return secret;
    });
  }

  /** A secret the template defines: created once, given a new version only when its definition changes. */
  ensureTemplateSecret(input: {
    name: string;
    key: string;
    value: () => SecretValue;
    description?: string;
    tags?: StoredSecret['tags'];
  }): void {
    const existing = this.store.read().get(input.name);
    if (existing && !this.expired(existing)) {
      if (existing.origin !== 'template' || existing.templateKey === input.key) return;
      this.store.update((secrets) => {
        const secret = secrets.get(input.name);
        if (!secret) return;
        secret.templateKey = input.key;
        delete secret.deletionDate;
        addVersion(secret, input.value(), randomUUID(), [CURRENT], this.now());
      });
      return;
    }
    if (existing) this.store.update((secrets) => secrets.delete(input.name));
    this.create({
      name: input.name,
      value: input.value(),
      description: input.description,
      tags: input.tags,
      origin: 'template',
      templateKey: input.key,
      stableArn: true,
    });
  }

  /** Whether a live (not expired) secret of that name exists. */
  has(name: string): boolean {
    const secret = this.store.read().get(name);
    return secret !== undefined && !this.expired(secret);
  }
}

const randomSuffix = (): string => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => alphabet[b % 62]).join('');
};

/** Adds a version with labels, moving each label off the version that had it (AWSCURRENT's old one becomes AWSPREVIOUS). */
const addVersion = (
  secret: StoredSecret,
  value: SecretValue,
  id: string,
  stages: string[],
  now: number,
): StoredVersion => {
  if (stages.includes(CURRENT)) {
    const current = secret.versions.find((v) => v.stages.includes(CURRENT));
    for (const v of secret.versions) v.stages = v.stages.filter((s) => s !== PREVIOUS);
    if (current) current.stages = [...current.stages.filter((s) => s !== CURRENT), PREVIOUS];
  }
  for (const v of secret.versions)
    v.stages = v.stages.filter((s) => s === PREVIOUS || s === CURRENT || !stages.includes(s));
  const version: StoredVersion = { id, ...value, stages: [...stages], created: now };
  secret.versions.push(version);
  // Versions without a label are deprecated; Secrets Manager keeps about 100.
  const labelled = secret.versions.filter((v) => v.stages.length > 0);
  const unlabelled = secret.versions.filter((v) => v.stages.length === 0).slice(-100);
  secret.versions = [...unlabelled, ...labelled].sort((a, b) => a.created - b.created);
  secret.lastChanged = now;
  return version;
};
