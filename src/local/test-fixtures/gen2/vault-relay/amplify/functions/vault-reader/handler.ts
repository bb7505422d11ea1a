import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * `vault(text)`: the database credentials the template generates, the
 * partner's API key that exists only in the account (read with Powertools),
 * a secret the role is not granted, and a signature from the signer
 * function, invoked through the Lambda API.
 */
const secrets = new SecretsManagerClient({});
const lambda = new LambdaClient({});

const attempt = async <T>(read: () => Promise<T>): Promise<{ value?: T; error?: string; message?: string }> => {
  try {
    return { value: await read() };
  } catch (error) {
    return error instanceof Error ? { error: error.name, message: error.message } : { error: String(error) };
  }
};

export const handler = async (event: { arguments: { text: string } }) => {
  const db = await secrets.send(new GetSecretValueCommand({ SecretId: process.env.DB_SECRET_ARN }));
  const credentials: { username?: string; password?: string } = JSON.parse(db.SecretString ?? '{}');
  const partner = await attempt(() => getSecret(process.env.PARTNER_SECRET_NAME ?? '', { maxAge: 0 }));
  const other = await attempt(() =>
    secrets.send(new GetSecretValueCommand({ SecretId: process.env.OTHER_SECRET_ARN })),
  );
  const signed = await lambda.send(
    new InvokeCommand({
      FunctionName: process.env.SIGNER_NAME,
      Payload: JSON.stringify({ text: event.arguments.text }),
    }),
  );
  return {
    username: credentials.username,
    password: credentials.password,
    partner,
    other: { error: other.error, message: other.message },
    signature: JSON.parse(new TextDecoder().decode(signed.Payload)),
  };
};
