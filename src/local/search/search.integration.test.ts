import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudSearchDomainClient,
  CloudSearchDomainServiceException,
  SearchCommand,
  UploadDocumentsCommand,
} from '@aws-sdk/client-cloudsearch-domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexRecords } from '../../../amplify/functions/indexer/core';
import { buildSearchRequest, type NoteSearchPage, toSearchPage } from '../../../amplify/functions/search/core';
import { streamRecord } from '../../../amplify/functions/shared/test-events';
import { LocalCredentials } from '../iam/credentials';
import type { PolicyDocument } from '../iam/policy';
import { type LocalSearch, startLocalSearch } from './server';

const ADA = { sub: 'sub-ada', username: 'sub-ada' };
const BOB = { sub: 'sub-bob', username: 'sub-bob' };
const ownerOf = (user: typeof ADA) => `${user.sub}::${user.username}`;

let search: LocalSearch;
let client: CloudSearchDomainClient;
let seq = 0;

const note = (user: typeof ADA, id: string, headline: string, text = '') => ({
  id,
  owner: ownerOf(user),
  headline,
  text,
  createdAt: '2026-11-21T06:00:00.000Z',
  updatedAt: '2026-11-21T06:00:00.000Z',
});

const index = async (records: Parameters<typeof indexRecords>[0]) =>
  indexRecords(records, async (documents) => {
    await client.send(new UploadDocumentsCommand({ documents, contentType: 'application/json' }));
  });

const find = async (
  user: typeof ADA,
  query: string,
  limit?: number,
  nextToken?: string | null,
): Promise<NoteSearchPage> => {
  const request = buildSearchRequest({ query, limit, nextToken }, user);
  return toSearchPage(await client.send(new SearchCommand(request)), nextToken);
};

const DOMAIN = 'arn:aws:cloudsearch:us-east-1:000000000000:domain/notes';
/** The indexer's and the search function's role policies, as the templates synthesize them. */
const POLICIES = new Map<string, PolicyDocument[]>([
  [
    'arn:aws:iam::000000000000:role/indexerRole',
    [{ Statement: { Effect: 'Allow', Action: 'cloudsearch:document', Resource: DOMAIN } }],
  ],
  [
    'arn:aws:iam::000000000000:role/searchRole',
    [{ Statement: { Effect: 'Allow', Action: 'cloudsearch:search', Resource: DOMAIN } }],
  ],
]);
let dir: string;
let credentials: LocalCredentials;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'local-search-'));
  credentials = new LocalCredentials({
    file: join(dir, 'admin-credentials.json'),
    region: 'us-east-1',
    accountId: '000000000000',
    policies: () => POLICIES,
  });
  search = await startLocalSearch({
    textFields: ['headline', 'text'],
    access: {
      domainArn: DOMAIN,
      verify: credentials.verify,
      authorize: credentials.authorize,
      arnOf: (p) => credentials.arnOf(p),
    },
  });
  client = new CloudSearchDomainClient({ endpoint: search.url, region: 'us-east-1', credentials: credentials.admin });
});

afterAll(async () => {
  client.destroy();
  await search.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('local CloudSearch with the real SDK client and the indexer and search function cores', () => {
  it("finds the caller's own notes and never another user's", async () => {
    // Prepare
    const result = await index([
      streamRecord({
        eventName: 'INSERT',
        newImage: note(ADA, 'n1', 'Harbour lighthouse', 'keepers log'),
        seq: String(++seq),
      }),
      streamRecord({
        eventName: 'INSERT',
        newImage: note(BOB, 'n2', 'Lighthouse secrets', 'bob only'),
        seq: String(++seq),
      }),
    ]);
    expect(result.failedSequenceNumbers).toEqual([]);
    // Act
    const adaPage = await find(ADA, 'lighthouse');
    const bobPage = await find(BOB, 'lighthouse');
    // Assess
    expect(adaPage.items.map((i) => i.id)).toEqual(['n1']);
    expect(adaPage.items[0]).toMatchObject({ headline: 'Harbour lighthouse', text: 'keepers log' });
    expect(bobPage.items.map((i) => i.id)).toEqual(['n2']);
    expect((await find(ADA, 'secrets')).items).toEqual([]);
  });

  it('propagates edits and deletes, including DataStore soft deletes', async () => {
    await index([
      streamRecord({
        eventName: 'MODIFY',
        oldImage: note(ADA, 'n1', 'Harbour lighthouse'),
        newImage: note(ADA, 'n1', 'Harbour beacon', 'renamed'),
        seq: String(++seq),
      }),
    ]);
    expect((await find(ADA, 'lighthouse')).items).toEqual([]);
    expect((await find(ADA, 'beacon')).items.map((i) => i.id)).toEqual(['n1']);
    await index([
      streamRecord({
        eventName: 'MODIFY',
        newImage: { ...note(ADA, 'n1', 'Harbour beacon'), _deleted: true },
        seq: String(++seq),
      }),
      streamRecord({ eventName: 'REMOVE', oldImage: note(BOB, 'n2', 'Lighthouse secrets'), seq: String(++seq) }),
    ]);
    expect((await find(ADA, 'beacon')).items).toEqual([]);
    expect((await find(BOB, 'lighthouse')).items).toEqual([]);
  });

  it('pages through results with nextToken until there are no more', async () => {
    await index(
      Array.from({ length: 25 }, (_, i) =>
        streamRecord({ eventName: 'INSERT', newImage: note(ADA, `p${i}`, `Paging note ${i}`), seq: String(++seq) }),
      ),
    );
    const seen: string[] = [];
    let token: string | null = null;
    for (let page = 0; page < 5; page += 1) {
      const result: NoteSearchPage = await find(ADA, 'paging', 10, token);
      expect(result.total).toBe(25);
      seen.push(...result.items.map((i) => i.id));
      token = result.nextToken;
      if (!token) break;
    }
    expect(token).toBeNull();
    expect(new Set(seen).size).toBe(25);
  });

  it('refuses a bad batch whole, with a DocumentServiceException', async () => {
    const before = search.count();
    await expect(
      client.send(
        new UploadDocumentsCommand({
          contentType: 'application/json',
          documents: JSON.stringify([
            { type: 'add', id: 'ok-1', fields: { owner: 'x', headline: 'fine' } },
            { type: 'add', id: 'not valid id!', fields: { owner: 'x', headline: 'bad' } },
          ]),
        }),
      ),
    ).rejects.toMatchObject({ name: 'DocumentServiceException' });
    expect(search.count()).toBe(before);
  });
});

describe('local CloudSearch authenticates and authorizes as the domain does', () => {
  const clientWith = (creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) =>
    new CloudSearchDomainClient({ endpoint: search.url, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
  const failure = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof Error)) throw new Error('the call succeeded');
    return {
      name: error.name,
      message: error.message,
      status: error instanceof CloudSearchDomainServiceException ? error.$metadata.httpStatusCode : undefined,
    };
  };

  it('refuses unsigned requests as anonymous, and answers no CORS', async () => {
    // Act
    const searched = await fetch(`${search.url}/2013-01-01/search?q=lighthouse`);
    const uploaded = await fetch(`${search.url}/2013-01-01/documents/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ type: 'add', id: 'injected', fields: { owner: ownerOf(ADA), headline: 'lighthouse' } }]),
    });
    const preflight = await fetch(`${search.url}/2013-01-01/search`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    // Assess
    expect(searched.status).toBe(403);
    expect(await searched.json()).toEqual({
      __type: '#AccessDenied',
      message: `User: anonymous is not authorized to perform: cloudsearch:search on resource: ${DOMAIN}`,
    });
    expect(uploaded.status).toBe(403);
    expect(preflight.status).toBeGreaterThanOrEqual(400);
    for (const response of [searched, uploaded, preflight]) {
      const names: string[] = [];
      response.headers.forEach((_, name) => {
        names.push(name);
      });
      expect(names.filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
    expect((await find(ADA, 'injected')).items).toEqual([]);
  });

  it('refuses an unknown key and a wrong secret', async () => {
    // Act
    const unknown = await failure(
      clientWith({ accessKeyId: 'local', secretAccessKey: 'local' }).send(new SearchCommand({ query: 'x' })),
    );
    const wrong = await failure(
      clientWith({ ...credentials.admin, secretAccessKey: 'wrong' }).send(new SearchCommand({ query: 'x' })),
    );
    // Assess
    expect(unknown).toMatchObject({ name: 'UnrecognizedClientException', status: 403 });
    expect(wrong).toMatchObject({ name: 'InvalidSignatureException', status: 403 });
  });

  it("lets the indexer only upload and the search function only search, each with its role's credentials", async () => {
    // Prepare
    const indexer = clientWith(credentials.forFunction('indexer', 'arn:aws:iam::000000000000:role/indexerRole'));
    const searcher = clientWith(credentials.forFunction('search', 'arn:aws:iam::000000000000:role/searchRole'));
    const documents = JSON.stringify([
      { type: 'add', id: 'roles-1', fields: { owner: ownerOf(ADA), headline: 'Roles granite' } },
    ]);
    // Act
    await indexer.send(new UploadDocumentsCommand({ documents, contentType: 'application/json' }));
    const found = await searcher.send(new SearchCommand(buildSearchRequest({ query: 'granite' }, ADA)));
    const indexerSearches = await failure(indexer.send(new SearchCommand({ query: 'granite' })));
    const searcherUploads = await failure(
      searcher.send(new UploadDocumentsCommand({ documents, contentType: 'application/json' })),
    );
    // Assess
    expect(found.hits?.hit?.map((h) => h.id)).toEqual(['roles-1']);
    expect(indexerSearches).toEqual({
      name: 'AccessDenied',
      status: 403,
      message: `User: arn:aws:sts::000000000000:assumed-role/indexerRole/indexer is not authorized to perform: cloudsearch:search on resource: ${DOMAIN}`,
    });
    expect(searcherUploads.message).toContain('cloudsearch:document');
  });
});
