/**
 * The client side of the local backend, for any app (in this repository or
 * outside it): copy this one file into the app. It imports only aws-amplify's
 * types, so it never loads a second copy of aws-amplify; the app passes its
 * own `Amplify`. With cloud outputs every function here changes nothing.
 */
import type { ResourcesConfig } from 'aws-amplify';

/** amplify_outputs.json, as the app imports it. */
export type AmplifyOutputs = Record<string, unknown>;

/** What this helper uses of the app's `Amplify` singleton (from `aws-amplify`). */
export interface AmplifyLike {
  configure(config: ResourcesConfig | AmplifyOutputs, libraryOptions?: Record<string, unknown>): void;
  getConfig(): ResourcesConfig;
}

/** A string the local backend wrote under `custom.local` in amplify_outputs.json, if any. */
const localEndpoint = (outputs: AmplifyOutputs, key: string): string | undefined => {
  const custom = outputs.custom;
  const local = typeof custom === 'object' && custom !== null && 'local' in custom ? custom.local : undefined;
  const value = typeof local === 'object' && local !== null && key in local ? Reflect.get(local, key) : undefined;
  return typeof value === 'string' ? value : undefined;
};

/**
 * `config` (what `Amplify.getConfig()` returns after `Amplify.configure(outputs)`)
 * with the local user-pool and identity-pool endpoints. amplify_outputs.json
 * has no field for them, so the local backend writes them under
 * `custom.local.user_pool_endpoint` and `identity_pool_endpoint`.
 */
export const withLocalEndpoints = (config: ResourcesConfig, outputs: AmplifyOutputs): ResourcesConfig => {
  const userPoolEndpoint = localEndpoint(outputs, 'user_pool_endpoint');
  const identityPoolEndpoint = localEndpoint(outputs, 'identity_pool_endpoint');
  if (!config.Auth?.Cognito || (!userPoolEndpoint && !identityPoolEndpoint)) return config;
  const local = structuredClone(config);
  const cognito = local.Auth?.Cognito;
  if (cognito && userPoolEndpoint) Object.assign(cognito, { userPoolEndpoint });
  if (cognito && identityPoolEndpoint) Object.assign(cognito, { identityPoolEndpoint });
  return local;
};

/**
 * Configures the app's Amplify from amplify_outputs.json, local or cloud:
 * `configureLocal(Amplify, outputs)` in place of `Amplify.configure(outputs)`.
 */
export const configureLocal = (
  amplify: AmplifyLike,
  outputs: AmplifyOutputs,
  libraryOptions?: Record<string, unknown>,
): void => {
  amplify.configure(outputs, libraryOptions);
  const config = amplify.getConfig();
  const local = withLocalEndpoints(config, outputs);
  if (local !== config) amplify.configure(local, libraryOptions);
};

/**
 * Options to spread into every Amplify Storage call so that it reaches the
 * local S3 endpoint: `downloadData({ path, options: { ...localStorageOptions(outputs) } })`.
 * Amplify Storage reads `customEndpoint` from a call's options at runtime,
 * though its public types omit it, hence the opaque type. With cloud outputs
 * it is empty.
 */
export const localStorageOptions = (outputs: AmplifyOutputs): Record<never, never> => {
  const endpoint = localEndpoint(outputs, 'storage_endpoint');
  return endpoint ? { customEndpoint: endpoint } : {};
};
