import { util } from '@aws-appsync/utils';

// Keep in step with LIMITS.messageBodyMax in amplify/shared/limits.ts (asserted by a unit test).
const MESSAGE_BODY_MAX = 2000;

/**
 * sendMessage, step 1: validate the input and look up the recipient's profile,
 * which carries the recipient's owner identity.
 */
export function request(ctx) {
  const { recipientId, body } = ctx.args;
  if (body.trim().length === 0) {
    util.error('body must not be empty', 'ValidationError');
  }
  if (body.length > MESSAGE_BODY_MAX) {
    util.error(`body must be at most ${MESSAGE_BODY_MAX} characters`, 'ValidationError');
  }
  return { operation: 'GetItem', key: util.dynamodb.toMapValues({ id: recipientId }) };
}

export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  if (!ctx.result || ctx.result._deleted === true || !ctx.result.owner) {
    util.error('recipient not found', 'NotFound');
  }
  ctx.stash.recipientOwner = ctx.result.owner;
  // Pass nothing of the recipient's profile on to the caller.
  return null;
}
