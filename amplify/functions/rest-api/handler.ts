import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { REST_LIMITS } from '../../rest/routes';
import { requireEnv } from '../shared/errors';
import { callerOf, corsHeaders, errorResult, fromGraphql, HttpError, jsonResult, plan } from './core';
import { createUploadUrl, type UploadSettings } from './upload-url';

const logger = new Logger({ serviceName: 'rest-api' });
const graphqlUrl = requireEnv(process.env, 'GRAPHQL_URL');
const origins = requireEnv(process.env, 'CORS_ORIGINS').split(',');
const upload: UploadSettings = {
  region: requireEnv(process.env, 'AWS_REGION'),
  identityPoolId: requireEnv(process.env, 'IDENTITY_POOL_ID'),
  bucketName: requireEnv(process.env, 'MEDIA_BUCKET_NAME'),
  cognitoIdentityEndpoint: process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY || undefined,
  s3Endpoint: process.env.AWS_ENDPOINT_URL_S3 || undefined,
  expiresInSeconds: REST_LIMITS.uploadUrlSeconds,
};

const graphql = async (idToken: string, query: string, variables: Record<string, unknown>) => {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    // The caller's own token: AppSync's owner rules, versioned resolvers and subscriptions apply as to any client.
    headers: { 'content-type': 'application/json', authorization: idToken },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(8_000),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
};

/** API Gateway (REST, Lambda proxy) → one GraphQL operation or a presigned upload URL. */
export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const cors = corsHeaders(event.headers, origins);
  try {
    const caller = callerOf(event);
    const planned = plan(event, caller);
    if (planned.kind === 'uploadUrl')
      return jsonResult(200, await createUploadUrl(upload, caller, planned.fileName), cors);
    const answer = fromGraphql(planned, await graphql(caller.idToken, planned.call.query, planned.call.variables));
    return jsonResult(answer.status, answer.body, cors);
  } catch (error) {
    if (!(error instanceof HttpError) || error.status >= 500) logger.error('request failed', { error });
    return errorResult(error, cors);
  }
};
