import { util } from '@aws-appsync/utils';

/** The exchange rate from EUR, from the rates service. */
export function request(ctx) {
  return {
    method: 'GET',
    resourcePath: `/rates/${ctx.args.currency}`,
    params: { query: { base: 'EUR' }, headers: { 'x-api-key': 'market-local' } },
  };
}

export function response(ctx) {
  if (ctx.error) util.error(ctx.error.message, ctx.error.type);
  if (ctx.result.statusCode !== 200)
    util.error(`No rate for ${ctx.args.currency}`, `RatesApi:${ctx.result.statusCode}`);
  const body = JSON.parse(ctx.result.body);
  return { currency: ctx.args.currency, rate: body.rate, source: ctx.result.headers['x-rates-source'] };
}
