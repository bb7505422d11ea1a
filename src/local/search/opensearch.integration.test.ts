import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkFailures, NOTE_INDEX_BODY, toBulkBody } from '../../../amplify/functions/indexer/opensearch';
import type { SearchQuery } from '../../../amplify/functions/search/core';
import { toOpenSearchPage, toOpenSearchQuery } from '../../../amplify/functions/search/opensearch';
import { signedHttpClient } from '../../../amplify/functions/shared/signed-http';
import { LocalCredentials } from '../iam/credentials';
import type { PolicyDocument } from '../iam/policy';
import { type LocalOpenSearch, startLocalOpenSearch } from './opensearch';

/**
 * The local OpenSearch subset, driven by the indexer's and the search
 * function's own cores and their signed HTTP client, with the roles' policies
 * as the template writes them: what `searchNotes` does on the OpenSearch path.
 */
const DOMAIN = 'arn:aws:es:us-east-1:000000000000:domain/notes-local';
const INDEXER = 'arn:aws:iam::000000000000:role/indexerRole';
const SEARCHER = 'arn:aws:iam::000000000000:role/searchRole';
const POLICIES = new Map<string, PolicyDocument[]>([
  [
    INDEXER,
    [
      {
        Statement: [
          { Effect: 'Allow', Action: 'es:ESHttpPut', Resource: `${DOMAIN}/notes` },
          { Effect: 'Allow', Action: 'es:ESHttpPost', Resource: `${DOMAIN}/notes/_bulk` },
        ],
      },
    ],
  ],
  [SEARCHER, [{ Statement: { Effect: 'Allow', Action: 'es:ESHttpPost', Resource: `${DOMAIN}/notes/_search` } }]],
]);

let dir: string;
let server: LocalOpenSearch;
let credentials: LocalCredentials;

const clientAs = (role: string) => {
  const creds = credentials.forFunction(role.split('/').at(-1) ?? role, role);
  return signedHttpClient(
    {
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_SESSION_TOKEN: creds.sessionToken,
    },
    { endpoint: server.url, service: 'es', region: 'us-east-1', timeoutMs: 5000 },
  );
};

const note = (id: string, owner: string, headline: string) => ({
  document: { type: 'add' as const, id, fields: { owner, headline, text: `${headline} body` } },
  sequenceNumbers: [id],
  bytes: 100,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'local-opensearch-'));
  credentials = new LocalCredentials({
    file: join(dir, 'admin-credentials.json'),
    region: 'us-east-1',
    accountId: '000000000000',
    policies: () => POLICIES,
  });
  server = await startLocalOpenSearch({
    file: join(dir, 'opensearch.json'),
    access: {
      domainArn: DOMAIN,
      verify: credentials.verify,
      authorize: credentials.authorize,
      arnOf: (p) => credentials.arnOf(p),
    },
  });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the local OpenSearch, as the indexer and searchNotes use it', () => {
  it('indexes one bulk per batch, pages every one of a caller’s notes, and never another owner’s', async () => {
    // Prepare: the indexer creates the index, then sends 130 notes for two owners in one bulk
    const indexer = clientAs(INDEXER);
    expect((await indexer.request('PUT', '/notes', JSON.stringify(NOTE_INDEX_BODY))).status).toBe(200);
    const again = await indexer.request('PUT', '/notes', JSON.stringify(NOTE_INDEX_BODY));
    expect(again.status).toBe(400);
    const operations = Array.from({ length: 130 }, (_, i) =>
      note(`n${String(i).padStart(3, '0')}`, i % 2 ? 'bob::bob' : 'ada::ada', `harbour lighthouse ${i}`),
    );
    const batch = { operations, bytes: 13_000 };
    const bulk = await indexer.request('POST', '/notes/_bulk', toBulkBody(batch), 'application/x-ndjson');
    expect(bulk.status).toBe(200);
    expect(bulkFailures(bulk.body, batch).failed).toEqual([]);

    // Act: Ada pages through with the search function's query and page mapping
    const searcher = clientAs(SEARCHER);
    const seen: string[] = [];
    let token: string | null | undefined;
    for (let page = 0; page < 10; page++) {
      const query: SearchQuery = { owner: 'ada::ada', query: 'harbour lighthouse', size: 20 };
      const cursor = token ? JSON.parse(Buffer.from(token, 'base64url').toString('utf8')).cursor : undefined;
      const response = await searcher.request(
        'POST',
        '/notes/_search',
        JSON.stringify(toOpenSearchQuery({ ...query, ...(cursor ? { cursor } : {}) })),
      );
      expect(response.status).toBe(200);
      const result = toOpenSearchPage(response.body, token);
      seen.push(...result.items.map((item) => item.id));
      token = result.nextToken;
      if (!token) break;
    }

    // Assess: all 65 of Ada's, once each, none of Bob's
    expect(seen).toHaveLength(65);
    expect(new Set(seen).size).toBe(65);
    expect(seen.every((id) => Number(id.slice(1)) % 2 === 0)).toBe(true);
  });

  it('keeps every query, however crafted, inside the caller’s own notes', async () => {
    // Bob tries the query syntax, quoting and a cursor to reach Ada's notes.
    const searcher = clientAs(SEARCHER);
    for (const query of [
      'harbour | owner:ada',
      '"harbour lighthouse" -owner:bob::bob',
      'ada::ada',
      '*',
      '") OR (owner:ada::ada',
      'lighthouse\\',
    ]) {
      const body = toOpenSearchQuery({ owner: 'bob::bob', query, size: 100 });
      const response = await searcher.request('POST', '/notes/_search', JSON.stringify(body));
      expect(response.status).toBe(200);
      const ids = toOpenSearchPage(response.body, null).items.map((item) => item.id);
      expect(ids.filter((id) => Number(id.slice(1)) % 2 === 0)).toEqual([]);
    }
  });

  it("refuses unsigned callers and roles outside their policy, in OpenSearch's error format", async () => {
    const unsigned = await fetch(`${server.url}/notes/_search`, { method: 'POST', body: '{}' });
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toMatchObject({ error: { type: 'security_exception' } });
    const searcherWrites = await clientAs(SEARCHER).request('POST', '/notes/_bulk', '{"delete":{"_id":"n000"}}\n');
    expect(searcherWrites.status).toBe(403);
    expect(JSON.stringify(searcherWrites.body)).toContain('is not authorized to perform: es:ESHttpPost');
    const malformed = await clientAs(INDEXER).request('POST', '/notes/_bulk', 'not json\n', 'application/x-ndjson');
    expect(malformed.status).toBe(400);
    expect(server.count('notes')).toBe(130);
  });
});
