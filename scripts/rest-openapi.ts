/**
 * Writes the REST API's OpenAPI document (amplify/rest/openapi.json) from the route table.
 *
 *   npm run rest:openapi
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openApiDocument } from '../amplify/rest/openapi';

const file = resolve('amplify/rest/openapi.json');
writeFileSync(file, `${JSON.stringify(openApiDocument(), null, 2)}\n`);
console.log(`wrote ${file}`);
