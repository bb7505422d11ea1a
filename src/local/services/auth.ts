import { startLocalAuth } from '../auth/server';
import type { Outbox } from '../outbox';
import type { AuthSettings } from '../settings/auth';
import { NAMES } from '../settings/names';
import type { OAuthSettings } from '../settings/oauth';
import type { ServiceContext } from './context';
import { serviceOf } from './registry';

/** The user pool (and the identity pool in front of it), as the assembly's auth settings make them. */
export const authService = (
  context: ServiceContext,
  settings: AuthSettings,
  oauth: OAuthSettings | undefined,
  hooks: {
    outbox: Outbox;
    /** Runs the pool's trigger (a LambdaConfig member) with an event, as Cognito invokes it. */
    trigger: (member: string, event: unknown) => Promise<unknown>;
    log: (line: string) => void;
  },
) => {
  const { credentials } = context;
  return serviceOf(
    'auth',
    () =>
      startLocalAuth({
        port: context.ports.auth,
        userPoolId: NAMES.userPoolId,
        clientId: NAMES.userPoolClientId,
        passwordPolicy: settings.passwordPolicy,
        dataDir: context.dataDir,
        outbox: hooks.outbox,
        postConfirmation: settings.triggers.PostConfirmation
          ? (event) => hooks.trigger('PostConfirmation', event)
          : undefined,
        preSignUp: settings.triggers.PreSignUp ? (event) => hooks.trigger('PreSignUp', event) : undefined,
        preTokenGeneration: settings.triggers.PreTokenGeneration
          ? { version: settings.preTokenVersion, invoke: (event) => hooks.trigger('PreTokenGeneration', event) }
          : undefined,
        customAttributes: settings.customAttributes,
        groupRoles: settings.groupRoles,
        groups: settings.groups,
        preventUserExistenceErrors: settings.preventUserExistenceErrors,
        verifyBeforeUpdate: settings.verifyBeforeUpdate,
        accountId: NAMES.accountId,
        oidcIssuer: settings.oidcIssuer,
        // The hosted UI is HTTPS only: the port also speaks TLS with the local CA's certificate.
        ...(oauth ? { oauth, tls: { key: context.tls.key, cert: context.tls.cert } } : {}),
        log: hooks.log,
        // Admin operations need SigV4 and an IAM allow, as on Cognito: the local admin, or a function's role.
        verifySigned: credentials.verify,
        authorizePrincipal: credentials.authorize,
        // GET /_local/codes answers a bearer of the admin secret only.
        codesSecret: () => credentials.admin.secretAccessKey,
        identityPool: settings.identityPool && {
          identityPoolId: NAMES.identityPoolId,
          region: NAMES.region,
          ...settings.identityPool,
        },
      }),
    { stop: (auth) => auth.close(), info: ({ url }) => ({ url }) },
  );
};
