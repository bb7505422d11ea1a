import { join } from 'node:path';
import { createLocalJWKSet } from 'jose';
import type { LocalAuth } from '../auth/server';
import type { Generations } from '../generations';
import type { LocalRestApi } from '../rest';
import { startLocalRest } from '../rest';
import { NAMES } from '../settings/names';
import type { ServiceContext } from './context';
import { serviceOf } from './registry';

/** API Gateway's REST APIs over the running generation's functions, with the user pool's authorizer. */
export const restService = (
  context: ServiceContext,
  apis: () => readonly LocalRestApi[],
  runtime: Pick<Generations, 'current'>,
  auth: LocalAuth,
) =>
  serviceOf(
    'rest',
    () =>
      startLocalRest({
        port: context.ports.rest,
        tls: context.tls,
        apis,
        invoke: (functionId, event) => {
          const fn = runtime.current.functions.get(functionId);
          if (!fn) throw new Error(`the function ${functionId} is not running`);
          return fn.invoke(event);
        },
        userPool: { issuer: auth.issuer, keys: createLocalJWKSet(auth.tokens.jwks()) },
        accountId: NAMES.accountId,
        accessLogDir: join(context.dataDir, 'rest-access-logs'),
      }),
    { stop: (rest) => rest.close(), info: ({ url }) => ({ url }) },
  );
