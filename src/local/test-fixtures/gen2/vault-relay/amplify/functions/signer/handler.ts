import { createHash } from 'node:crypto';

/** Signs a text for its caller: invoked by other functions, never by a trigger. */
export const handler = async (event: { text?: string }) => {
  if (typeof event.text !== 'string') throw new Error('text is required');
  return { text: event.text, sha256: createHash('sha256').update(event.text).digest('hex') };
};
