import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import { TEST_TLS_DIR } from '../test/e2e.global-setup';
import { createLocalBackend, type LocalBackend } from './backend';
import { PROJECT_ROOT } from './cloud/synth';
import { loadOrCreateTls } from './tls';

/**
 * Social sign-in offline, as the Firebase Auth emulator gives it: a Gen 2
 * backend with `externalProviders` (Google and an OIDC provider, a
 * post-confirmation trigger) runs locally; a page using the real aws-amplify
 * `signInWithRedirect({ provider: 'Google' })` in headless Chromium lands on
 * the local provider page, submits it, comes back with a code that Amplify
 * redeems at the local token endpoint, and is then signed in as the
 * federated user: its token passes the API's owner rule, and `signOut()`
 * goes through the local `/logout` back to the app's logout URL.
 */
const CHROMIUM = '/usr/bin/chromium';
const PROJECT = resolve('src/local/test-fixtures/gen2/social-sign-in');
const DATA_DIR = resolve('.amplify/test-local/social-sign-in-browser');
const OUTPUTS = join(DATA_DIR, 'amplify_outputs.json');
const WORK = resolve('.amplify/test-browser-social');
/** The fixture's callback and logout URLs name this origin. */
const APP_PORT = 20040;
const APP = `https://127.0.0.1:${APP_PORT}`;

let backend: LocalBackend;
let outputs: Record<string, unknown>;
let browser: Browser;
let appServer: Server;
/** What this process prints, where the local functions' log lines land: the post-confirmation trigger's among them. */
let stdout: MockInstance<typeof process.stdout.write> | undefined;
const printed = (): string[] => (stdout?.mock.calls ?? []).map(([chunk]) => String(chunk));

/** A Chromium profile home whose NSS store trusts the local CA, as a developer's browser would after `certutil -A`. */
const trustingHome = (caFile: string): string => {
  const home = join(WORK, 'home');
  const db = join(home, '.pki', 'nssdb');
  rmSync(home, { recursive: true, force: true });
  mkdirSync(db, { recursive: true });
  execFileSync('certutil', ['-N', '-d', `sql:${db}`, '--empty-password']);
  execFileSync('certutil', ['-A', '-d', `sql:${db}`, '-n', 'amplify-local-ca', '-t', 'C,,', '-i', caFile]);
  return home;
};

const bundleApp = async (): Promise<string> => {
  const bundle = await build({
    entryPoints: [resolve('src/test/social-sign-in-app.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
    absWorkingDir: PROJECT_ROOT,
    define: { global: 'globalThis', 'process.env.NODE_ENV': '"production"' },
  });
  return bundle.outputFiles[0]?.text ?? '';
};

/** Runs `app.<name>(...args)` in the page. */
const app = async (page: Page, name: string, ...args: unknown[]): Promise<unknown> =>
  page.evaluate(
    async ([command, input]) => {
      const driver: unknown = Reflect.get(globalThis, 'app');
      const run = typeof driver === 'object' && driver !== null ? Reflect.get(driver, command) : undefined;
      if (typeof run !== 'function') throw new Error(`the page has no command ${command}`);
      return run(...input);
    },
    [name, args] as const,
  );

const appReady = (page: Page) =>
  page.waitForFunction(() => Reflect.get(globalThis, 'app') !== undefined, null, { timeout: 20_000 });

/**
 * `signInWithRedirect({ provider: 'Google' })`, then the provider page filled
 * in and submitted, until Amplify has redeemed the code; the provider page's host.
 */
const signInAs = async (page: Page, who: { sub: string; email: string; name: string }): Promise<string> => {
  await Promise.all([page.waitForURL(/\/oauth2\/_local\/provider\?/), app(page, 'signIn').catch(() => undefined)]);
  const providerHost = new URL(page.url()).host;
  await page.fill('#sub', who.sub);
  await page.fill('#email', who.email);
  await page.fill('#name', who.name);
  await Promise.all([page.waitForURL(`${APP}/**`), page.click('#sign-in')]);
  await appReady(page);
  await page.waitForFunction(
    () => {
      const driver: unknown = Reflect.get(globalThis, 'app');
      const events: unknown = typeof driver === 'object' && driver !== null ? Reflect.get(driver, 'events') : [];
      return (
        Array.isArray(events) &&
        (events.includes('signInWithRedirect') || events.includes('signInWithRedirect_failure'))
      );
    },
    null,
    { timeout: 20_000 },
  );
  return providerHost;
};

beforeAll(async () => {
  // Calls through: the lines still print.
  stdout = vi.spyOn(process.stdout, 'write');
  backend = await createLocalBackend({
    projectDir: PROJECT,
    dataDir: DATA_DIR,
    reset: true,
    tlsDir: TEST_TLS_DIR,
    outputsFile: OUTPUTS,
  });
  outputs = JSON.parse(readFileSync(OUTPUTS, 'utf8'));
  const script = await bundleApp();
  const tls = await loadOrCreateTls(TEST_TLS_DIR);
  appServer = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const path = new URL(req.url ?? '/', APP).pathname;
    if (path === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(script);
    } else if (path === '/outputs.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(outputs));
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><html><body><p id="path">${path}</p><script src="/app.js"></script></body></html>`);
    }
  });
  await new Promise<void>((r, fail) => {
    appServer.once('error', fail);
    appServer.listen(APP_PORT, '127.0.0.1', () => r());
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox'],
    env: { ...process.env, HOME: trustingHome(backend.caFile) },
  });
}, 240_000);

afterAll(async () => {
  stdout?.mockRestore();
  await browser?.close();
  await new Promise((r) => appServer?.close(r));
  await backend?.dispose();
});

describe.skipIf(!existsSync(CHROMIUM))('social sign-in with the local hosted UI in headless Chromium', () => {
  it('writes the oauth block ampx writes (its identity_providers list only the social ones), with the domain of the local hosted UI', () => {
    // Assess
    const auth = outputs.auth;
    expect(auth).toMatchObject({
      oauth: {
        identity_providers: ['GOOGLE'],
        domain: new URL(backend.urls.userPool).host,
        redirect_sign_in_uri: [`${APP}/`, `${APP}/callback`],
        redirect_sign_out_uri: [`${APP}/signed-out`],
        response_type: 'code',
      },
    });
  });

  it('signs in with Google through the provider stand-in, calls the API as that user, and signs out through /logout', async () => {
    // Prepare
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${APP}/`);
    await appReady(page);

    // Act: the app starts the redirect; the provider page asks who signs in.
    const providerOrigin = await signInAs(page, { sub: '1090210', email: 'grace@example.com', name: 'Grace Hopper' });
    const events = await page.evaluate(() => Reflect.get(Reflect.get(globalThis, 'app'), 'events'));
    const user = await app(page, 'user');
    const session = await app(page, 'session');
    const created = await app(
      page,
      'graphql',
      'mutation { createBookmark(input: { url: "https://example.com/a" }) { id url owner } }',
    );
    const listed = await app(page, 'graphql', 'query { listBookmarks { items { id url owner } } }');
    const landedAt = page.url();
    await Promise.all([page.waitForURL(`${APP}/signed-out`), app(page, 'signOut').catch(() => undefined)]);
    await appReady(page);
    const afterSignOut = await page.evaluate(async () => {
      try {
        await Reflect.get(Reflect.get(globalThis, 'app'), 'user')();
        return 'signed in';
      } catch (error) {
        return String(error);
      }
    });
    // Another provider account: its own user, which the owner rule keeps from Grace's bookmark.
    await signInAs(page, { sub: '2201', email: 'alan@example.com', name: 'Alan' });
    const other = await app(page, 'user');
    const othersList = await app(page, 'graphql', 'query { listBookmarks { items { id url owner } } }');

    // Assess
    expect(providerOrigin).toBe(new URL(backend.urls.userPool).host);
    expect(events).toContain('signInWithRedirect');
    expect(events).not.toContain('signInWithRedirect_failure');
    expect(landedAt).toBe(`${APP}/`);
    expect(user).toMatchObject({ username: 'google_1090210' });
    expect(session).toMatchObject({
      id: {
        'cognito:username': 'google_1090210',
        email: 'grace@example.com',
        name: 'Grace Hopper',
        identities: [{ providerName: 'Google', providerType: 'Google', userId: '1090210' }],
      },
      access: { username: 'google_1090210', token_use: 'access' },
    });
    const idToken = (session as { id: Record<string, unknown> }).id;
    expect(idToken['cognito:groups']).toEqual([expect.stringMatching(/_Google$/)]);
    // The owner field's resolver answers the last part of the stored `<sub>::<username>`.
    expect(created).toMatchObject({
      data: { createBookmark: { url: 'https://example.com/a', owner: 'google_1090210' } },
      errors: [],
    });
    expect(listed).toMatchObject({ data: { listBookmarks: { items: [{ url: 'https://example.com/a' }] } } });
    expect(afterSignOut).toMatch(/UserUnAuthenticatedException|not authenticated/i);
    expect(other).toMatchObject({ username: 'google_2201' });
    expect(othersList).toMatchObject({ data: { listBookmarks: { items: [] } }, errors: [] });
    const welcomed = printed().filter((line) => line.includes('"welcomed":"google_1090210"'));
    expect(welcomed).toHaveLength(1);
    expect(welcomed[0]).toContain('"status":"EXTERNAL_PROVIDER"');
    expect(welcomed[0]).toContain('"triggerSource":"PostConfirmation_ConfirmSignUp"');
    expect(problems).toEqual([]);
    await context.close();
  });
});
