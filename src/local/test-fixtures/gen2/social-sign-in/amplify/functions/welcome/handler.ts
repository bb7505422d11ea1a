import type { PostConfirmationTriggerHandler } from 'aws-lambda';

/** Logs each confirmed user, federated or not; the local mode's tests read the line. */
export const handler: PostConfirmationTriggerHandler = async (event) => {
  console.log(
    JSON.stringify({
      welcomed: event.userName,
      triggerSource: event.triggerSource,
      status: event.request.userAttributes['cognito:user_status'],
      email: event.request.userAttributes.email,
    }),
  );
  return event;
};
