import { extensions, util } from '@aws-appsync/utils';

/**
 * onMessageReceived: a subscriber receives only the messages addressed to
 * them. The filter is set on the server from the caller's identity, so no
 * argument can widen it.
 */
export function request() {
  return { payload: null };
}

export function response(ctx) {
  // The Message.recipient field resolver returns the username part of the stored
  // "<sub>::<username>" identity, and AppSync filters on the resolved result.
  const me = ctx.identity.username;
  extensions.setSubscriptionFilter(util.transform.toSubscriptionFilter({ recipient: { eq: me } }));
  return null;
}
