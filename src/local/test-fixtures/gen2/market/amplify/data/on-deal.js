import { extensions } from '@aws-appsync/utils';

/** Subscribers naming a shop hear that shop's deals only. */
export function request() {
  return { payload: null };
}

export function response(ctx) {
  if (ctx.args.shopId) {
    extensions.setSubscriptionFilter({
      filterGroup: [{ filters: [{ fieldName: 'shopId', operator: 'eq', value: ctx.args.shopId }] }],
    });
  }
  return null;
}
