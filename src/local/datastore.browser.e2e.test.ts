import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { Amplify } from 'aws-amplify';
import { confirmSignUp, fetchAuthSession, signIn, signOut, signUp } from 'aws-amplify/auth';
import { generateClient } from 'aws-amplify/data';
import { build } from 'esbuild';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Schema } from '../../amplify/data/resource';
import { findModelSchema, generateAllModels, writeModels } from '../../scripts/codegen';
import { configureLocal } from '../client/local';
import { TEST_TLS_DIR } from '../test/e2e.global-setup';
import { createLocalBackend, type LocalBackend } from './backend';
import { PROJECT_ROOT } from './cloud/synth';

/**
 * The real Amplify DataStore (@aws-amplify/datastore 5.1.13, aws-amplify
 * 6.22.1) in headless Chromium against the local backend: IndexedDB storage,
 * two users with two devices each (a browser context per device, so each has
 * its own IndexedDB and session), and going offline and back through DevTools
 * network emulation (`context.setOffline`), which the page sees as
 * `navigator.onLine` and the online/offline events DataStore watches. The
 * page is the models `npm run codegen` writes, bundled with esbuild, and
 * configured from the local outputs with `configureLocal`. The same cases as
 * datastore.e2e.test.ts, which runs DataStore in Node.
 */
const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'Correct-Horse-9-Battery';
const DATA_DIR = resolve('.amplify/test-local/datastore-browser');
const OUTPUTS = join(DATA_DIR, 'amplify_outputs.json');
const WORK = resolve('.amplify/test-browser-datastore');

interface User {
  email: string;
  sub: string;
  owner: string;
}

type Json = Record<string, unknown>;

interface Device {
  name: string;
  context: BrowserContext;
  page: Page;
  send<T = unknown>(cmd: string, args?: Json): Promise<T>;
}

let backend: LocalBackend;
let outputs: Json;
let browser: Browser;
let pageServer: Server;
let pageUrl = '';
const users = new Map<string, User>();
const devices = new Map<string, Device>();
const user = (name: string): User => {
  const found = users.get(name);
  if (!found) throw new Error(`${name} is not registered`);
  return found;
};
const device = (name: string): Device => {
  const found = devices.get(name);
  if (!found) throw new Error(`no device ${name}`);
  return found;
};

const register = async (email: string): Promise<User> => {
  await signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } });
  await confirmSignUp({ username: email, confirmationCode: backend.outbox.latestCode(email, 'verification') ?? '' });
  await signIn({ username: email, password: PASSWORD });
  const sub = String((await fetchAuthSession()).tokens?.idToken?.payload.sub);
  await signOut();
  return { email, sub, owner: `${sub}::${sub}` };
};

/** The test's own client.models (in Node), to check what reached the server. */
const server = async (name: string) => {
  await signOut();
  await signIn({ username: user(name).email, password: PASSWORD });
  return generateClient<Schema>();
};

const until = async <T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 10_000): Promise<T> => {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
};

const ids = (items: Json[]): string[] => items.map((i) => String(i.id)).sort();

/** The page: the generated models and the device driver, bundled for the browser. */
const bundlePage = async (): Promise<string> => {
  const modelsDir = join(WORK, 'models');
  writeModels(generateAllModels(findModelSchema(join(PROJECT_ROOT, '.amplify', 'synth', 'local'))), modelsDir);
  const bundle = await build({
    stdin: {
      contents: [
        `import * as models from ${JSON.stringify(join(modelsDir, 'javascript', 'index.js'))};`,
        `import { installDevice } from ${JSON.stringify(resolve('src/test/datastore-browser-device.ts'))};`,
        'installDevice(models);',
      ].join('\n'),
      resolveDir: PROJECT_ROOT,
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
    define: { global: 'globalThis', 'process.env.NODE_ENV': '"production"' },
  });
  return bundle.outputFiles[0]?.text ?? '';
};

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

const openDevice = async (name: string, owner: string): Promise<Device> => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(pageUrl);
  const send = async <T = unknown>(cmd: string, args: Json = {}): Promise<T> => {
    const result: unknown = await page.evaluate(
      async ([command, input]) => {
        const driver: unknown = Reflect.get(globalThis, 'device');
        const run = typeof driver === 'object' && driver !== null ? Reflect.get(driver, command) : undefined;
        if (typeof run !== 'function') throw new Error(`the page has no command ${command}`);
        return run(input);
      },
      [cmd, args] as const,
    );
    return result as T;
  };
  await send('configure', { outputs, email: user(owner).email, password: PASSWORD });
  return { name, context, page, send };
};

beforeAll(async () => {
  backend = await createLocalBackend({ dataDir: DATA_DIR, reset: true, tlsDir: TEST_TLS_DIR, outputsFile: OUTPUTS });
  outputs = JSON.parse(readFileSync(OUTPUTS, 'utf8'));
  configureLocal(Amplify, outputs);
  users.set('ada', await register('ada@example.com'));
  users.set('bob', await register('bob@example.com'));

  const script = await bundlePage();
  pageServer = createServer((req, res) => {
    if (req.url === '/device.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(script);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><html><body><script src="/device.js"></script></body></html>');
  });
  await new Promise<void>((r) => pageServer.listen(0, '127.0.0.1', () => r()));
  const address = pageServer.address();
  // localhost: a secure context, as an app's dev server is, so IndexedDB and crypto.subtle are there.
  pageUrl = `http://localhost:${typeof address === 'object' && address ? address.port : 0}/`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox'],
    env: { ...process.env, HOME: trustingHome(backend.caFile) },
  });
  for (const [name, owner] of [
    ['a1', 'ada'],
    ['a2', 'ada'],
    ['b1', 'bob'],
    ['b2', 'bob'],
  ] as const) {
    devices.set(name, await openDevice(name, owner));
  }
}, 240_000);

afterAll(async () => {
  for (const d of devices.values()) await d.send('stop').catch(() => undefined);
  await browser?.close();
  await new Promise((r) => pageServer?.close(r));
  await signOut();
  await backend?.dispose();
});

describe.skipIf(!existsSync(CHROMIUM))('Amplify DataStore in headless Chromium against the local backend', () => {
  let noteId = '';

  it('base-syncs each device into IndexedDB when it starts: what is on the server arrives', async () => {
    const ada = await server('ada');
    const first = await ada.models.Note.create({ headline: 'Written before any device started' });
    noteId = first.data?.id ?? '';
    for (const name of ['a1', 'a2', 'b1', 'b2']) {
      const started = await device(name).send<{ ready: boolean; synced: Json[] }>('start');
      expect(started.ready, name).toBe(true);
      expect(
        started.synced.find((e) => e.model === 'Note'),
        name,
      ).toMatchObject({ isFullSync: true });
    }
    expect(ids(await device('a1').send<Json[]>('query', { model: 'Note' }))).toEqual([noteId]);
    const profiles = await device('a2').send<Json[]>('query', { model: 'UserProfile' });
    expect(profiles.map((p) => p.id)).toEqual([user('ada').sub]);
    // DataStore chose its IndexedDB adapter: its database is in the page's origin.
    const environment = await device('a1').send<{ databases: string[] }>('environment');
    expect(environment.databases).toContain('amplify-datastore');
  });

  it('sends creates, updates and deletes of every model it may write to the server', async () => {
    const a1 = device('a1');
    const events = (await a1.send<Json[]>('events')).length;
    const note = await a1.send<Json>('save', { model: 'Note', fields: { headline: 'From a browser', text: 'v1' } });
    const phone = await a1.send<Json>('save', { model: 'Device', fields: { token: 'br-token-1', platform: 'FCM' } });
    const tablet = await a1.send<Json>('save', { model: 'Device', fields: { token: 'br-token-2', platform: 'APNS' } });
    await a1.send('update', { model: 'Note', id: note.id, fields: { headline: 'From a browser, edited' } });
    await a1.send('update', { model: 'UserProfile', id: user('ada').sub, fields: { displayName: 'Ada in Chromium' } });
    await a1.send('remove', { model: 'Device', id: tablet.id });
    expect(await a1.send('drained', { from: events })).toBe(true);

    const ada = await server('ada');
    const stored = await until(
      async () => (await ada.models.Note.get({ id: String(note.id) })).data,
      (n) => n?.headline === 'From a browser, edited',
    );
    expect(stored).toMatchObject({ headline: 'From a browser, edited', text: 'v1', owner: user('ada').sub });
    expect((await ada.models.Device.get({ id: String(phone.id) })).data).toMatchObject({ token: 'br-token-1' });
    expect((await ada.models.Device.get({ id: String(tablet.id) })).data).toBeNull();
    expect((await ada.models.UserProfile.get({ id: user('ada').sub })).data?.displayName).toBe('Ada in Chromium');
  });

  it("deletes a message its sender's device holds", async () => {
    const ada = await server('ada');
    const sent = await ada.mutations.sendMessage({
      recipientId: user('bob').sub,
      body: 'For Bob, from a browser test',
    });
    const messageId = sent.data?.id ?? '';
    const a1 = device('a1');
    await a1.send('stop');
    await a1.send('start');
    expect(ids(await a1.send<Json[]>('query', { model: 'Message' }))).toEqual([messageId]);
    const events = (await a1.send<Json[]>('events')).length;
    await a1.send('remove', { model: 'Message', id: messageId });
    expect(await a1.send('drained', { from: events })).toBe(true);
    const check = await server('ada');
    expect((await check.models.Message.get({ id: messageId })).data).toBeNull();
  });

  it("delivers another device's change to observe within a second", async () => {
    const a2 = device('a2');
    await a2.send('observe', { model: 'Note' });
    await new Promise((r) => setTimeout(r, 300));
    const before = Date.now();
    const saved = await device('a1').send<Json>('save', { model: 'Note', fields: { headline: 'Live' } });
    const seen = await until(
      () => a2.send<Array<{ at: number; id: string; opType: string }>>('observed'),
      (list) => list.some((e) => e.id === saved.id),
      5000,
    );
    const event = seen.find((e) => e.id === saved.id);
    expect(event?.opType).toBe('INSERT');
    expect((event?.at ?? Number.POSITIVE_INFINITY) - before).toBeLessThan(1000);
  });

  it('propagates a delete to the other device', async () => {
    await device('a1').send('remove', { model: 'Note', id: noteId });
    const left = await until(
      () => device('a2').send<Json[]>('query', { model: 'Note' }),
      (notes) => !notes.some((n) => n.id === noteId),
    );
    expect(ids(left)).not.toContain(noteId);
    const ada = await server('ada');
    expect((await ada.models.Note.get({ id: noteId })).data).toBeNull();
  });

  it('converges edits made offline (DevTools network emulation) on two devices: per field, the first to reach the server wins; untouched fields merge', async () => {
    const [a1, a2] = [device('a1'), device('a2')];
    const base = await a1.send<Json>('save', { model: 'Note', fields: { headline: 'Shared' } });
    await until(
      () => a2.send<Json | null>('get', { model: 'Note', id: base.id }),
      (n) => n !== null,
    );
    const marks = new Map<Device, number>();
    for (const d of [a1, a2]) marks.set(d, (await d.send<Json[]>('events')).length);
    await a1.context.setOffline(true);
    await a2.context.setOffline(true);
    // DataStore's own reachability monitor saw the browser go offline.
    for (const d of [a1, a2]) {
      expect(await d.send<{ onLine: boolean }>('environment'), d.name).toMatchObject({ onLine: false });
      const status = await until(
        async () => (await d.send<Json[]>('events')).slice(marks.get(d)),
        (list) => list.some((e) => e.event === 'networkStatus' && e.active === false),
      );
      expect(
        status.some((e) => e.event === 'networkStatus' && e.active === false),
        d.name,
      ).toBe(true);
    }
    await a1.send('update', { model: 'Note', id: base.id, fields: { headline: 'Headline from a1' } });
    await a2.send('update', {
      model: 'Note',
      id: base.id,
      fields: { headline: 'Headline from a2', text: 'Text from a2' },
    });
    // Nothing left either browser while it was offline.
    const ada = await server('ada');
    expect((await ada.models.Note.get({ id: String(base.id) })).data).toMatchObject({ headline: 'Shared' });

    const first = (await a1.send<Json[]>('events')).length;
    await a1.context.setOffline(false);
    expect(await a1.send('drained', { from: first })).toBe(true);
    const second = (await a2.send<Json[]>('events')).length;
    await a2.context.setOffline(false);
    expect(await a2.send('drained', { from: second })).toBe(true);

    const expected = { headline: 'Headline from a1', text: 'Text from a2' };
    const onServer = await until(
      async () => (await ada.models.Note.get({ id: String(base.id) })).data,
      (n) => n?.text === expected.text,
    );
    expect(onServer).toMatchObject(expected);
    for (const d of [a1, a2]) {
      const local = await until(
        () => d.send<Json | null>('get', { model: 'Note', id: base.id }),
        (n) => n?.headline === expected.headline && n?.text === expected.text,
      );
      expect(local, d.name).toMatchObject(expected);
    }
  });

  it('delta-syncs a restarted device: only what changed while it was stopped', async () => {
    const b1 = device('b1');
    await b1.send('stop');
    const bob = await server('bob');
    const created = await bob.models.Note.create({ headline: 'While b1 was stopped' });
    const started = await b1.send<{ ready: boolean; synced: Json[] }>('start');
    expect(started.synced.find((e) => e.model === 'Note')).toMatchObject({ isDeltaSync: true });
    expect(ids(await b1.send<Json[]>('query', { model: 'Note' }))).toContain(created.data?.id);
  });

  it("never lets one user's DataStore hold another user's records", async () => {
    for (const name of ['b1', 'b2']) {
      for (const model of ['Note', 'Device', 'UserProfile']) {
        const items = await device(name).send<Json[]>('query', { model });
        const foreign = items.filter((i) => !String(i.owner ?? '').startsWith(user('bob').sub));
        expect(foreign, `${name} ${model}`).toEqual([]);
      }
      const messages = await device(name).send<Json[]>('query', { model: 'Message' });
      expect(
        messages.filter((m) => m.recipient !== user('bob').owner && !String(m.owner).startsWith(user('bob').sub)),
      ).toEqual([]);
    }
    // Ada's devices hold her records, so the check above is not vacuous.
    expect((await device('a1').send<Json[]>('query', { model: 'Note' })).length).toBeGreaterThan(0);
  });
});
