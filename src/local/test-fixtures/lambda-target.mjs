// A function bundle for tests of the local Lambda API: echoes its event, logs, fails, answers too much, or
// leaves a mark in a file (to observe an asynchronous invocation).
import { writeFileSync } from 'node:fs';

export const handler = async (event, context) => {
  console.log(`hello from ${context.functionName}`);
  if (event?.fail) throw new TypeError(`boom: ${event.fail}`);
  if (event?.big) return 'x'.repeat(7 * 1024 * 1024);
  if (event?.mark) writeFileSync(event.mark, JSON.stringify(event));
  return { echo: event, functionName: context.functionName };
};
