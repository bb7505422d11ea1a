import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKET, CREDENTIALS, type S3Fixture, startS3Fixture } from '../../test/local-s3';
import { corsRulesOf } from './cors';

/**
 * Issue 13: browser uploads. The real Amplify Storage client runs in headless
 * Chromium on another origin (a plain HTTP page), so the browser preflights
 * every call and enforces the answers: uploadData (single and multipart, which
 * reads ETag), getUrl with validateObjectExistence (a HeadObject), list (with
 * and without a delimiter), downloadData and remove.
 */
const CHROMIUM = '/usr/bin/chromium';
const MEDIA_CORS = corsRulesOf({
  CorsRules: [
    {
      AllowedHeaders: ['*'],
      AllowedMethods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'],
      AllowedOrigins: ['*'],
      ExposedHeaders: ['x-amz-server-side-encryption', 'x-amz-request-id', 'x-amz-id-2', 'ETag'],
      MaxAge: 3000,
    },
  ],
});

let s3: S3Fixture;
let page: Server;
let pageUrl = '';
let browser: Browser;

beforeAll(async () => {
  s3 = await startS3Fixture({ buckets: [BUCKET, 'nocors.local'], cors: { [BUCKET]: MEDIA_CORS } });
  const bundle = await build({
    entryPoints: [resolve('src/local/storage/browser-client.fixture.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]?.text ?? '';
  page = createServer((req, res) => {
    if (req.url === '/client.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(script);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><html><body><script src="/client.js"></script></body></html>');
  });
  await new Promise<void>((r) => page.listen(0, '127.0.0.1', () => r()));
  const address = page.address();
  pageUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => page?.close(r));
  await s3?.close();
});

const inBrowser = async (bucket: string): Promise<Record<string, unknown>> => {
  // The local CA is not in this Chromium's store; CORS is enforced all the same.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const tab = await context.newPage();
    await tab.goto(pageUrl);
    return await tab.evaluate(
      async ([setup, name]) => {
        const run: unknown = Reflect.get(globalThis, 'storageTest');
        if (typeof run !== 'function') throw new Error('the client bundle did not load');
        return run(setup, name);
      },
      [{ endpoint: s3.storage.endpoint, bucket, credentials: CREDENTIALS }, bucket] as const,
    );
  } finally {
    await context.close();
  }
};

describe.skipIf(!existsSync(CHROMIUM))('Amplify Storage in a browser', () => {
  it('uploads (single and multipart), checks existence, lists, downloads and removes through the bucket’s CORS rules', async () => {
    // Act
    const result = await inBrowser(BUCKET);
    // Assess
    expect(result).toMatchObject({
      fetched: 'uploaded from a browser',
      missing: 'NotFound',
      listed: ['own/browser-big.bin', 'own/browser.txt'],
      folders: ['own/'],
      downloaded: 'uploaded from a browser',
      afterRemove: ['own/browser-big.bin'],
    });
    expect(String(result.singleEtag)).toMatch(/^"[0-9a-f]{32}"$/);
    expect(String(result.multipartEtag)).toMatch(/^"[0-9a-f]{32}-2"$/);
    const stored = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'own/browser-big.bin' }));
    const bytes = Buffer.from((await stored.Body?.transformToByteArray()) ?? []);
    const expected = Buffer.from(new Uint8Array(6 * 1024 * 1024).map((_, i) => i % 251));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(createHash('sha256').update(expected).digest('hex'));
  }, 120_000);

  it('fails in the browser when the bucket has no CORS rules', async () => {
    const result = await inBrowser('nocors.local');
    expect(String(result.error)).toMatch(/fetch|network/i);
  }, 60_000);
});
