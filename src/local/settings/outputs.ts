import type { ClientConfig } from '@aws-amplify/client-config';
import { isRecord } from './names';

/**
 * amplify_outputs.json for the local backend: what ampx would write for the
 * assembly (`assemblyClientConfig`), pointed at the local GraphQL server, plus
 * the local endpoints under `custom.local` beside the app's own custom outputs.
 */
export const localOutputs = (
  config: ClientConfig,
  local: {
    graphqlUrl: string;
    userPoolEndpoint: string;
    identityPool: boolean;
    storageEndpoint: string | undefined;
    caFile: string;
    outbox: string;
    adminCredentialsFile: string;
    /** The local stand-in for the API's OIDC provider, when it has one. */
    oidcIssuer?: string;
    sqsEndpoint?: string;
    snsEndpoint?: string;
    /** Where SNS deliveries to email, SMS and http(s) subscriptions are written. */
    snsOutbox?: string;
    /** The local hosted UI (`127.0.0.1:<port>`), in place of `<prefix>.auth.<region>.amazoncognito.com`. */
    oauthDomain?: string;
  },
): Record<string, unknown> => ({
  ...config,
  ...(config.auth?.oauth && local.oauthDomain
    ? { auth: { ...config.auth, oauth: { ...config.auth.oauth, domain: local.oauthDomain } } }
    : {}),
  ...(config.data ? { data: { ...config.data, url: local.graphqlUrl } } : {}),
  custom: {
    ...(isRecord(config.custom) ? config.custom : {}),
    local: {
      user_pool_endpoint: local.userPoolEndpoint,
      ...(local.identityPool ? { identity_pool_endpoint: local.userPoolEndpoint } : {}),
      // Amplify Storage takes this per call: `options: { customEndpoint }`.
      ...(local.storageEndpoint ? { storage_endpoint: local.storageEndpoint } : {}),
      // The stand-in for the API's OIDC provider: discovery, JWKS and POST <issuer>/token to mint.
      ...(local.oidcIssuer ? { oidc_issuer: local.oidcIssuer } : {}),
      // The SDK clients' `endpoint` for the local SQS and SNS (SigV4 with identity-pool or admin credentials).
      ...(local.sqsEndpoint ? { sqs_endpoint: local.sqsEndpoint } : {}),
      ...(local.snsEndpoint ? { sns_endpoint: local.snsEndpoint, sns_outbox: local.snsOutbox } : {}),
      ca_file: local.caFile,
      outbox: local.outbox,
      // The codes sent, as JSON, for `Authorization: Bearer <secretAccessKey of admin_credentials_file>`.
      codes_endpoint: `${local.userPoolEndpoint}/_local/codes`,
      // Tools sign with the local admin credential kept here (a path, not the secret).
      admin_credentials_file: local.adminCredentialsFile,
    },
  },
});
