import type { PreSignUpTriggerHandler } from 'aws-lambda';

/** Refuses one domain, and confirms (and verifies) the staff domain's sign-ups without a code. */
export const handler: PreSignUpTriggerHandler = async (event) => {
  const domain = (event.request.userAttributes.email ?? '').split('@')[1];
  if (domain === process.env.BLOCKED_DOMAIN) throw new Error(`sign-ups from ${domain} are closed`);
  if (domain === process.env.AUTO_DOMAIN) {
    event.response.autoConfirmUser = true;
    event.response.autoVerifyEmail = true;
  }
  return event;
};
