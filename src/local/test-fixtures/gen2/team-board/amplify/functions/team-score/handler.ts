/**
 * `whoAmI` and `addScore(points)`: what the caller's identity says, as the
 * Lambda data source passes it (the authorizer's resolverContext, or OIDC
 * claims).
 */
interface ScoreEvent {
  fieldName?: string;
  info?: { fieldName?: string };
  arguments: { points?: number };
  identity?: { resolverContext?: Record<string, string>; sub?: string } | null;
}

export const handler = async (event: ScoreEvent): Promise<string | number> => {
  const field = event.info?.fieldName ?? event.fieldName;
  if (field === 'addScore') return (event.arguments.points ?? 0) * 10;
  const context = event.identity?.resolverContext;
  return context?.member ? `member:${context.member}#${context.calls}` : `oidc:${event.identity?.sub ?? 'nobody'}`;
};
