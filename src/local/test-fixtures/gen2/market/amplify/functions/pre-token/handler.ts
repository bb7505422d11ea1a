import type { PreTokenGenerationTriggerHandler } from 'aws-lambda';

/** Every ID token says which shop its user keeps (the custom attribute) and a tier. */
export const handler: PreTokenGenerationTriggerHandler = async (event) => {
  event.response = {
    claimsOverrideDetails: {
      claimsToAddOrOverride: {
        shop_tier: event.request.groupConfiguration.groupsToOverride?.includes('Staff') ? 'staff' : 'customer',
        shop: event.request.userAttributes['custom:shop'] ?? 'none',
      },
    },
  };
  return event;
};
