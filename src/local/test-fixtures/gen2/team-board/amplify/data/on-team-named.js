import { extensions, util } from '@aws-appsync/utils';

/**
 * onTeamNamed: a subscriber hears only the teams named after its member, as
 * its Lambda authorizer's resolverContext says, so no argument can widen it.
 */
export function request() {
  return { payload: null };
}

export function response(ctx) {
  const member = ctx.identity.resolverContext.member;
  extensions.setSubscriptionFilter(util.transform.toSubscriptionFilter({ name: { eq: member } }));
  return null;
}
