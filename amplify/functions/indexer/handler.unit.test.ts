import { createServer } from 'node:http';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Item, streamRecord } from '../shared/test-events';

// The handlers read their configuration at cold start, so each case loads a fresh module.
const load = async <T>(path: string, env: Record<string, string>): Promise<T> => {
  vi.resetModules();
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  return import(path);
};

type IndexerModule = { handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse> };
type SearchModule = { handler: (event: unknown) => Promise<unknown> };

const note = (id: string, overrides: Item = {}): Item => ({
  id,
  owner: 'sub-1::alice',
  headline: `Note ${id}`,
  ...overrides,
});

const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'eu-west-1' };

describe('the indexer and search handlers on OpenSearch', () => {
  const calls: Array<{ method: string; url: string; body: string; authorization: string }> = [];
  let indexExists = false;
  // A stand-in for the domain: the calls the functions make, answered the way OpenSearch answers them.
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      calls.push({
        method: String(request.method),
        url: String(request.url),
        body,
        authorization: String(request.headers.authorization),
      });
      const reply = (status: number, value: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(value));
      };
      if (request.method === 'PUT' && request.url === '/notes') {
        if (indexExists) return reply(400, { error: { type: 'resource_already_exists_exception' }, status: 400 });
        indexExists = true;
        return reply(200, { acknowledged: true, index: 'notes' });
      }
      if (request.method === 'POST' && request.url === '/notes/_bulk') {
        const actions = body
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line))
          .filter((line) => 'index' in line || 'delete' in line);
        const items = actions.map((action) => {
          const [kind, meta] = Object.entries(action)[0] ?? [];
          const id = typeof meta === 'object' && meta && '_id' in meta ? String(meta._id) : '';
          return id === 'bad'
            ? { [String(kind)]: { _id: id, status: 400, error: { type: 'mapper_parsing_exception', reason: 'no' } } }
            : { [String(kind)]: { _id: id, status: kind === 'delete' ? 404 : 201 } };
        });
        return reply(200, { took: 1, errors: items.some((i) => JSON.stringify(i).includes('"status":400')), items });
      }
      if (request.method === 'POST' && request.url === '/notes/_search') {
        if (!indexExists) return reply(404, { error: { type: 'index_not_found_exception' }, status: 404 });
        return reply(200, {
          hits: {
            total: { value: 1 },
            hits: [{ _id: 'a', _score: 1.2, _source: { headline: 'Note a' }, sort: [1.2, 'a'] }],
          },
        });
      }
      return reply(405, { error: 'unexpected call' });
    });
  });
  let endpoint = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    calls.length = 0;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const openSearchEnv = () => ({
    ...CREDENTIALS,
    SEARCH_ENGINE: 'opensearch',
    OPENSEARCH_ENDPOINT: endpoint,
    OPENSEARCH_INDEX: 'notes',
    SEARCH_REGION: 'eu-west-1',
  });

  it('creates the index once, then sends one signed _bulk per batch and reports only the rejected records', async () => {
    // Prepare
    indexExists = false;
    const { handler } = await load<IndexerModule>('./handler', openSearchEnv());
    const event = (seq: number): DynamoDBStreamEvent => ({
      Records: [
        streamRecord({ eventName: 'INSERT', newImage: note('a'), seq: `${seq}1` }),
        streamRecord({ eventName: 'INSERT', newImage: note('bad'), seq: `${seq}2` }),
        streamRecord({ eventName: 'REMOVE', oldImage: note('gone'), seq: `${seq}3` }),
      ],
    });

    // Act
    const first = await handler(event(1));
    const second = await handler(event(2));

    // Assess
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: '12' }] });
    expect(second).toEqual({ batchItemFailures: [{ itemIdentifier: '22' }] });
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['PUT /notes', 'POST /notes/_bulk', 'POST /notes/_bulk']);
    for (const call of calls)
      expect(call.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/es\//);
    expect(JSON.parse(calls[0]?.body ?? '{}')).toMatchObject({
      mappings: { properties: { owner: { type: 'keyword' } } },
    });
  });

  it('fails the whole batch, for Lambda to retry, when the domain cannot be reached', async () => {
    // Prepare
    const { handler } = await load<IndexerModule>('./handler', {
      ...openSearchEnv(),
      OPENSEARCH_ENDPOINT: 'http://127.0.0.1:1',
    });

    // Act
    const result = await handler({ Records: [streamRecord({ eventName: 'INSERT', newImage: note('a'), seq: '7' })] });

    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '7' }] });
  });

  it('answers searchNotes from _search with the owner filter, and an empty page before any note is indexed', async () => {
    // Prepare
    const { handler } = await load<SearchModule>('../search/handler', openSearchEnv());
    const event = { arguments: { query: 'note' }, identity: { sub: 'sub-1', username: 'alice' } };

    // Act
    indexExists = false;
    const empty = await handler(event);
    indexExists = true;
    const page = await handler(event);

    // Assess
    expect(empty).toEqual({ items: [], nextToken: null, total: 0 });
    expect(page).toMatchObject({ items: [{ id: 'a', headline: 'Note a', score: 1.2 }], total: 1 });
    expect(JSON.parse(calls[1]?.body ?? '{}').query.bool.filter).toEqual([{ term: { owner: 'sub-1::alice' } }]);
  });

  it('acknowledges records without indexing when search is off, and searchNotes says so', async () => {
    // Prepare
    const indexer = await load<IndexerModule>('./handler', { ...CREDENTIALS, SEARCH_ENGINE: 'none' });
    const search = await load<SearchModule>('../search/handler', { ...CREDENTIALS, SEARCH_ENGINE: 'none' });

    // Act
    const result = await indexer.handler({
      Records: [streamRecord({ eventName: 'INSERT', newImage: note('a'), seq: '9' })],
    });

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    await expect(search.handler({ arguments: { query: 'x' }, identity: { sub: 's', username: 'u' } })).rejects.toThrow(
      /Search is switched off/,
    );
    expect(calls).toEqual([]);
  });
});
