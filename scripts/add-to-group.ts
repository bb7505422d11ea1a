/**
 * Adds a user of the running local backend to a group, through the same
 * AdminAddUserToGroup call Cognito has (`aws cognito-idp admin-add-user-to-group
 * --endpoint-url <user pool endpoint>` works too).
 *
 *   npm run local:add-to-group -- ada@example.com Admins
 */
import { readFileSync } from 'node:fs';

const [email, group] = process.argv.slice(2);
if (!email || !group) {
  console.error('usage: npm run local:add-to-group -- <email> <group>');
  process.exit(2);
}
const outputs = JSON.parse(readFileSync('amplify_outputs.json', 'utf8'));
const endpoint: unknown = outputs?.custom?.local?.user_pool_endpoint;
if (typeof endpoint !== 'string') {
  console.error('amplify_outputs.json is not from the local backend: start it with `npm start` first.');
  process.exit(1);
}
const response = await fetch(endpoint, {
  method: 'POST',
  headers: {
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': 'AWSCognitoIdentityProviderService.AdminAddUserToGroup',
  },
  body: JSON.stringify({ UserPoolId: outputs.auth.user_pool_id, Username: email, GroupName: group }),
});
if (!response.ok) {
  console.error(`failed: ${response.status} ${await response.text()}`);
  process.exit(1);
}
console.log(`${email} is now in ${group}; new sign-ins carry it in cognito:groups.`);
