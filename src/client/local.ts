import type { ResourcesConfig } from 'aws-amplify';
import { parseAmplifyConfig } from 'aws-amplify/utils';

type Outputs = Parameters<typeof parseAmplifyConfig>[0];

/**
 * The one helper an app needs to use the local backend:
 * `Amplify.configure(withLocalEndpoints(outputs))`. amplify_outputs.json has
 * no field for a user-pool endpoint, so the local backend writes it under
 * `custom.local.user_pool_endpoint` and this copies it into the client's
 * configuration. With cloud outputs it changes nothing.
 */
export const withLocalEndpoints = (outputs: Outputs): ResourcesConfig => {
  const config = parseAmplifyConfig(outputs);
  const custom =
    'custom' in outputs && typeof outputs.custom === 'object' && outputs.custom !== null ? outputs.custom : {};
  const local = 'local' in custom && typeof custom.local === 'object' && custom.local !== null ? custom.local : {};
  const endpoint =
    'user_pool_endpoint' in local && typeof local.user_pool_endpoint === 'string'
      ? local.user_pool_endpoint
      : undefined;
  const cognito = config.Auth?.Cognito;
  if (endpoint && cognito) Object.assign(cognito, { userPoolEndpoint: endpoint });
  return config;
};
