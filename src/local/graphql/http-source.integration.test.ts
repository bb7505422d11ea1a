import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invokeHttpSource } from './http-source';

/** An AppSync HTTP data source against a real loopback server. */
describe('the HTTP data source', () => {
  let server: Server;
  let endpoint: string;
  const seen: Array<{ method?: string; url?: string; headers: IncomingMessage['headers']; body: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(req.url?.startsWith('/missing') ? 404 : 200, {
          'content-type': 'application/json',
          'x-echo': 'yes',
        });
        res.end(JSON.stringify({ ok: true, url: req.url }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the method, path, query, headers and body, and answers statusCode, headers and the body as text', async () => {
    const answer = await invokeHttpSource(`${endpoint}/`, {
      method: 'post',
      resourcePath: '/v1/rates',
      params: { query: { base: 'EUR', n: 2 }, headers: { 'x-api-key': 'k' }, body: { amount: 3 } },
    });
    expect(answer.error).toBeUndefined();
    expect(answer.result).toMatchObject({
      statusCode: 200,
      headers: expect.objectContaining({ 'x-echo': 'yes' }),
      body: JSON.stringify({ ok: true, url: '/v1/rates?base=EUR&n=2' }),
    });
    expect(seen.at(-1)).toMatchObject({
      method: 'POST',
      url: '/v1/rates?base=EUR&n=2',
      headers: expect.objectContaining({ 'x-api-key': 'k' }),
      body: '{"amount":3}',
    });
  });

  it('hands a 404 to the response handler as a result, not an error', async () => {
    const answer = await invokeHttpSource(endpoint, { method: 'GET', resourcePath: '/missing' });
    expect(answer).toMatchObject({ result: { statusCode: 404 } });
  });

  it('refuses a request the mapping got wrong, and reports a server that is not there', async () => {
    expect((await invokeHttpSource(endpoint, { method: 'FETCH', resourcePath: '/' })).error?.type).toBe(
      'MappingTemplate',
    );
    expect((await invokeHttpSource(endpoint, { method: 'GET', resourcePath: 'no-slash' })).error?.type).toBe(
      'MappingTemplate',
    );
    expect((await invokeHttpSource(endpoint, 'GET /')).error?.type).toBe('MappingTemplate');
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await invokeHttpSource(`http://127.0.0.1:${port}`, { method: 'GET', resourcePath: '/' });
    expect(refused.error?.type).toBe('HttpConnectionError');
  });
});
