import { defineBackend } from '@aws-amplify/backend';
import { SecretValue, Stack } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { auth } from './auth/resource';
import { data } from './data/resource';
import { signer } from './functions/signer/resource';
import { vaultReader } from './functions/vault-reader/resource';

/**
 * A Gen 2 backend for the local mode's tests whose function reads Secrets
 * Manager secrets (one the template generates, one that exists only in the
 * account, one it is not granted) and invokes a function nothing triggers.
 */
const backend = defineBackend({ auth, data, vaultReader, signer });

const reader = backend.vaultReader.resources.lambda;
// Beside the functions, so the secrets' ARNs reach their environment without a cross-stack cycle.
const stack = Stack.of(reader);
const database = new Secret(stack, 'DatabaseSecret', {
  secretName: 'vault/database',
  generateSecretString: {
    secretStringTemplate: JSON.stringify({ username: 'app' }),
    generateStringKey: 'password',
    passwordLength: 24,
    excludePunctuation: true,
  },
});
const partner = Secret.fromSecretNameV2(stack, 'PartnerKey', 'existing/partner-api-key');
const other = new Secret(stack, 'OtherSecret', {
  secretName: 'vault/other',
  secretStringValue: SecretValue.unsafePlainText('not for the reader'),
});

database.grantRead(reader);
partner.grantRead(reader);
backend.signer.resources.lambda.grantInvoke(reader);
backend.vaultReader.addEnvironment('DB_SECRET_ARN', database.secretArn);
backend.vaultReader.addEnvironment('PARTNER_SECRET_NAME', partner.secretName);
backend.vaultReader.addEnvironment('OTHER_SECRET_ARN', other.secretArn);
backend.vaultReader.addEnvironment('SIGNER_NAME', backend.signer.resources.lambda.functionName);
