/**
 * The API's Lambda authorizer. Tokens look like `team-<member>[-<flag>]`:
 * - `-readonly` may not see Team.secret nor Crest.motto (short form) nor run addScore (ARN form);
 * - `-nosecret` may not see Team.secret (ARN form);
 * - `-nocache` answers with ttlOverride 0, every other answer is cached 60 s;
 * - `team-denied` is refused; a token that throws fails the authorizer.
 * Each answer carries how many times this instance has run, so a test can
 * tell a cached decision from a fresh one.
 */
let calls = 0;

interface AuthorizerEvent {
  authorizationToken: string;
  requestContext: { apiId: string; accountId: string; operationName?: string; queryString: string };
}

export const handler = async (event: AuthorizerEvent) => {
  calls++;
  const token = event.authorizationToken;
  if (token === 'team-throws') throw new Error('the authorizer failed');
  const [, member = '', flag] = token.split('-');
  const { apiId, accountId } = event.requestContext;
  const region = process.env.AWS_REGION ?? 'us-east-1';
  return {
    isAuthorized: token.startsWith('team-') && member !== 'denied',
    resolverContext: { member, calls: String(calls), operation: event.requestContext.operationName ?? '' },
    deniedFields:
      flag === 'readonly'
        ? [
            'Team.secret',
            'Crest.motto',
            `arn:aws:appsync:${region}:${accountId}:apis/${apiId}/types/Mutation/fields/addScore`,
          ]
        : flag === 'nosecret'
          ? [`arn:aws:appsync:${region}:${accountId}:apis/${apiId}/types/Team/fields/secret`]
          : [],
    ttlOverride: flag === 'nocache' ? 0 : 60,
  };
};
