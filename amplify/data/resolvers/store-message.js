import { util } from '@aws-appsync/utils';

/**
 * sendMessage, step 2: store the message. The Message table's stream then
 * drives the push function, so delivery to devices is asynchronous.
 */
export function request(ctx) {
  const now = util.time.nowISO8601();
  const { sub, username } = ctx.identity;
  return {
    operation: 'PutItem',
    key: util.dynamodb.toMapValues({ id: util.autoId() }),
    attributeValues: util.dynamodb.toMapValues({
      __typename: 'Message',
      sender: sub,
      recipient: ctx.stash.recipientOwner,
      body: ctx.args.body,
      owner: `${sub}::${username}`,
      createdAt: now,
      updatedAt: now,
    }),
    condition: { expression: 'attribute_not_exists(#id)', expressionNames: { '#id': 'id' } },
  };
}

export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  return ctx.result;
}
