import type { CloudAssembly } from '../cloud/assembly';
import type { PolicyDocument } from '../iam/policy';
import { SecretsEngine } from './engine';
import { SecretStore } from './store';
import { secretNamesInPolicies, templateSecretsOf } from './template';

/**
 * The backend's side of the local Secrets Manager: one engine over the data
 * folder's store, the template's secrets created (or given a new version when
 * their definition changed) for each generation, and the secrets the
 * functions' policies name that nobody has set.
 */

/** How the developer sets a secret that exists only in the account. */
export const setCommand = (name: string): string => `npm run local:secret -- set --secrets-manager ${name}`;

export class LocalSecretsManagerState {
  readonly engine: SecretsEngine;
  #referenced = new Set<string>();

  constructor(file: string, names: { region: string; accountId: string }) {
    this.engine = new SecretsEngine(new SecretStore(file), {
      ...names,
      unsetHint: (name) =>
        this.#referenced.has(name)
          ? `The backend references ${name}, which exists only in the account: set it locally with \`${setCommand(name)}\`.`
          : undefined,
    });
  }

  /** Creates the assembly's secrets and returns the referenced ones that are not set. */
  apply(assembly: CloudAssembly, policies: ReadonlyMap<string, PolicyDocument[]>): string[] {
    const created = templateSecretsOf(assembly);
    for (const secret of created) this.engine.ensureTemplateSecret(secret);
    const own = new Set(created.map((s) => s.name));
    this.#referenced = new Set(
      [...secretNamesInPolicies([...policies.values()].flat())].filter((name) => !own.has(name)),
    );
    return [...this.#referenced].filter((name) => !this.engine.has(name));
  }
}
