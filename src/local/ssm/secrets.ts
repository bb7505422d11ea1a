import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePrivate, writePrivateFile } from '../private-files';
import type { Parameter } from './server';

/**
 * The local equivalent of the SSM parameters `ampx sandbox secret set`
 * writes: Gen 2's `secret('NAME')` becomes, in a function's environment, an
 * `AMPLIFY_SSM_ENV_CONFIG` entry `{ path: /amplify/<app>/<sandbox>/NAME,
 * sharedPath: /amplify/shared/<app>/NAME }`, which the function's unchanged
 * code resolves at init (and every minute) with SSM GetParameters. Secrets set
 * here are kept in the data folder (`secrets.json`, mode 0600) and served by
 * the local SSM under both paths, the branch path first, as in the cloud.
 */

export interface StoredSecret {
  value: string;
  version: number;
  lastUpdated: string;
}

/** A secret a function reads: from its `AMPLIFY_SSM_ENV_CONFIG`. */
export interface SecretReference {
  name: string;
  /** The function's environment variable that gets the value. */
  variable: string;
  functionName: string;
  path: string;
  sharedPath: string;
}

/** The template references a secret that is not set: the start stops with ampx's message. */
export class SecretNotSetError extends Error {
  override readonly name = 'SecretNotSetError';
}

/** The names `ampx sandbox secret set` accepts. */
export const SECRET_NAME = /^[a-zA-Z0-9_.-]+$/;

export const secretsFileOf = (dataDir: string): string => join(dataDir, 'secrets.json');

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export class LocalSecrets {
  constructor(readonly file: string) {
    makePrivate(file);
  }

  /** Read on every call: a secret set while the backend runs is served at once. */
  private read(): Map<string, StoredSecret> {
    if (!existsSync(this.file)) return new Map();
    const parsed: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
    const secrets = new Map<string, StoredSecret>();
    if (!isRecord(parsed)) return secrets;
    for (const [name, entry] of Object.entries(parsed))
      if (isRecord(entry) && typeof entry.value === 'string')
        secrets.set(name, {
          value: entry.value,
          version: Number(entry.version ?? 1),
          lastUpdated: String(entry.lastUpdated ?? ''),
        });
    return secrets;
  }

  private write(secrets: Map<string, StoredSecret>): void {
    writePrivateFile(this.file, `${JSON.stringify(Object.fromEntries(secrets), null, 2)}\n`);
  }

  list(): Array<{ name: string; version: number; lastUpdated: string }> {
    return [...this.read()].map(([name, { version, lastUpdated }]) => ({ name, version, lastUpdated }));
  }

  get(name: string): (StoredSecret & { name: string }) | undefined {
    const found = this.read().get(name);
    return found && { name, ...found };
  }

  /** Sets a secret; each set is a new version, as SSM's PutParameter with overwrite. */
  set(name: string, value: string): { name: string; version: number } {
    if (!SECRET_NAME.test(name))
      throw new Error(`Invalid secret name provided: ${name}. Use a secret name that matches [a-zA-Z0-9_.-]+`);
    const secrets = this.read();
    const version = (secrets.get(name)?.version ?? 0) + 1;
    secrets.set(name, { value, version, lastUpdated: new Date().toISOString() });
    this.write(secrets);
    return { name, version };
  }

  /** Removes one secret (false if it was not set), or every one without a name. */
  remove(name?: string): boolean {
    const secrets = this.read();
    if (name === undefined) {
      this.write(new Map());
      return true;
    }
    const had = secrets.delete(name);
    if (had) this.write(secrets);
    return had;
  }

  /** The SSM parameters for the secrets the functions read and that are set, under both of their paths. */
  parameters(references: readonly SecretReference[]): Map<string, Parameter> {
    const secrets = this.read();
    const parameters = new Map<string, Parameter>();
    for (const reference of references) {
      const secret = secrets.get(reference.name);
      if (!secret) continue;
      for (const path of [reference.path, reference.sharedPath])
        parameters.set(path, { name: path, value: secret.value, type: 'SecureString' });
    }
    return parameters;
  }

  /** Throws `SecretNotSetError`, as ampx does, for the first secret a function reads that is not set. */
  assertSet(references: readonly SecretReference[]): void {
    const secrets = this.read();
    const missing = references.find((reference) => !secrets.has(reference.name));
    if (missing)
      throw new SecretNotSetError(
        `The secret ${missing.name} specified in the backend does not exist (function ${missing.functionName} reads it as ${missing.variable}). ` +
          `Create secrets using the command \`npm run local:secret -- set ${missing.name}\` (the local \`ampx sandbox secret set\`).`,
      );
  }
}

/** The secrets a function's environment references: its `AMPLIFY_SSM_ENV_CONFIG` entries with a shared path. */
export const secretReferencesOf = (functionName: string, env: Record<string, string>): SecretReference[] => {
  const config = env.AMPLIFY_SSM_ENV_CONFIG;
  if (!config) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(config);
  } catch {
    return [];
  }
  if (!isRecord(parsed)) return [];
  return Object.entries(parsed).flatMap(([variable, paths]) => {
    // Resource references (`/amplify/resource_reference/...`) have no shared path; secrets have both.
    if (!isRecord(paths) || typeof paths.path !== 'string' || typeof paths.sharedPath !== 'string') return [];
    const name = paths.path.slice(paths.path.lastIndexOf('/') + 1);
    return [{ name, variable, functionName, path: paths.path, sharedPath: paths.sharedPath }];
  });
};
