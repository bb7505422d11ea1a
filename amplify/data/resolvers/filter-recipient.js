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
  const me = `${ctx.identity.sub}::${ctx.identity.username}`;
  extensions.setSubscriptionFilter(util.transform.toSubscriptionFilter({ recipient: { eq: me } }));
  return null;
}
