/** The quote for the product the previous step read. */
export function request() {
  return {};
}

export function response(ctx) {
  const product = ctx.prev.result;
  return {
    sku: product.sku,
    name: product.name,
    total: Math.round(product.price.amount * ctx.args.quantity * 100) / 100,
    currency: product.price.currency ?? 'EUR',
  };
}
