import { CloudSearchDomainClient, SearchCommand, UploadDocumentsCommand } from '@aws-sdk/client-cloudsearch-domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexRecords } from '../../../amplify/functions/indexer/core';
import { buildSearchRequest, type NoteSearchPage, toSearchPage } from '../../../amplify/functions/search/core';
import { streamRecord } from '../../../amplify/functions/shared/test-events';
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

beforeAll(async () => {
  search = await startLocalSearch({ textFields: ['headline', 'text'] });
  client = new CloudSearchDomainClient({
    endpoint: search.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  client.destroy();
  await search.close();
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
