/**
 * The errors our function cores throw. Each names what went wrong and what
 * the caller can do about it; AppSync reports `name` as the GraphQL errorType.
 */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
}

export class UnauthorizedError extends Error {
  override readonly name = 'Unauthorized';
}

/** A stream record that cannot be processed; it is reported back to Lambda, never dropped. */
export class RecordError extends Error {
  override readonly name = 'RecordError';
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads one required environment variable, naming it if it is missing. Call at cold start. */
export const requireEnv = (env: Record<string, string | undefined>, name: string): string => {
  const value = env[name];
  if (!value) {
    throw new ConfigError(
      `Missing environment variable ${name}. Set it in the function's resource.ts or in the backend configuration (see README).`,
    );
  }
  return value;
};
