/**
 * A minimal app page for the social sign-in browser test: the real
 * aws-amplify client configured from the local outputs, driven from the
 * test through `globalThis.app`. It stands for any SPA that calls
 * `signInWithRedirect({ provider: 'Google' })`.
 */
import { Amplify } from 'aws-amplify';
import { fetchAuthSession, getCurrentUser, signInWithRedirect, signOut } from 'aws-amplify/auth';
import { generateClient } from 'aws-amplify/data';
import { Hub } from 'aws-amplify/utils';
import { configureLocal } from '../client/local';

const events: string[] = [];
Hub.listen('auth', ({ payload }) => {
  events.push(payload.event);
});

const start = async () => {
  const outputs: Record<string, unknown> = await (await fetch('/outputs.json')).json();
  configureLocal(Amplify, outputs);
  const client = generateClient({ authMode: 'userPool' });
  const app = {
    events,
    signIn: () => signInWithRedirect({ provider: 'Google' }),
    user: async () => {
      const { username, userId } = await getCurrentUser();
      return { username, userId };
    },
    session: async () => {
      const { tokens } = await fetchAuthSession();
      return { id: tokens?.idToken?.payload ?? null, access: tokens?.accessToken?.payload ?? null };
    },
    /** A GraphQL mutation and query with the user-pool token: the owner rule decides. */
    graphql: async (query: string, variables: Record<string, unknown> = {}) => {
      try {
        const result = await client.graphql({ query, variables });
        return 'data' in result ? { data: result.data, errors: result.errors ?? [] } : { data: null, errors: [] };
      } catch (error) {
        const errors =
          typeof error === 'object' && error !== null && 'errors' in error ? error.errors : [String(error)];
        return { data: null, errors };
      }
    },
    signOut: () => signOut(),
  };
  Reflect.set(globalThis, 'app', app);
};

start().catch((error: unknown) => {
  Reflect.set(globalThis, 'appError', String(error));
});
