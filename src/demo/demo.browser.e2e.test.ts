import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../local/auth/totp';
import { consoleUsers, contains, openPanel, runInGraphiql } from '../test/console-page';
import { freePorts, type NpmStart, npmStart } from '../test/npm-start';
import { buildDemo, type DemoServer, serveDemo } from './server';

/**
 * Issue 13: the demo app in headless Chromium (Debian's), against the
 * backend `npm start` runs (scripts/start.ts in a child process, on fixed
 * ports): sign-up with the code from the codes endpoint, SRP sign-in, notes
 * (CRUD, live from another session, photos single and multipart), search,
 * a live message, TOTP, account settings; then each page of the local
 * console shows that state (before the account is deleted); then a restart on
 * the same data folder that the signed-in page survives.
 */
const CHROMIUM = '/usr/bin/chromium';
const DATA_DIR = resolve('.amplify/test-local/demo');
const OUTPUTS = join(DATA_DIR, 'amplify_outputs.json');
const SHOTS = resolve('.amplify/screenshots/demo');
const CONSOLE_SHOTS = resolve('.amplify/screenshots/demo-console');
const PASSWORD = 'Correct-Horse-9-Battery';
const NEW_PASSWORD = 'Battery-Staple-7-Horse';
const RESET_PASSWORD = 'Staple-Horse-5-Correct';
const ADA = 'ada.demo@example.com';
const BOB = 'bob.demo@example.com';

let backend: NpmStart | undefined;
let ports: Record<string, number> = {};
let browser: Browser;
let demo: DemoServer;
const contexts: BrowserContext[] = [];
const problems: string[] = [];

const startBackend = async (reset: boolean): Promise<void> => {
  // The first start may synthesize amplify/ (minutes on a busy CI machine); a restart reuses it.
  backend = await npmStart({ dataDir: DATA_DIR, outputsFile: OUTPUTS, ports, reset, timeoutMs: 280_000 });
};

const stopBackend = async (): Promise<void> => {
  await backend?.stop();
  backend = undefined;
};

const outputs = (): { custom: { local: { user_pool_endpoint: string; admin_credentials_file: string } } } =>
  JSON.parse(readFileSync(OUTPUTS, 'utf8'));

/** The newest code sent to an address, read as a tool reads it: the codes endpoint with the admin secret. */
const latestCode = async (email: string, kind = 'verification'): Promise<string> => {
  const local = outputs().custom.local;
  const { secretAccessKey } = JSON.parse(readFileSync(local.admin_credentials_file, 'utf8'));
  const response = await fetch(`${local.user_pool_endpoint}/_local/codes?username=${encodeURIComponent(email)}`, {
    headers: { authorization: `Bearer ${secretAccessKey}` },
  });
  expect(response.status).toBe(200);
  const { codes } = (await response.json()) as { codes: Array<{ code: string; kind: string }> };
  const code = codes.filter((c) => c.kind === kind).at(-1)?.code;
  if (!code) throw new Error(`no ${kind} code for ${email}`);
  return code;
};

/** A PNG of the given size: solid colour, or noise (which deflate cannot shrink: a large file). */
const png = (width: number, height: number, noise: boolean): Buffer => {
  const chunk = (type: string, body: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    const typed = Buffer.concat([Buffer.from(type, 'latin1'), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = 1 + width * 3;
  const pixels = noise ? randomBytes(row * height) : Buffer.alloc(row * height);
  for (let y = 0; y < height; y++) {
    pixels[y * row] = 0; // filter: none
    if (!noise) for (let x = 0; x < width; x++) pixels.set([30, 120, 200], y * row + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels, { level: noise ? 0 : 6 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
};

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

const newPage = async (): Promise<Page> => {
  // The local CA is not in this Chromium's store (HTTPS and WSS to the backend); everything else is enforced.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1000, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(demo.url);
  return page;
};

const signedIn = (page: Page, email: string) =>
  page.getByTestId('signed-in-as').filter({ hasText: email }).waitFor({ timeout: 20_000 });

const signUp = async (page: Page, email: string): Promise<void> => {
  await page.getByRole('tab', { name: 'Create Account' }).click();
  await page.locator('input[name="email"]').fill(email);
  await page.locator('input[name="password"]').fill(PASSWORD);
  await page.locator('input[name="confirm_password"]').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create Account' }).click();
  const codeField = page.locator('input[name="confirmation_code"]');
  await codeField.waitFor();
  await codeField.fill(await latestCode(email));
  await page.getByRole('button', { name: 'Confirm' }).click();
  // The Authenticator signs in after the confirmation (autoSignIn).
  await signedIn(page, email);
};

/** Sign-in as the Authenticator does it: USER_SRP_AUTH, then the TOTP step when the user has one. */
const signIn = async (page: Page, email: string, password: string, totpSecret?: string): Promise<string[]> => {
  const flows: string[] = [];
  page.on('request', (request) => {
    if (request.headers()['x-amz-target']?.endsWith('.InitiateAuth'))
      flows.push(String(JSON.parse(request.postData() ?? '{}').AuthFlow));
  });
  await page.locator('input[name="username"]').fill(email);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  if (totpSecret) {
    const code = page.locator('input[name="confirmation_code"]');
    await code.waitFor();
    await code.fill(totpCode(totpSecret));
    await page.getByRole('button', { name: 'Confirm' }).click();
  }
  await signedIn(page, email);
  return flows;
};

const tab = (page: Page, name: string) => page.getByRole('tab', { name }).click();

const note = (page: Page, headline: string) => page.locator(`[data-testid="note"][data-headline="${headline}"]`);

const addNote = async (page: Page, headline: string, text: string, photo?: { name: string; buffer: Buffer }) => {
  const form = page.getByTestId('new-note');
  await form.locator('input[name="headline"]').fill(headline);
  await form.locator('textarea[name="text"]').fill(text);
  if (photo) await form.locator('input[name="photo"]').setInputFiles({ ...photo, mimeType: 'image/png' });
  await form.getByRole('button', { name: 'Add note' }).click();
  await note(page, headline).waitFor({ timeout: 30_000 });
};

/** The note's photo, loaded and decoded (naturalWidth > 0), or 0 if it never loads. */
const photoWidth = async (page: Page, headline: string): Promise<number> => {
  const img = note(page, headline).getByTestId('photo');
  await img.waitFor({ timeout: 20_000 });
  await page.waitForFunction((el) => el instanceof HTMLImageElement && el.complete, await img.elementHandle(), {
    timeout: 20_000,
  });
  return img.evaluate((el) => (el instanceof HTMLImageElement ? el.naturalWidth : 0));
};

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  mkdirSync(CONSOLE_SHOTS, { recursive: true });
  // Another process may take a probed port before the start binds it: then new ones, a bounded number of times.
  const firstStart = async () => {
    for (let attempt = 1; ; attempt++) {
      ports = await freePorts();
      try {
        return await startBackend(true);
      } catch (error) {
        if (attempt >= 3 || !String(error).includes('PortInUseError')) throw error;
      }
    }
  };
  const [bundle] = await Promise.all([buildDemo(), firstStart()]);
  demo = await serveDemo({ outputsFile: OUTPUTS, port: 0, bundle });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}, 300_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await demo?.close();
  await stopBackend();
  if (problems.length > 0) console.log(`browser problems:\n${problems.join('\n')}`);
});

describe.skipIf(!existsSync(CHROMIUM))('the demo app in Chromium', () => {
  let ada: Page;
  let bob: Page;
  /** Ada's sub, as the demo shows it. */
  let adaId = '';
  /** The storage paths of Ada's photos, as the demo loads them. */
  const photoPaths: string[] = [];

  it('signs up with the emailed code, signs in with SRP, and does note CRUD with photos, live', async () => {
    // Prepare: two users, each signed up in the page with the code from the codes endpoint
    ada = await newPage();
    await ada.locator('input[name="username"]').waitFor();
    await shot(ada, '01-sign-in');
    await signUp(ada, ADA);
    bob = await newPage();
    await signUp(bob, BOB);
    // SRP sign-in: sign out and in again
    await ada.getByRole('button', { name: 'Sign out' }).click();
    expect(await signIn(ada, ADA, PASSWORD)).toEqual(['USER_SRP_AUTH']);
    await ada.getByTestId('notes-status').filter({ hasText: '0 notes loaded' }).waitFor();

    // Act: create, edit, delete
    await addNote(ada, 'Harbour walk', 'lighthouse keepers at dawn');
    await addNote(ada, 'Scratch', 'to be deleted');
    await note(ada, 'Scratch').getByRole('button', { name: 'Delete' }).click();
    await note(ada, 'Scratch').waitFor({ state: 'detached' });
    await note(ada, 'Harbour walk').getByRole('button', { name: 'Edit' }).click();
    await note(ada, 'Harbour walk').locator('textarea').fill('lighthouse keepers at dusk');
    await note(ada, 'Harbour walk').getByRole('button', { name: 'Save' }).click();
    await note(ada, 'Harbour walk').getByText('lighthouse keepers at dusk').waitFor();

    // A note made in another session of the same user arrives live, without a reload
    const other = await newPage();
    await signIn(other, ADA, PASSWORD);
    await addNote(other, 'From the other tab', 'made elsewhere');
    await note(ada, 'From the other tab').waitFor({ timeout: 15_000 });
    await other.context().close();

    // Photos: one PUT, and a multipart upload (over 5 MB), each shown from a presigned URL
    const uploads: string[] = [];
    ada.on('request', (r) => {
      const url = new URL(r.url());
      if (url.searchParams.has('uploads')) uploads.push('create');
      if (url.searchParams.has('partNumber')) uploads.push('part');
    });
    await addNote(ada, 'Small photo', 'one PUT', { name: 'small.png', buffer: png(64, 48, false) });
    expect(uploads).toEqual([]);
    const big = png(1500, 1450, true);
    expect(big.length).toBeGreaterThan(6 * 1024 * 1024);
    await addNote(ada, 'Big photo', 'multipart', { name: 'big.png', buffer: big });
    expect(uploads[0]).toBe('create');
    expect(uploads.filter((u) => u === 'part').length).toBeGreaterThanOrEqual(2);
    // Assess
    expect(await photoWidth(ada, 'Small photo')).toBe(64);
    expect(await photoWidth(ada, 'Big photo')).toBe(1500);
    for (const headline of ['Small photo', 'Big photo'])
      photoPaths.push((await note(ada, headline).getByTestId('photo').getAttribute('alt')) ?? '');
    expect(photoPaths.every((p) => p.startsWith('media/'))).toBe(true);
    await ada.getByRole('button', { name: 'Refresh' }).click();
    await ada.getByTestId('notes-status').filter({ hasText: '4 notes loaded' }).waitFor();
    expect(await ada.getByTestId('note').count()).toBe(4);
    await shot(ada, '02-notes');
  }, 150_000);

  it('searches the notes and receives a message live', async () => {
    // Search: the stream indexes a note within seconds, so the page asks again until it shows
    await tab(ada, 'Search');
    await ada.locator('input[name="query"]').fill('lighthouse');
    let found = '';
    for (let i = 0; i < 40 && found !== '1 found'; i++) {
      await ada.getByRole('button', { name: 'Search' }).click();
      await ada.getByTestId('hit-count').waitFor();
      await ada.waitForTimeout(250);
      found = (await ada.getByTestId('hit-count').textContent()) ?? '';
    }
    expect(found).toBe('1 found');
    await expect.poll(() => ada.getByTestId('hit').first().textContent()).toContain('dusk');
    await shot(ada, '03-search');

    // Messages: Bob writes to Ada's id; her open page shows it without a reload
    await tab(ada, 'Messages');
    adaId = (await ada.getByTestId('my-id').textContent()) ?? '';
    expect(adaId).toMatch(/^[0-9a-f-]{36}$/);
    await tab(bob, 'Messages');
    await bob.locator('input[name="to"]').fill(adaId);
    await bob.locator('input[name="body"]').fill('Hello Ada, from Bob');
    await bob.getByRole('button', { name: 'Send' }).click();
    await bob.getByTestId('sent').waitFor();
    await ada.getByTestId('message').filter({ hasText: 'Hello Ada, from Bob' }).waitFor({ timeout: 15_000 });
    await shot(ada, '04-message');
    expect(await bob.getByTestId('message').count()).toBe(0);
  }, 90_000);

  it('sets up TOTP, changes the name and password, signs in with both factors, and resets the password', async () => {
    // TOTP
    await tab(ada, 'Account');
    await ada.getByRole('button', { name: 'Set up TOTP' }).click();
    const secret = (await ada.getByTestId('totp-secret').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await ada.locator('input[name="totp-code"]').fill(totpCode(secret));
    await ada.getByRole('button', { name: 'Verify and turn on' }).click();
    await ada.getByTestId('totp-status').filter({ hasText: 'TOTP is on' }).waitFor();
    // Name and password
    await ada.locator('input[name="name"]').fill('Ada Lovelace');
    await ada.getByRole('button', { name: 'Save name' }).click();
    await ada.getByTestId('account-status').filter({ hasText: 'Name saved' }).waitFor();
    await ada.locator('input[name="old-password"]').fill(PASSWORD);
    await ada.locator('input[name="new-password"]').fill(NEW_PASSWORD);
    await ada.getByRole('button', { name: 'Change password' }).click();
    await ada.getByTestId('account-status').filter({ hasText: 'Password changed' }).waitFor();
    await shot(ada, '05-account');
    // Sign in again: the new password, then a TOTP code
    await ada.getByRole('button', { name: 'Sign out' }).click();
    expect(await signIn(ada, ADA, NEW_PASSWORD, secret)).toEqual(['USER_SRP_AUTH']);
    await tab(ada, 'Account');
    await expect.poll(() => ada.locator('input[name="name"]').inputValue()).toBe('Ada Lovelace');
    // Forgot password: the reset code from the codes endpoint, then both factors again
    await ada.getByRole('button', { name: 'Sign out' }).click();
    await ada.getByRole('button', { name: 'Forgot your password?' }).click();
    await ada.locator('input[name="username"]').fill(ADA);
    await ada.getByRole('button', { name: 'Send code' }).click();
    await ada.locator('input[name="confirmation_code"]').waitFor();
    await ada.locator('input[name="confirmation_code"]').fill(await latestCode(ADA, 'password-reset'));
    await ada.locator('input[name="password"]').fill(RESET_PASSWORD);
    await ada.locator('input[name="confirm_password"]').fill(RESET_PASSWORD);
    await ada.getByRole('button', { name: 'Submit' }).click();
    await ada.locator('input[name="username"]').waitFor();
    await signIn(ada, ADA, RESET_PASSWORD, secret);
  }, 90_000);

  it("shows on each console page the state the demo created, and the demo's requests live", async () => {
    // Prepare: the console in the same Chromium, signed in with the banner's one-time link
    const login = /Console\s+(http:\/\/127\.0\.0\.1:\d+\/login\?token=\S+)/.exec(backend?.output ?? '')?.[1];
    if (!login) throw new Error(`no console link in the banner:\n${backend?.output}`);
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`console pageerror: ${error.message}`));
    // The request log's full page is thousands of rows: its shot is the window, newest first.
    const shot = (name: string, fullPage = true) =>
      page.screenshot({ path: join(CONSOLE_SHOTS, `${name}.png`), fullPage });
    await page.goto(login);
    const usersTable = page.getByRole('table', { name: 'users' });
    await usersTable.waitFor();
    const users = await consoleUsers(page);
    const userOf = (email: string) => {
      const found = users.find((u) => u.attributes.email === email);
      const sub = found?.attributes.sub;
      if (!found || !sub) throw new Error(`${email} is not among ${JSON.stringify(users)}`);
      return { username: found.username, sub, owner: `${sub}::${found.username}` };
    };
    const [adaUser, bobUser] = [userOf(ADA), userOf(BOB)];
    expect(adaUser.sub).toBe(adaId);
    const row = (within: Locator, ...texts: string[]) =>
      texts.reduce((rows, text) => rows.filter({ hasText: text }), within.getByRole('row'));

    // Users: both demo users, confirmed, Ada with the name her account page saved
    await contains(row(usersTable, ADA), 'CONFIRMED');
    await contains(row(usersTable, ADA), adaUser.username);
    await contains(row(usersTable, BOB), 'CONFIRMED');
    expect(users.find((u) => u.username === adaUser.username)?.attributes.name).toBe('Ada Lovelace');
    await shot('users');

    // Data: Ada's notes with her as owner (the deleted one is not live), and Bob's message to her
    await openPanel(page, 'Data');
    await page.getByLabel('Model').selectOption('Note');
    const notes = page.getByRole('table', { name: 'Note records' });
    for (const headline of ['Harbour walk', 'From the other tab', 'Small photo', 'Big photo']) {
      await contains(row(notes, headline), adaUser.owner);
      expect(await row(notes, headline).getByTestId('deleted').count()).toBe(0);
    }
    // Conflict detection keeps the deleted note in the table, marked so
    await row(notes, 'Scratch').getByTestId('deleted').waitFor();
    await contains(row(notes, 'Harbour walk'), 'lighthouse keepers at dusk');
    // (the table cuts long values short)
    await contains(row(notes, 'Big photo'), (photoPaths[1] ?? 'no big photo').slice(0, 60));
    await shot('data-notes');
    await page.getByLabel('Model').selectOption('Message');
    const messages = page.getByRole('table', { name: 'Message records' });
    await contains(row(messages, 'Hello Ada, from Bob'), bobUser.sub);
    await contains(row(messages, 'Hello Ada, from Bob'), adaUser.owner);
    await shot('data-messages');

    // Files: both photos under Ada's media folder
    await openPanel(page, 'Files');
    for (const path of photoPaths) await page.getByRole('link', { name: path }).first().waitFor();
    await shot('files');

    // Outbox: the sign-up codes and the reset code, the same the codes endpoint gave
    await openPanel(page, 'Outbox');
    const outbox = page.getByRole('table', { name: 'outbox' });
    // (by the Kind cell: a reset message's body says "verification code" too)
    const sent = (to: string, kind: string) =>
      row(outbox, to).filter({ has: page.getByRole('cell', { name: kind, exact: true }) });
    await contains(sent(ADA, 'password-reset'), await latestCode(ADA, 'password-reset'));
    await contains(sent(ADA, 'verification'), await latestCode(ADA));
    await contains(sent(BOB, 'verification'), await latestCode(BOB));
    await shot('outbox');

    // Search index: the demo's notes, as the stream indexed them
    await openPanel(page, 'Search index');
    const documents = page.getByRole('table', { name: 'search documents' });
    for (const text of ['lighthouse keepers at dusk', 'From the other tab', 'Big photo'])
      await contains(documents, text, 15_000);
    await shot('search');

    // GraphQL: signed in as Ada, her notes by the owner index, as the demo lists them
    await openPanel(page, 'GraphQL');
    await page.getByLabel('Signed in as').selectOption(adaUser.username);
    const response = await runInGraphiql(
      page,
      `query { listNotesByOwner(owner: "${adaUser.owner}") { items { headline text photoKey owner } } }`,
    );
    for (const headline of ['Harbour walk', 'From the other tab', 'Small photo', 'Big photo'])
      await contains(response, headline, 20_000);
    // The owner field's own resolver (the transformer's VTL) answers the part after `::`, as AppSync does
    await contains(response, `"owner": "${adaUser.username}"`);
    expect(await response.textContent()).not.toContain('Scratch');
    await shot('graphql');

    // Functions: every function the backend defines
    await openPanel(page, 'Functions');
    const listed = (await page.getByLabel('Function').locator('option').allTextContents()).map((n) =>
      n.toLowerCase().replace(/[^a-z]/g, ''),
    );
    for (const name of ['conflict-handler', 'indexer', 'post-confirmation', 'push', 'rest-api', 'search'])
      expect(listed.some((n) => n.includes(name.replace(/-/g, '')))).toBe(true);
    await shot('functions');

    // Dead letters: the page loads (the demo left none)
    await openPanel(page, 'Dead letters');
    await page.getByRole('table', { name: 'dead letters' }).waitFor();
    await shot('dead-letters');

    // Requests: a note Ada adds in the demo shows up in the open log, live
    await openPanel(page, 'Requests');
    await page.getByText('live', { exact: true }).waitFor();
    const log = page.getByRole('table', { name: 'requests' });
    const since = new Date().toISOString().slice(11, 23);
    await tab(ada, 'Notes');
    await addNote(ada, 'Seen in the console', 'a live request');
    const liveCreates = () =>
      row(log, 'createNote').evaluateAll(
        (rows, after) => rows.filter((r) => (r.querySelector('td')?.textContent ?? '') >= after).length,
        since,
      );
    await expect.poll(liveCreates, { timeout: 15_000 }).toBeGreaterThan(0);
    await shot('requests', false);
  }, 120_000);

  it('deletes the account', async () => {
    await tab(ada, 'Account');
    // Delete the account: back at the sign-in form, and that user is gone
    await ada.getByRole('button', { name: 'Delete my account' }).click();
    await ada.locator('input[name="username"]').waitFor({ timeout: 15_000 });
    await ada.locator('input[name="username"]').fill(ADA);
    await ada.locator('input[name="password"]').fill(RESET_PASSWORD);
    await ada.getByRole('button', { name: 'Sign in', exact: true }).click();
    await ada.locator('.amplify-alert').waitFor();
    expect(await ada.locator('.amplify-alert').textContent()).toMatch(/incorrect username or password|does not exist/i);
    await shot(ada, '06-deleted');
  }, 90_000);

  it('keeps ports, outputs and the signed-in session across a restart of npm start', async () => {
    // Prepare
    const before = readFileSync(OUTPUTS);
    const signIns: string[] = [];
    bob.on('request', (r) => {
      const target = r.headers()['x-amz-target'] ?? '';
      if (/\.(InitiateAuth|RespondToAuthChallenge)$/.test(target)) signIns.push(target);
    });
    await tab(bob, 'Notes');
    await bob.getByTestId('notes-status').filter({ hasText: '0 notes loaded' }).waitFor();
    // Act: stop, start again on the same data folder and ports; the page is neither reloaded nor rebuilt
    await stopBackend();
    await startBackend(false);
    // Assess
    expect(readFileSync(OUTPUTS).equals(before)).toBe(true);
    const loadedBefore = (await bob.getByTestId('notes-status').textContent()) ?? '';
    await bob.getByRole('button', { name: 'Refresh' }).click();
    // A list loaded anew (its time changed), with no error: the old tokens still pass.
    await expect.poll(() => bob.getByTestId('notes-status').textContent(), { timeout: 15_000 }).not.toBe(loadedBefore);
    expect(await bob.getByTestId('error').count()).toBe(0);
    await addNote(bob, 'After the restart', 'same session');
    await bob.getByRole('button', { name: 'Refresh' }).click();
    await bob.getByTestId('notes-status').filter({ hasText: '1 note loaded' }).waitFor();
    await expect.poll(() => bob.getByTestId('signed-in-as').textContent()).toBe(BOB);
    expect(signIns).toEqual([]);
    expect(problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
    await shot(bob, '07-after-restart');
  }, 200_000);
});
