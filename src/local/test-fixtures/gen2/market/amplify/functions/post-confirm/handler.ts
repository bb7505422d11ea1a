import { AdminAddUserToGroupCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { PostConfirmationTriggerHandler } from 'aws-lambda';

const cognito = new CognitoIdentityProviderClient();

/** Staff-domain users join the Staff group when they are confirmed. */
export const handler: PostConfirmationTriggerHandler = async (event) => {
  if ((event.request.userAttributes.email ?? '').endsWith('@staff.example')) {
    await cognito.send(
      new AdminAddUserToGroupCommand({
        UserPoolId: event.userPoolId,
        Username: event.userName,
        GroupName: process.env.STAFF_GROUP,
      }),
    );
  }
  return event;
};
