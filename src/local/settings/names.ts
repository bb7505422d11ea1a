import type { LocalNames } from '../cloud/assembly';
import { LOCAL_AWS } from '../dynamodb/local';

/** The local names the assembly's references resolve to (the GraphQL URL follows its server). */
export const NAMES: Omit<LocalNames, 'graphqlUrl'> = {
  apiId: 'local',
  userPoolId: 'us-east-1_LocalPool',
  userPoolClientId: 'localclient0000000000000000',
  identityPoolId: 'us-east-1:00000000-0000-4000-8000-000000000000',
  region: LOCAL_AWS.region,
  accountId: '000000000000',
  pushApplicationId: 'localpushapp',
};

export type Json = Record<string, unknown>;
export const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The logical ID a resolved reference (`Ref`, an ARN) ends with. */
export const logicalIdOfRef = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value.split(':').at(-1);
  return undefined;
};
