/** Reports what it was invoked with, on which Node, and whether its secret reached it. */
export const handler = async (event: unknown) => ({
  event,
  node: process.version,
  token: process.env.REPORT_TOKEN,
});
