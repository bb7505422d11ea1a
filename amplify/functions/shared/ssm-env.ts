import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { requireEnv } from './errors';

/**
 * A value given directly in `NAME` (the local backend resolves it), or read
 * (and cached for an hour) from the SSM parameter whose path is in `NAME_PARAMETER`.
 */
export const fromEnvOrSsm = async (name: string): Promise<string> => {
  const direct = process.env[name];
  if (direct) return direct;
  const path = requireEnv(process.env, `${name}_PARAMETER`);
  const value = await getParameter(path, { maxAge: 3600 });
  if (!value) throw new Error(`SSM parameter ${path} is empty`);
  return value;
};
