/** `echo(message)`: the message back, loud, with the caller's kind. */
export const handler = async (event: {
  arguments: { message: string };
  identity?: { sub?: string } | null;
}): Promise<string> => `${event.arguments.message.toUpperCase()} (${event.identity?.sub ? 'user' : 'public'})`;
