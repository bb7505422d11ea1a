import { createLocalJWKSet } from 'jose';
import type { LocalAuth } from '../auth/server';
import type { LocalGraphqlApi } from '../graphql/api';
import { startGraphqlServer } from '../graphql/server';
import { NAMES } from '../settings/names';
import type { ServiceContext } from './context';
import { serviceOf } from './registry';

/** AppSync's HTTPS and realtime endpoints over the running generation's API. */
export const graphqlService = (context: ServiceContext, api: () => LocalGraphqlApi, auth: LocalAuth) =>
  serviceOf(
    'graphql',
    () =>
      startGraphqlServer({
        port: context.ports.graphql,
        api,
        verifier: {
          issuer: auth.issuer,
          clientId: NAMES.userPoolClientId,
          keys: createLocalJWKSet(auth.tokens.jwks()),
        },
        oidcKeys: auth.oidc && createLocalJWKSet(auth.oidc.jwks()),
        tls: context.tls,
        iam: auth.identityPool && {
          lookup: (accessKeyId) => auth.identityPool?.credentialsFor(accessKeyId),
          // A function signs with its role (Gen 2's data client in a function, `allow.resource(fn)`).
          lookupRole: (accessKeyId) => {
            const known = context.credentials.lookup(accessKeyId);
            const { principal } = known ?? {};
            if (!known || principal?.kind !== 'function' || !principal.roleArn) return undefined;
            return {
              ...known.secret,
              roleArn: principal.roleArn,
              session: principal.name,
              allows: (fieldArn) =>
                context.credentials.authorize(principal, { action: 'appsync:GraphQL', resource: fieldArn }) === 'Allow',
            };
          },
          apiId: NAMES.apiId,
          region: NAMES.region,
          accountId: NAMES.accountId,
          identityPoolId: NAMES.identityPoolId,
          // The identity pool's provider name for this user pool: its issuer without the scheme.
          userPoolProvider: auth.issuer.replace(/^https?:\/\//, ''),
        },
      }),
    { stop: (graphql) => graphql.close(), info: ({ url, realtimeUrl }) => ({ url, endpoint: realtimeUrl }) },
  );
