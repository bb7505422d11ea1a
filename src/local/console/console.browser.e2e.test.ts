import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { consoleUsers, contains, openPanel, runInGraphiql } from '../../test/console-page';
import { TEST_TLS_DIR } from '../../test/e2e.global-setup';
import { createLocalBackend, type LocalBackend } from '../backend';

/**
 * Issue 13: the local console in headless Chromium over the whole local
 * backend. It signs in with the banner's one-time link, creates a user on the
 * Users page, a note through GraphiQL signed in as that user, and a file, then
 * checks that each page loads and shows that state. Screenshots go to
 * `.amplify/screenshots/console/`.
 */
const CHROMIUM = '/usr/bin/chromium';
const DATA_DIR = resolve('.amplify/test-console');
const SHOTS = resolve('.amplify/screenshots/console');
const EMAIL = 'console-ada@example.com';
const PASSWORD = 'Correct-Horse-9!';
const HEADLINE = `Written in GraphiQL ${Date.now()}`;

let backend: LocalBackend;
let browser: Browser;
let page: Page;
/** The user's username as the pool keeps it (a sign-in with email gets a generated one, as on Cognito). */
let username = '';

/** The app's bucket, as amplify_outputs.json names it. */
const bucketName = (): string => {
  const storage = backend.outputs.storage;
  return typeof storage === 'object' && storage !== null && 'bucket_name' in storage
    ? String(storage.bucket_name)
    : 'bucket';
};

/** The indexer's function name, as the console lists the running functions. */
const indexerName = async (): Promise<string> => {
  const listed: { functions: Array<{ name: string }> } = await page.evaluate(async () =>
    (await fetch('/api/functions')).json(),
  );
  const found = listed.functions.find((f) => /indexer/i.test(f.name))?.name;
  if (!found) throw new Error(`no indexer among ${JSON.stringify(listed.functions)}`);
  return found;
};

const open = (panel: string) => openPanel(page, panel);
const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  backend = await createLocalBackend({ dataDir: DATA_DIR, reset: true, tlsDir: TEST_TLS_DIR, outputsFile: false });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await backend?.dispose();
  rmSync(DATA_DIR, { recursive: true, force: true });
});

it('signs in with the one-time link and shows the users page, timed', async () => {
  const started = performance.now();
  await page.goto(backend.console.loginUrl());
  await page.getByRole('heading', { name: 'Local console' }).first().waitFor();
  await page.getByRole('table', { name: 'users' }).waitFor();
  const ms = performance.now() - started;
  const bundle = await backend.console.bundle.get();
  console.log(
    `console first load: ${Math.round(ms)} ms (bundle ${bundle.built ? `built in ${Math.round(bundle.ms)} ms` : `from the cache in ${Math.round(bundle.ms)} ms`}, ${(bundle.js.length / 1e6).toFixed(2)} MB js)`,
  );
  expect(page.url()).toBe(`${backend.console.url}/`);
  const reloaded = performance.now();
  await page.reload();
  await page.getByRole('table', { name: 'users' }).waitFor();
  console.log(`console reload (browser cache): ${Math.round(performance.now() - reloaded)} ms`);
});

it('users: creates a user on the page', async () => {
  await page.getByLabel('Username').fill(EMAIL);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create user' }).click();
  const row = page.getByRole('row').filter({ hasText: EMAIL });
  await contains(row, 'CONFIRMED');
  await row.getByRole('button', { name: 'Add to group' }).click();
  await contains(row, 'Admins');
  username = (await consoleUsers(page)).find((u) => u.attributes.email === EMAIL)?.username ?? '';
  expect(username).not.toBe('');
  await shot('users');
});

it('graphql: creates a note in GraphiQL signed in as that user', async () => {
  await open('GraphQL');
  await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
  expect(await page.getByLabel('Signed in as').inputValue()).toBe(username);
  const response = await runInGraphiql(
    page,
    `mutation { createNote(input: { id: "console-note-1", headline: "${HEADLINE}", text: "from the console" }) { id headline owner } }`,
  );
  await contains(response, HEADLINE, 20_000);
  await contains(response, username);
  await shot('graphql');
});

it('graphql: a subscription in GraphiQL shows a note created meanwhile, over the realtime endpoint', async () => {
  const live = `Seen live in GraphiQL ${Date.now()}`;
  const response = await runInGraphiql(page, 'subscription { onCreateNote { id headline owner } }');
  // GraphiQL is listening once its execute button has become the stop button.
  await page.locator('.graphiql-execute-button[aria-label*="Stop" i]').waitFor({ timeout: 20_000 });
  const status = await page.evaluate(
    async ({ as, headline }) =>
      (
        await fetch('/api/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            as,
            // AppSync's events carry only what the mutation selected.
            query: `mutation { createNote(input: { headline: "${headline}" }) { id headline owner } }`,
          }),
        })
      ).status,
    { as: username, headline: live },
  );
  expect(status).toBe(200);
  await contains(response, live, 20_000);
  await contains(response, username);
  // Stop: the relay closes its realtime subscription.
  await page.locator('.graphiql-execute-button').click();
  await page.locator('.graphiql-execute-button[aria-label*="Execute" i]').waitFor();
  await shot('graphql-subscription');
});

it('data: shows the note with its owner', async () => {
  await open('Data');
  await page.getByLabel('Model').selectOption('Note');
  const row = page.getByRole('row').filter({ hasText: HEADLINE });
  await row.first().waitFor();
  await contains(row, username);
  await shot('data');
});

it('files: uploads a file and lists it', async () => {
  await open('Files');
  const upload = page.getByLabel(/^upload to /).first();
  await page.getByLabel('Upload under').first().fill('published/console/');
  await upload.setInputFiles({
    name: 'hello.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('hello from the console'),
  });
  await page.getByRole('link', { name: 'published/console/hello.txt' }).first().waitFor();
  await shot('files');
});

it('outbox: shows the temporary password the pool sent', async () => {
  await open('Outbox');
  await contains(page.getByRole('row').filter({ hasText: EMAIL }).first(), 'temporary-password');
  await shot('outbox');
});

it('search: shows the indexed note', async () => {
  await backend.drainStreams();
  await open('Search index');
  await contains(page.getByRole('table', { name: 'search documents' }), HEADLINE, 15_000);
  await shot('search');
});

it('dead letters: lists one and replays it into its function', async () => {
  // A dead letter as an asynchronous invocation (a storage trigger's) leaves it, for the indexer.
  const indexer = await indexerName();
  backend.deadLetters.add({
    mapping: `s3:${bucketName()} -> ${indexer}`,
    at: new Date().toISOString(),
    reason: 'Error: failed in the test (after 2 retries)',
    sequenceNumbers: [],
    keys: [{ Records: [] }],
  });
  await open('Dead letters');
  const row = page.getByRole('row').filter({ hasText: indexer });
  await row.first().waitFor();
  await row.getByRole('button', { name: 'Replay' }).click();
  await contains(page.getByTestId('replay-result'), '"ok": true');
  await contains(row, 'ok at');
  await shot('dead-letters');
});

it('requests: the live log shows the mutation and the upload', async () => {
  await open('Requests');
  const log = page.getByRole('table', { name: 'requests' });
  await contains(log, 'mutation createNote');
  await contains(log, 'PutObject');
  await shot('requests');
});

it('functions: invokes a function with an event and shows its result and logs', async () => {
  await open('Functions');
  await page.getByLabel('Event (JSON)').fill('{"Records": []}');
  await page.getByRole('button', { name: 'Invoke' }).click();
  await contains(page.getByTestId('invoke-result'), /succeeded|failed/, 20_000);
  await shot('functions');
});
