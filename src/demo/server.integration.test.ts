import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, serveDemo } from './server';

/**
 * The demo's page server: the outputs file is read on every request (a
 * backend that rewrote it needs no rebuild), and it serves nothing else.
 * The bundle is the test's own text here; the browser test builds the real one.
 */
const dir = mkdtempSync(join(tmpdir(), 'demo-server-'));
const outputsFile = join(dir, 'amplify_outputs.json');
let demo: DemoServer;

beforeAll(async () => {
  demo = await serveDemo({ outputsFile, port: 0, bundle: { js: 'console.log("demo")', css: 'body{}' } });
});

afterAll(async () => {
  await demo?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('serveDemo', () => {
  it('serves the page, its bundle and the current outputs on 127.0.0.1', async () => {
    expect(demo.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(demo.url);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<script type="module" src="/main.js">');
    expect(await (await fetch(new URL('/main.js', demo.url))).text()).toBe('console.log("demo")');
    expect(await (await fetch(new URL('/main.css', demo.url))).text()).toBe('body{}');
    writeFileSync(outputsFile, '{"version":"1.4"}');
    expect(await (await fetch(new URL('/amplify_outputs.json', demo.url))).json()).toEqual({ version: '1.4' });
    writeFileSync(outputsFile, '{"version":"1.4","custom":{}}');
    expect(await (await fetch(new URL('/amplify_outputs.json', demo.url))).json()).toEqual({
      version: '1.4',
      custom: {},
    });
  });

  it('answers 503 without outputs, 405 to writes and 404 elsewhere', async () => {
    rmSync(outputsFile, { force: true });
    expect((await fetch(new URL('/amplify_outputs.json', demo.url))).status).toBe(503);
    expect((await fetch(demo.url, { method: 'POST', body: 'x' })).status).toBe(405);
    expect((await fetch(new URL('/../etc/passwd', demo.url))).status).toBe(404);
    expect((await fetch(new URL('/src/demo/main.tsx', demo.url))).status).toBe(404);
  });
});
