import { REST_API_NAME, REST_STAGE } from './resource';
import { ROUTES, type Route } from './routes';

/**
 * The REST API's OpenAPI 3 document, generated from the same route table the
 * API Gateway construct builds its methods and models from. `npm run rest:openapi`
 * writes it to amplify/rest/openapi.json; a unit test keeps that file current.
 */

const ERROR_STATUSES: Record<string, string> = {
  '400': 'The input breaks a limit or the request is malformed',
  '401': 'No valid ID token in Authorization',
  '403': 'Not allowed',
  '404': 'No such item of yours',
  '409': 'Conflict: the id is taken, or the version you gave is stale',
  '413': 'The body is too large',
  '429': 'Throttled: retry with backoff',
};

const schemaName = (route: Route): string => `${route.operation[0]?.toUpperCase()}${route.operation.slice(1)}Body`;

const pathParameters = (path: string) =>
  [...path.matchAll(/\{([^}]+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));

export const openApiDocument = (): Record<string, unknown> => {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {
    Error: {
      type: 'object',
      required: ['message'],
      properties: {
        code: {
          type: 'string',
          enum: [
            'BadRequest',
            'Unauthorized',
            'Forbidden',
            'NotFound',
            'Conflict',
            'PayloadTooLarge',
            'TooManyRequests',
            'InternalError',
          ],
        },
        message: { type: 'string' },
        details: { type: 'string', description: "API Gateway's validation errors, on its own 400s" },
        requestId: { type: 'string', description: "API Gateway's request id, on its own errors" },
      },
      description: "The handler's errors and API Gateway's own (its gateway responses) alike",
    },
  };
  for (const route of ROUTES) {
    const responses: Record<string, unknown> = {
      [route.method === 'POST' && route.operation !== 'createUploadUrl' ? '201' : '200']: {
        description: 'OK',
        content: { 'application/json': { schema: { type: 'object' } } },
      },
    };
    for (const [status, description] of Object.entries(ERROR_STATUSES))
      responses[status] = {
        description,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    if (route.body) schemas[schemaName(route)] = route.body;
    const pathItem = paths[route.path] ?? {};
    paths[route.path] = pathItem;
    pathItem[route.method.toLowerCase()] = {
      operationId: route.operation,
      summary: route.summary,
      security: [{ CognitoIdToken: [] }],
      parameters: [
        ...pathParameters(route.path),
        ...Object.entries(route.query ?? {}).map(([name, required]) => ({
          name,
          in: 'query',
          required,
          schema: { type: 'string' },
        })),
      ],
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName(route)}` } } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: REST_API_NAME, version: REST_STAGE },
    servers: [
      {
        url: `https://{restApiId}.execute-api.{region}.amazonaws.com/${REST_STAGE}`,
        variables: { restApiId: { default: 'example' }, region: { default: 'us-east-1' } },
      },
    ],
    paths,
    components: {
      securitySchemes: {
        CognitoIdToken: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: "The user pool's ID token, without 'Bearer'",
        },
      },
      schemas,
    },
  };
};
