import { util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

/** Adds one like to a post, with the DynamoDB module's increment. */
export function request(ctx) {
  return ddb.update({
    key: { id: ctx.args.id },
    update: { likes: ddb.operations.increment(1) },
    condition: { id: { attributeExists: true } },
  });
}

export function response(ctx) {
  if (ctx.error) util.error(ctx.error.message, ctx.error.type);
  return ctx.result;
}
