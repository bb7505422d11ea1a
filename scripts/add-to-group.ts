/**
 * Adds a user of the running local backend to a group, through the same
 * AdminAddUserToGroup call Cognito has, signed with the local admin
 * credential (`custom.local.admin_credentials_file` in amplify_outputs.json),
 * as Cognito requires IAM credentials for its admin operations.
 * `aws cognito-idp admin-add-user-to-group --endpoint-url <user pool endpoint>`
 * works too, with that credential in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
 *
 *   npm run local:add-to-group -- ada@example.com Admins
 */
import { readFileSync } from 'node:fs';
import { AdminAddUserToGroupCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';

const [email, group] = process.argv.slice(2);
if (!email || !group) {
  console.error('usage: npm run local:add-to-group -- <email> <group>');
  process.exit(2);
}
const outputs = JSON.parse(readFileSync('amplify_outputs.json', 'utf8'));
const endpoint: unknown = outputs?.custom?.local?.user_pool_endpoint;
const credentialsFile: unknown = outputs?.custom?.local?.admin_credentials_file;
if (typeof endpoint !== 'string' || typeof credentialsFile !== 'string') {
  console.error('amplify_outputs.json is not from the local backend: start it with `npm start` first.');
  process.exit(1);
}
const { accessKeyId, secretAccessKey, region } = JSON.parse(readFileSync(credentialsFile, 'utf8'));
const cognito = new CognitoIdentityProviderClient({ endpoint, region, credentials: { accessKeyId, secretAccessKey } });
try {
  await cognito.send(
    new AdminAddUserToGroupCommand({ UserPoolId: outputs.auth.user_pool_id, Username: email, GroupName: group }),
  );
} catch (error) {
  console.error(`failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  process.exit(1);
}
console.log(`${email} is now in ${group}; new sign-ins carry it in cognito:groups.`);
