import type { ResourcesConfig } from 'aws-amplify';
import { parseAmplifyConfig } from 'aws-amplify/utils';

type Outputs = Parameters<typeof parseAmplifyConfig>[0];

/** A string the local backend wrote under `custom.local` in amplify_outputs.json, if any. */
const localEndpoint = (outputs: Outputs, key: string): string | undefined => {
  const custom =
    'custom' in outputs && typeof outputs.custom === 'object' && outputs.custom !== null ? outputs.custom : {};
  const local = 'local' in custom && typeof custom.local === 'object' && custom.local !== null ? custom.local : {};
  const value = key in local ? (local as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' ? value : undefined;
};

/**
 * The one helper an app needs to use the local backend:
 * `Amplify.configure(withLocalEndpoints(outputs))`. amplify_outputs.json has
 * no field for a user-pool endpoint, so the local backend writes it under
 * `custom.local.user_pool_endpoint` (and the identity pool's under
 * `identity_pool_endpoint`) and this copies them into the client's
 * configuration. With cloud outputs it changes nothing.
 */
export const withLocalEndpoints = (outputs: Outputs): ResourcesConfig => {
  const config = parseAmplifyConfig(outputs);
  const cognito = config.Auth?.Cognito;
  const userPoolEndpoint = localEndpoint(outputs, 'user_pool_endpoint');
  const identityPoolEndpoint = localEndpoint(outputs, 'identity_pool_endpoint');
  if (cognito && userPoolEndpoint) Object.assign(cognito, { userPoolEndpoint });
  if (cognito && identityPoolEndpoint) Object.assign(cognito, { identityPoolEndpoint });
  return config;
};

/**
 * Options to spread into every Amplify Storage call so that it reaches the
 * local S3 endpoint: `downloadData({ path, options: { ...localStorageOptions(outputs) } })`.
 * Amplify Storage reads `customEndpoint` from a call's options at runtime,
 * though its public types omit it, hence the opaque type. With cloud outputs
 * it is empty.
 */
export const localStorageOptions = (outputs: Outputs): Record<never, never> => {
  const endpoint = localEndpoint(outputs, 'storage_endpoint');
  return endpoint ? { customEndpoint: endpoint } : {};
};
