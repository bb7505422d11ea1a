import { util } from '@aws-appsync/utils';
import { get } from '@aws-appsync/utils/dynamodb';

/** The quoted product, by its composite key. */
export function request(ctx) {
  return get({ key: { shopId: ctx.args.shopId, sku: ctx.args.sku } });
}

export function response(ctx) {
  if (ctx.error) util.error(ctx.error.message, ctx.error.type);
  if (!ctx.result) util.error(`No product ${ctx.args.sku}`, 'NotFound');
  return ctx.result;
}
