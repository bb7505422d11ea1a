import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from './openapi';
import { ROUTES } from './routes';

describe('the OpenAPI document', () => {
  it('is current: amplify/rest/openapi.json is what the route table generates (npm run rest:openapi)', () => {
    const committed: unknown = JSON.parse(readFileSync(new URL('./openapi.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });

  it('names every route, with the ID token required and the error statuses', () => {
    const paths = Object(openApiDocument().paths);
    for (const route of ROUTES) {
      const operation = paths[route.path]?.[route.method.toLowerCase()];
      expect(operation?.operationId).toBe(route.operation);
      expect(operation?.security).toEqual([{ CognitoIdToken: [] }]);
      expect(Object.keys(operation?.responses ?? {})).toEqual(
        expect.arrayContaining(['400', '401', '403', '404', '409', '413', '429']),
      );
    }
  });
});
