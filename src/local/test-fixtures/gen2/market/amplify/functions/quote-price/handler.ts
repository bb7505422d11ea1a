/** `withTax(amount)`: the amount with tax at the configured rate, rounded to cents. */
export const handler = async (event: { arguments: { amount: number } }): Promise<number> => {
  if (event.arguments.amount < 0) throw new Error('amount must not be negative');
  return Math.round(event.arguments.amount * (1 + Number(process.env.TAX_RATE)) * 100) / 100;
};
