/** The deal as its own answer: subscribers to onDeal hear it. */
export function request(ctx) {
  return { payload: { shopId: ctx.args.shopId, text: ctx.args.text } };
}

export function response(ctx) {
  return ctx.result;
}
