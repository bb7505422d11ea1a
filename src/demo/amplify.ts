import { Amplify } from 'aws-amplify';
import { fetchAuthSession } from 'aws-amplify/auth';
import { generateClient } from 'aws-amplify/data';
import type { Schema } from '../../amplify/data/resource';
import { type AmplifyOutputs, configureLocal, localStorageOptions } from '../client/local';

/**
 * The demo's connection to the backend. The page loads amplify_outputs.json
 * from its server at start (local or cloud, whichever `npm run demo --
 * --outputs` names), so the same bundle runs against both without a rebuild.
 */
let outputs: AmplifyOutputs = {};
let client: ReturnType<typeof generateClient<Schema>> | undefined;

export const loadOutputs = async (): Promise<AmplifyOutputs> => {
  const response = await fetch('/amplify_outputs.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`amplify_outputs.json: HTTP ${response.status}`);
  const parsed: unknown = await response.json();
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('amplify_outputs.json is not an object');
  outputs = Object.fromEntries(Object.entries(parsed));
  // Locally this also points Auth at the local user and identity pools; with cloud outputs it is Amplify.configure.
  configureLocal(Amplify, outputs);
  return outputs;
};

/** The Data client; made after configure. */
export const data = (): ReturnType<typeof generateClient<Schema>> => {
  client ??= generateClient<Schema>();
  return client;
};

/** Spread into every Storage call: the local S3 endpoint, or nothing in the cloud. */
export const storageOptions = (): Record<never, never> => localStorageOptions(outputs);

export interface Me {
  sub: string;
  /** `<sub>::<username>`: the owner field of the user's records. */
  owner: string;
  email: string;
}

export const whoAmI = async (): Promise<Me> => {
  const payload = (await fetchAuthSession()).tokens?.idToken?.payload;
  const sub = String(payload?.sub ?? '');
  const username = String(payload?.['cognito:username'] ?? sub);
  return { sub, owner: `${sub}::${username}`, email: String(payload?.email ?? '') };
};

/** A readable message for anything an Amplify call throws. */
export const messageOf = (error: unknown): string => {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  if (Array.isArray(error)) return error.map(messageOf).join('; ');
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
};

/** The first GraphQL error of a model call's result, thrown, so callers handle one path. */
export const orThrow = <T>(result: { data: T; errors?: ReadonlyArray<{ message: string }> }): T => {
  if (result.errors?.length) throw new Error(result.errors.map((e) => e.message).join('; '));
  return result.data;
};
