import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makePrivate, writePrivateFile } from '../private-files';

/**
 * Where the local Secrets Manager keeps its secrets: one JSON file in the
 * data folder (`secretsmanager.json`, mode 0600), replaced whole on every
 * change. It is read again whenever the file changed, so a value the
 * developer sets with `npm run local:secret -- set --secrets-manager` while
 * the backend runs is served at once.
 */

export interface StoredVersion {
  id: string;
  string?: string;
  /** Base64. */
  binary?: string;
  stages: string[];
  /** Epoch ms. */
  created: number;
}

export interface StoredSecret {
  name: string;
  arn: string;
  description?: string;
  kmsKeyId?: string;
  tags: Array<{ Key: string; Value: string }>;
  created: number;
  lastChanged: number;
  lastAccessed?: number;
  /** When a scheduled deletion takes effect (epoch ms); set while the secret is marked for deletion. */
  deletionDate?: number;
  versions: StoredVersion[];
  /** Who made it: the template (with the key of its definition), the developer (the CLI), or a caller of the API. */
  origin: 'template' | 'developer' | 'api';
  templateKey?: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const secretsManagerFileOf = (dataDir: string): string => join(dataDir, 'secretsmanager.json');

const parse = (text: string): Map<string, StoredSecret> => {
  const parsed: unknown = JSON.parse(text);
  const secrets = new Map<string, StoredSecret>();
  if (!isRecord(parsed) || !Array.isArray(parsed.secrets)) return secrets;
  for (const entry of parsed.secrets)
    if (
      isRecord(entry) &&
      typeof entry.name === 'string' &&
      typeof entry.arn === 'string' &&
      Array.isArray(entry.versions)
    )
      secrets.set(entry.name, {
        name: entry.name,
        arn: entry.arn,
        ...(typeof entry.description === 'string' ? { description: entry.description } : {}),
        ...(typeof entry.kmsKeyId === 'string' ? { kmsKeyId: entry.kmsKeyId } : {}),
        tags: Array.isArray(entry.tags)
          ? entry.tags.flatMap((t) => (isRecord(t) ? [{ Key: String(t.Key), Value: String(t.Value ?? '') }] : []))
          : [],
        created: Number(entry.created ?? 0),
        lastChanged: Number(entry.lastChanged ?? 0),
        ...(typeof entry.lastAccessed === 'number' ? { lastAccessed: entry.lastAccessed } : {}),
        ...(typeof entry.deletionDate === 'number' ? { deletionDate: entry.deletionDate } : {}),
        versions: entry.versions.flatMap((v) =>
          isRecord(v) && typeof v.id === 'string'
            ? [
                {
                  id: v.id,
                  ...(typeof v.string === 'string' ? { string: v.string } : {}),
                  ...(typeof v.binary === 'string' ? { binary: v.binary } : {}),
                  stages: Array.isArray(v.stages) ? v.stages.map(String) : [],
                  created: Number(v.created ?? 0),
                },
              ]
            : [],
        ),
        origin: entry.origin === 'template' || entry.origin === 'developer' ? entry.origin : 'api',
        ...(typeof entry.templateKey === 'string' ? { templateKey: entry.templateKey } : {}),
      });
  return secrets;
};

export class SecretStore {
  #cache: { mtimeMs: number; size: number; secrets: Map<string, StoredSecret> } | undefined;

  constructor(readonly file: string) {
    makePrivate(file);
  }

  /** The secrets by name, as the file holds them now. */
  read(): Map<string, StoredSecret> {
    if (!existsSync(this.file)) return new Map();
    const { mtimeMs, size } = statSync(this.file);
    if (this.#cache?.mtimeMs !== mtimeMs || this.#cache.size !== size)
      this.#cache = { mtimeMs, size, secrets: parse(readFileSync(this.file, 'utf8')) };
    return structuredClone(this.#cache.secrets);
  }

  /** Reads, lets `change` edit the map, and writes it back (whole) unless `change` threw. */
  update<T>(change: (secrets: Map<string, StoredSecret>) => T): T {
    const secrets = this.read();
    const result = change(secrets);
    writePrivateFile(this.file, `${JSON.stringify({ secrets: [...secrets.values()] }, null, 2)}\n`);
    this.#cache = undefined;
    return result;
  }
}

/** The store's content with only the developer's secrets (for a reset), or undefined when there are none. */
export const keepDeveloperSecrets = (file: string): string | undefined => {
  if (!existsSync(file)) return undefined;
  let secrets: StoredSecret[];
  try {
    secrets = [...parse(readFileSync(file, 'utf8')).values()].filter((s) => s.origin === 'developer');
  } catch {
    return undefined;
  }
  return secrets.length === 0 ? undefined : `${JSON.stringify({ secrets }, null, 2)}\n`;
};
