import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Amplify } from 'aws-amplify';
import { confirmSignUp, fetchAuthSession, signIn, signOut, signUp } from 'aws-amplify/auth';
import { generateClient } from 'aws-amplify/data';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Schema } from '../../amplify/data/resource';
import { configureLocal } from '../client/local';
import { rawSubscribe } from '../test/appsync-realtime';
import { TEST_TLS_DIR } from '../test/e2e.global-setup';
import { createLocalBackend, type LocalBackend } from './backend';

/**
 * An authorization matrix over the whole local backend, with the real
 * aws-amplify client where an app would use it: two users, an Admin and a
 * stranger (a token signed with another key) × every model × every
 * operation, subscriptions included (`client.models.X.onCreate()` with
 * filters, and DataStore's `owner` argument as raw frames). A leak is any
 * record, event or write that reaches someone the schema does not allow.
 */

const PASSWORD = 'Correct-Horse-9-Battery';
const DATA_DIR = resolve('.amplify/test-local/security');
const OUTPUTS = join(DATA_DIR, 'amplify_outputs.json');
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Actor {
  name: string;
  email: string;
  sub: string;
  /** The owner value the API returns (the username part of `<sub>::<username>`). */
  owner: string;
  /** The owner value stored and indexed. */
  storedOwner: string;
  idToken: string;
}

let backend: LocalBackend;
let ada: Actor;
let bob: Actor;
let admin: Actor;
let strangerToken = '';

const register = async (name: string, groups: string[] = []): Promise<Actor> => {
  const email = `${name}@example.com`;
  await signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } });
  await confirmSignUp({ username: email, confirmationCode: backend.outbox.latestCode(email, 'verification') ?? '' });
  for (const group of groups) backend.auth.pool.addToGroup(email, group);
  await signIn({ username: email, password: PASSWORD });
  const tokens = (await fetchAuthSession()).tokens;
  await signOut();
  const sub = String(tokens?.idToken?.payload.sub);
  const username = String(tokens?.idToken?.payload['cognito:username']);
  return {
    name,
    email,
    sub,
    owner: username,
    storedOwner: `${sub}::${username}`,
    idToken: tokens?.idToken?.toString() ?? '',
  };
};

const as = async (actor: Actor) => {
  await signOut();
  await signIn({ username: actor.email, password: PASSWORD });
  return generateClient<Schema>();
};

const gql = async (token: string, query: string, variables: Record<string, unknown> = {}) => {
  const response = await fetch(backend.urls.graphql, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: token },
    body: JSON.stringify({ query, variables }),
  });
  const body: unknown = await response.json();
  const record = typeof body === 'object' && body !== null ? body : {};
  const data = 'data' in record && typeof record.data === 'object' && record.data !== null ? record.data : {};
  const errors = 'errors' in record && Array.isArray(record.errors) ? record.errors : [];
  return { status: response.status, data: Object.fromEntries(Object.entries(data)), errors };
};

/** Every string anywhere in a value: a leak check that does not depend on the answer's shape. */
const strings = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : Array.isArray(value)
      ? value.flatMap(strings)
      : typeof value === 'object' && value !== null
        ? Object.values(value).flatMap(strings)
        : [];

beforeAll(async () => {
  backend = await createLocalBackend({ dataDir: DATA_DIR, reset: true, tlsDir: TEST_TLS_DIR, outputsFile: OUTPUTS });
  configureLocal(Amplify, JSON.parse(readFileSync(OUTPUTS, 'utf8')));
  ada = await register('ada');
  bob = await register('bob');
  admin = await register('admin', ['Admins']);
  const { privateKey } = await generateKeyPair('RS256');
  const now = Math.floor(Date.now() / 1000);
  strangerToken = await new SignJWT({
    'cognito:username': ada.sub,
    token_use: 'id',
    aud: 'localclient0000000000000000',
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'stranger' })
    .setIssuer(backend.auth.issuer)
    .setSubject(ada.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
});

afterAll(async () => {
  await signOut();
  await backend?.dispose();
});

type Model = 'Note' | 'Device' | 'UserProfile' | 'Message';
const SECRET = 'ada-secret-7f3a';

/** One record of each model owned by Ada (a message from Ada to the Admin), holding SECRET. */
const adaRecords = async (): Promise<Record<Model, { id: string; version: number }>> => {
  const pick = (answer: Awaited<ReturnType<typeof gql>>, field: string) => {
    const value = answer.data[field];
    const record = typeof value === 'object' && value !== null ? Object.fromEntries(Object.entries(value)) : {};
    if (typeof record.id !== 'string') throw new Error(`${field}: ${JSON.stringify(answer)}`);
    return { id: record.id, version: Number(record._version) };
  };
  const note = await gql(ada.idToken, `mutation { createNote(input: { headline: "${SECRET}" }) { id _version } }`);
  const device = await gql(
    ada.idToken,
    `mutation { createDevice(input: { token: "${SECRET}", platform: FCM }) { id _version } }`,
  );
  // Under AUTOMERGE an update carries the version it saw, else the server keeps its value.
  const seen = pick(await gql(ada.idToken, `{ getUserProfile(id: "${ada.sub}") { id _version } }`), 'getUserProfile');
  const profile = await gql(
    ada.idToken,
    `mutation { updateUserProfile(input: { id: "${ada.sub}", displayName: "${SECRET}", _version: ${seen.version} }) { id _version } }`,
  );
  const message = await gql(
    ada.idToken,
    `mutation { sendMessage(recipientId: "${admin.sub}", body: "${SECRET}") { id _version } }`,
  );
  return {
    Note: pick(note, 'createNote'),
    Device: pick(device, 'createDevice'),
    UserProfile: pick(profile, 'updateUserProfile'),
    Message: pick(message, 'sendMessage'),
  };
};

const FIELDS: Record<Model, string> = {
  Note: 'id headline owner',
  Device: 'id token owner',
  UserProfile: 'id displayName owner',
  Message: 'id body owner recipient',
};
const LIST: Record<Model, string> = {
  Note: 'listNotesByOwner',
  Device: 'listDevicesByOwner',
  UserProfile: 'listUserProfilesByOwner',
  Message: 'listMessagesByOwner',
};
const CHANGE: Record<Model, string> = {
  Note: `headline: "pwned"`,
  Device: `token: "pwned"`,
  UserProfile: `displayName: "pwned"`,
  Message: `body: "pwned"`,
};

/** What the schema allows a non-owner: the Admins group reads notes; the recipient (the Admin here) reads the message. */
const mayRead = (actor: Actor, model: Model) => actor === admin && (model === 'Note' || model === 'Message');

describe('the authorization matrix over HTTP', () => {
  it('gives Bob, the Admin and a stranger only what the schema allows on each of Ada’s records', async () => {
    const records = await adaRecords();
    const actors: Array<[string, Actor | undefined]> = [
      ['bob', bob],
      ['admin', admin],
      ['stranger', undefined],
    ];
    let attempts = 0;
    const leaks: string[] = [];
    const wrong: string[] = [];
    for (const model of ['Note', 'Device', 'UserProfile', 'Message'] as const) {
      const { id, version } = records[model];
      const ops: Record<string, string> = {
        get: `{ get${model}(id: "${id}") { ${FIELDS[model]} } }`,
        list: `{ ${LIST[model]}(owner: "${ada.storedOwner}") { items { ${FIELDS[model]} } } }`,
        sync: `{ sync${model}s(limit: 1000) { items { ${FIELDS[model]} } } }`,
        create: `mutation { create${model}(input: { id: "${id}", ${model === 'Message' ? `sender: "${ada.sub}", recipient: "x", body: "pwned"` : model === 'Device' ? 'token: "pwned", platform: FCM' : CHANGE[model]} }) { id } }`,
        update: `mutation { update${model}(input: { id: "${id}", ${CHANGE[model]}, _version: ${version} }) { id } }`,
        delete: `mutation { delete${model}(input: { id: "${id}", _version: ${version} }) { id } }`,
        updateOwner: `mutation { update${model}(input: { id: "${id}", owner: "${bob.storedOwner}", _version: ${version} }) { id } }`,
      };
      for (const [actorName, actor] of actors) {
        for (const [op, query] of Object.entries(ops)) {
          attempts += 1;
          const answer = await gql(actor?.idToken ?? strangerToken, query);
          const read = op === 'get' || op === 'list' || op === 'sync';
          const sawSecret = strings(answer.data).includes(SECRET);
          const allowed = read && actor !== undefined && mayRead(actor, model);
          if (sawSecret && !allowed) leaks.push(`${actorName} ${op} ${model}`);
          if (!read && answer.errors.length === 0) leaks.push(`${actorName} ${op} ${model}: the write succeeded`);
          if (actor === undefined && answer.status !== 401) wrong.push(`stranger ${op} ${model}: ${answer.status}`);
          // The Admin reads notes by id and by sync (there is no list by another's owner for Admins).
          if (allowed && op !== 'list' && !sawSecret) wrong.push(`${actorName} ${op} ${model}: allowed, not answered`);
        }
      }
      // Nothing changed: Ada still reads her record as she wrote it.
      const mine = await gql(ada.idToken, `{ get${model}(id: "${id}") { ${FIELDS[model]} _version _deleted } }`);
      if (!strings(mine.data).includes(SECRET)) wrong.push(`${model}: Ada's record changed: ${JSON.stringify(mine)}`);
    }
    console.log(
      `HTTP authorization matrix: ${attempts} attempts, ${leaks.length} leaks, ${wrong.length} wrong answers`,
    );
    expect(leaks).toEqual([]);
    expect(wrong).toEqual([]);
  });
});

/** The filters a subscriber tries in order to see more: a shape every model's subscription filter accepts. */
interface WideningFilter {
  owner?: { eq?: string; ne?: string };
  id?: { ne?: string };
  or?: Array<{ owner?: { eq?: string; ne?: string } }>;
}
type Client = ReturnType<typeof generateClient<Schema>>;
type Handlers = { next: (record: unknown) => void; error: (e: unknown) => void };

/** `client.models.<Model>.<op>({ filter })`, the call an app makes, for each model by name. */
const subscribeModel = (
  client: Client,
  model: Model,
  op: 'onCreate' | 'onUpdate' | 'onDelete',
  filter: WideningFilter | undefined,
  handlers: Handlers,
) => {
  const options = filter ? { filter } : {};
  switch (model) {
    case 'Note':
      return client.models.Note[op](options).subscribe(handlers);
    case 'Device':
      return client.models.Device[op](options).subscribe(handlers);
    case 'UserProfile':
      return client.models.UserProfile[op](options).subscribe(handlers);
    case 'Message':
      return client.models.Message[op](options).subscribe(handlers);
  }
};

describe('the authorization matrix over subscriptions', () => {
  it('delivers none of Ada’s events to Bob, the Admin (outside notes) or a stranger, through the Amplify client or DataStore’s frames', async () => {
    const received: Array<{ who: string; how: string; model: Model; record: unknown }> = [];
    const refusals: string[] = [];
    const stops: Array<() => void> = [];
    let subscriptions = 0;

    for (const [who, actor] of [
      ['bob', bob],
      ['admin', admin],
    ] as const) {
      const client = await as(actor);
      const filters: Array<[string, WideningFilter | undefined]> = [
        ['no filter', undefined],
        ["filter on Ada's owner", { owner: { eq: ada.owner } }],
        ['filter with or', { or: [{ owner: { eq: ada.owner } }, { owner: { ne: 'nobody' } }] }],
        ['filter on the id', { id: { ne: 'nothing' } }],
      ];
      for (const model of ['Note', 'Device', 'UserProfile', 'Message'] as const) {
        for (const op of ['onCreate', 'onUpdate', 'onDelete'] as const) {
          for (const [how, filter] of filters) {
            subscriptions += 1;
            const sub = subscribeModel(client, model, op, filter, {
              next: (record: unknown) => received.push({ who, how: `${op} ${how}`, model, record }),
              error: (e: unknown) => refusals.push(`${who} ${model}.${op} ${how}: ${JSON.stringify(e).slice(0, 120)}`),
            });
            stops.push(() => sub.unsubscribe());
          }
        }
      }
      // DataStore's subscriptions: the owner argument, its own and Ada's.
      for (const model of ['Note', 'Device', 'UserProfile', 'Message'] as const) {
        for (const op of ['Create', 'Update', 'Delete']) {
          for (const [how, owner] of [
            ['own owner argument', actor.owner],
            ["Ada's owner argument", ada.owner],
          ] as const) {
            subscriptions += 1;
            const raw = await rawSubscribe(
              backend.urls,
              actor.idToken,
              `subscription { on${op}${model}(owner: "${owner}") { ${FIELDS[model]} } }`,
            );
            stops.push(raw.close);
            const poll = setInterval(() => {
              for (const m of raw.messages.splice(0)) {
                if (m.type === 'data') received.push({ who, how: `on${op} ${how}`, model, record: m.payload });
              }
            }, 50);
            stops.push(() => clearInterval(poll));
          }
        }
      }
    }
    // Directives that would skip the auth step: refused before anything registers.
    for (const query of [
      'subscription { onCreateNote @skip(if: true) { id headline } }',
      'subscription { onMessageReceived @include(if: false) { id body } }',
      'subscription { ... on Subscription @skip(if: true) { onCreateDevice { id token } } }',
    ]) {
      subscriptions += 1;
      const raw = await rawSubscribe(backend.urls, bob.idToken, query);
      stops.push(raw.close);
      expect(raw.messages.at(-1)).toMatchObject({
        type: 'error',
        payload: { errors: [{ errorType: 'ValidationError' }] },
      });
    }
    // The stranger: refused at the handshake.
    subscriptions += 1;
    const header = Buffer.from(
      JSON.stringify({ Authorization: strangerToken, host: new URL(backend.urls.graphql).host }),
    );
    const strangerSocket = new WebSocket(backend.urls.realtime, [
      'graphql-ws',
      `header-${header.toString('base64url')}`,
    ]);
    const strangerAnswer = await new Promise<string>((done) => {
      strangerSocket.on('message', (raw) => done(String(JSON.parse(raw.toString()).type)));
      strangerSocket.on('error', () => done('socket error'));
    });
    strangerSocket.close();
    expect(strangerAnswer).toBe('connection_error');

    await wait(1000);
    const records = await adaRecords();
    for (const model of ['Note', 'Device'] as const) {
      const { id, version } = records[model];
      const updated = await gql(
        ada.idToken,
        `mutation { update${model}(input: { id: "${id}", ${CHANGE[model]}, _version: ${version} }) { _version } }`,
      );
      const next = Number(
        Object.values(updated.data).map((v) =>
          typeof v === 'object' && v !== null && '_version' in v ? v._version : 0,
        )[0],
      );
      await gql(ada.idToken, `mutation { delete${model}(input: { id: "${id}", _version: ${next} }) { id } }`);
    }
    await gql(
      ada.idToken,
      `mutation { deleteMessage(input: { id: "${records.Message.id}", _version: ${records.Message.version} }) { id } }`,
    );
    await wait(1500);
    for (const stop of stops) stop();

    const leaks = received.filter(({ who, model, record }) => {
      const secret = strings(record).includes(SECRET) || strings(record).includes('pwned');
      const adminMay = who === 'admin' && (model === 'Note' || model === 'Message');
      return secret && !adminMay;
    });
    console.log(
      `subscription matrix (aws-amplify client and DataStore frames): ${subscriptions} subscriptions, ${received.length} events delivered, ${leaks.length} leaks, ${refusals.length} refused`,
    );
    expect(leaks).toEqual([]);
    // Admins read notes: their unfiltered note subscription sees Ada's note.
    expect(received.some((r) => r.who === 'admin' && r.model === 'Note' && r.how === 'onCreate no filter')).toBe(true);
  });
});
