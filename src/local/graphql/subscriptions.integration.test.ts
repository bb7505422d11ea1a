import { Kind, type OperationDefinitionNode, parse } from 'graphql/index.js';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dataOf,
  eventRecord,
  forgedToken,
  type RealtimeClient,
  startTestGraphql,
  type TestGraphql,
  type TestUser,
} from './test-server';

/**
 * Subscription authorization against the real local AppSync server, over
 * raw realtime frames: two users, an Admin and a stranger; every model
 * subscription with no arguments, with the owner argument DataStore sends,
 * with arguments and filters that try to widen access, and with directives
 * on the root field. A leak is any event delivered for a record its
 * subscriber may not read.
 */

let t: TestGraphql;
let ada: TestUser;
let bob: TestUser;
let admin: TestUser;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

const MODELS = ['Note', 'Device', 'UserProfile', 'Message'] as const;
type Model = (typeof MODELS)[number];
const FIELDS: Array<{ field: string; model: Model }> = [
  ...MODELS.flatMap((model) => ['Create', 'Update', 'Delete'].map((op) => ({ field: `on${op}${model}`, model }))),
  { field: 'onMessageReceived', model: 'Message' },
];
const selection = (model: Model) => (model === 'Message' ? '{ id owner recipient sender body }' : '{ id owner }');

/** The owner value the API returns for a user: the username part of `<sub>::<username>`. */
const ownerOf = (user: TestUser) => user.username;

/** Who may read a record, per the schema's rules (owner; Message recipient; Admins read Notes). */
const mayRead = (reader: TestUser, model: Model, record: Record<string, unknown>): boolean =>
  record.owner === ownerOf(reader) ||
  (model === 'Message' && record.recipient === ownerOf(reader)) ||
  (model === 'Note' && reader === admin);

interface Attempt {
  subscriber: TestUser;
  label: string;
  field: string;
  model: Model;
  id: string;
  query: string;
  variables: Record<string, unknown>;
  /** What the attempt must get: refused outright, or accepted. */
  expect: 'refused' | 'accepted' | 'either';
  /** When the subscriber named an owner, every event must carry that owner. */
  ownerArgument?: string;
  answer?: Record<string, unknown>;
}

const attemptsFor = (subscriber: TestUser, victim: TestUser): Attempt[] => {
  const out: Attempt[] = [];
  for (const { field, model } of FIELDS) {
    const sel = selection(model);
    const hasOwnerArg = field !== 'onMessageReceived';
    const add = (
      label: string,
      query: string,
      expectation: Attempt['expect'],
      variables = {},
      ownerArgument?: string,
    ) =>
      out.push({
        subscriber,
        label,
        field,
        model,
        id: `${field}-${out.length}`,
        query,
        variables,
        expect: expectation,
        ownerArgument,
      });
    add('no arguments', `subscription { ${field} ${sel} }`, 'accepted');
    add('aliased', `subscription { mine: ${field} ${sel} }`, 'accepted');
    add('through a fragment', `subscription { ...F } fragment F on Subscription { ${field} ${sel} }`, 'accepted');
    add('@skip(if: true)', `subscription { ${field} @skip(if: true) ${sel} }`, 'refused');
    add('@include(if: false)', `subscription { ${field} @include(if: false) ${sel} }`, 'refused');
    add('@skip in a variable', `subscription S($s: Boolean!) { ${field} @skip(if: $s) ${sel} }`, 'refused', {
      s: true,
    });
    add(
      '@skip on an inline fragment',
      `subscription { ... on Subscription @skip(if: true) { ${field} ${sel} } }`,
      'refused',
    );
    add('__typename beside the field', `subscription { __typename ${field} ${sel} }`, 'refused');
    if (!hasOwnerArg) continue;
    add(
      'own owner argument (DataStore)',
      `subscription S($owner: String) { ${field}(owner: $owner) ${sel} }`,
      'accepted',
      { owner: ownerOf(subscriber) },
      ownerOf(subscriber),
    );
    add(
      "another user's owner argument",
      `subscription S($owner: String) { ${field}(owner: $owner) ${sel} }`,
      subscriber === admin ? 'either' : 'refused',
      { owner: ownerOf(victim) },
      ownerOf(victim),
    );
    add('owner: null', `subscription { ${field}(owner: null) ${sel} }`, 'either');
    add(
      "filter on another user's owner",
      `subscription S($f: ModelSubscription${model}FilterInput) { ${field}(filter: $f) ${sel} }`,
      'either',
      { f: { owner: { eq: ownerOf(victim) } } },
    );
    add(
      'filter with or',
      `subscription S($f: ModelSubscription${model}FilterInput) { ${field}(filter: $f) ${sel} }`,
      'either',
      {
        f: { or: [{ owner: { eq: ownerOf(victim) } }, { owner: { ne: 'nobody' } }, { id: { attributeExists: true } }] },
      },
    );
    add(
      'own owner argument and a widening filter',
      `subscription S($owner: String, $f: ModelSubscription${model}FilterInput) { ${field}(owner: $owner, filter: $f) ${sel} }`,
      'either',
      { owner: ownerOf(subscriber), f: { or: [{ owner: { eq: ownerOf(victim) } }, { owner: { ne: 'x' } }] } },
      ownerOf(subscriber),
    );
    add(
      'owner argument as a literal, victim',
      `subscription { ${field}(owner: "${ownerOf(victim)}") ${sel} }`,
      subscriber === admin ? 'either' : 'refused',
      {},
      ownerOf(victim),
    );
    if (model === 'Message') {
      add(
        "another user's recipient argument",
        `subscription { ${field}(recipient: "${ownerOf(victim)}") ${sel} }`,
        'either',
      );
    }
  }
  return out;
};

/** Runs the attempts over as many connections as the 100-subscription quota needs. */
const subscribeAll = async (attempts: Attempt[]): Promise<Map<RealtimeClient, Attempt[]>> => {
  const byConnection = new Map<RealtimeClient, Attempt[]>();
  const bySubscriber = new Map<TestUser, Attempt[]>();
  for (const a of attempts) bySubscriber.set(a.subscriber, [...(bySubscriber.get(a.subscriber) ?? []), a]);
  for (const [subscriber, list] of bySubscriber) {
    for (let i = 0; i < list.length; i += 90) {
      const client = await t.connect({ Authorization: subscriber.idToken, host: 'local' });
      client.send({ type: 'connection_init' });
      await client.next((m) => m.type === 'connection_ack');
      const batch = list.slice(i, i + 90);
      for (const a of batch) a.answer = await client.start(a.id, subscriber.idToken, a.query, a.variables);
      byConnection.set(client, batch);
    }
  }
  return byConnection;
};

const create = async (user: TestUser, model: 'Note' | 'Device', extra = '') => {
  const input =
    model === 'Note'
      ? `{ headline: "${user.username} ${extra}" }`
      : `{ token: "tok-${user.username}-${extra}", platform: FCM }`;
  const r = await t.gql(user.idToken, `mutation { create${model}(input: ${input}) { id owner _version } }`);
  const record = dataOf(r, `create${model}`);
  if (typeof record.id !== 'string') throw new Error(JSON.stringify(r.body));
  return { id: record.id, owner: String(record.owner), _version: Number(record._version) };
};

/** Every write the users can make that has a subscription: each model's create, update and delete. */
const writeEverything = async (writer: TestUser, recipient: TestUser) => {
  const done: string[] = [];
  for (const model of ['Note', 'Device'] as const) {
    const record = await create(writer, model, 'one');
    const sel = '{ id owner _version }';
    const change = model === 'Note' ? 'headline: "edited"' : 'token: "tok-edited"';
    const updated = await t.gql(
      writer.idToken,
      `mutation { update${model}(input: { id: "${record.id}", ${change}, _version: ${record._version} }) ${sel} }`,
    );
    const version = Number(dataOf(updated, `update${model}`)._version);
    await t.gql(
      writer.idToken,
      `mutation { delete${model}(input: { id: "${record.id}", _version: ${version} }) ${sel} }`,
    );
    done.push(model);
  }
  await t.gql(
    writer.idToken,
    `mutation { updateUserProfile(input: { id: "${writer.sub}", displayName: "renamed" }) { id owner } }`,
  );
  const sent = await t.gql(
    writer.idToken,
    `mutation { sendMessage(recipientId: "${recipient.sub}", body: "private to ${recipient.username}") { id owner recipient _version } }`,
  );
  const message = dataOf(sent, 'sendMessage');
  if (typeof message.id !== 'string') throw new Error(`sendMessage failed: ${JSON.stringify(sent.body)}`);
  await t.gql(
    writer.idToken,
    `mutation { deleteMessage(input: { id: "${message.id}", _version: ${message._version} }) { id owner recipient } }`,
  );
};

beforeAll(async () => {
  t = await startTestGraphql();
  ada = await t.user('ada');
  bob = await t.user('bob');
  admin = await t.user('admin', ['Admins']);
  const now = new Date().toISOString();
  for (const user of [ada, bob, admin]) {
    await t.put('UserProfile', {
      id: user.sub,
      __typename: 'UserProfile',
      owner: `${user.sub}::${user.username}`,
      displayName: user.username,
      createdAt: now,
      updatedAt: now,
      _version: 1,
      _lastChangedAt: Date.now(),
    });
  }
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('subscription authorization', () => {
  it('delivers no event to a subscriber who may not read it, whatever the arguments, filters or directives', async () => {
    const attempts = [...attemptsFor(bob, ada), ...attemptsFor(admin, ada), ...attemptsFor(ada, bob)];
    const connections = await subscribeAll(attempts);

    // Ada writes everything (messages to the Admin); Bob and the Admin write their own, messages to Ada.
    await writeEverything(ada, admin);
    await writeEverything(bob, ada);
    await writeEverything(admin, bob);
    await wait(500);

    const leaks: string[] = [];
    const wrong: string[] = [];
    let events = 0;
    for (const [client, list] of connections) {
      for (const a of list) {
        const refused = a.answer?.type === 'error';
        if (a.answer === undefined) wrong.push(`${a.label} ${a.field}: no answer to start`);
        if (a.expect === 'refused' && !refused) wrong.push(`${a.label} ${a.field}: accepted, must be refused`);
        if (a.expect === 'accepted' && refused)
          wrong.push(`${a.label} ${a.field}: refused ${JSON.stringify(a.answer?.payload)}`);
        for (const m of client.messages.filter((m) => m.id === a.id && m.type === 'data')) {
          events += 1;
          const record = eventRecord(m);
          if (!mayRead(a.subscriber, a.model, record))
            leaks.push(`${a.subscriber.username.slice(0, 4)} ${a.label} ${a.field}: ${JSON.stringify(record)}`);
          if (a.ownerArgument !== undefined && record.owner !== a.ownerArgument)
            wrong.push(`${a.label} ${a.field}: owner argument not applied: ${JSON.stringify(record)}`);
        }
      }
      client.close();
    }
    console.log(
      `subscription authorization: ${attempts.length} subscriptions, ${events} events delivered, ${leaks.length} leaks, ${wrong.length} wrong answers`,
    );
    expect(leaks).toEqual([]);
    expect(wrong).toEqual([]);
  });

  it('still delivers what a subscriber may read: own events with or without the owner argument, Admins all notes', async () => {
    const client = await t.connect({ Authorization: bob.idToken, host: 'local' });
    expect((await client.start('plain', bob.idToken, 'subscription { onCreateNote { id owner } }'))?.type).toBe(
      'start_ack',
    );
    expect(
      (
        await client.start(
          'datastore',
          bob.idToken,
          'subscription S($o: String) { onCreateNote(owner: $o) { id owner } }',
          {
            o: ownerOf(bob),
          },
        )
      )?.type,
    ).toBe('start_ack');
    expect(
      (await client.start('inbox', bob.idToken, 'subscription { onMessageReceived { id recipient } }'))?.type,
    ).toBe('start_ack');
    const adminClient = await t.connect({ Authorization: admin.idToken, host: 'local' });
    expect((await adminClient.start('all', admin.idToken, 'subscription { onCreateNote { id owner } }'))?.type).toBe(
      'start_ack',
    );
    const mine = await create(bob, 'Note', 'live');
    const theirs = await create(ada, 'Note', 'live');
    await t.gql(
      ada.idToken,
      `mutation { sendMessage(recipientId: "${bob.sub}", body: "hi bob") { id owner recipient } }`,
    );
    await wait(300);
    const ids = (c: RealtimeClient, id: string) =>
      c.messages.filter((m) => m.id === id && m.type === 'data').map((m) => eventRecord(m).id);
    expect(ids(client, 'plain')).toEqual([mine.id]);
    expect(ids(client, 'datastore')).toEqual([mine.id]);
    expect(ids(client, 'inbox')).toHaveLength(1);
    expect(ids(adminClient, 'all')).toEqual([mine.id, theirs.id]);
    client.close();
    adminClient.close();
  });

  it('does not let a mutation alias pose as the owner field', async () => {
    const client = await t.connect({ Authorization: bob.idToken, host: 'local' });
    await client.start(
      'ds',
      bob.idToken,
      'subscription S($o: String) { onCreateNote(owner: $o) { id owner headline } }',
      {
        o: ownerOf(bob),
      },
    );
    // Ada's note, with its headline returned under the name `owner` and Bob's owner as the headline.
    await t.gql(ada.idToken, `mutation { createNote(input: { headline: "${ownerOf(bob)}" }) { id owner: headline } }`);
    await wait(300);
    expect(client.messages.filter((m) => m.type === 'data')).toEqual([]);
    client.close();
  });

  it('refuses a subscription whose resolver did not run, even one that got past validation', async () => {
    const original = t.api.prepare;
    // Validation switched off: only the design's second line (no auth step, no subscription) stands.
    t.api.prepare = (query: string) => {
      const document = parse(query);
      const operation = document.definitions.find(
        (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
      );
      return { document, operation };
    };
    try {
      const identity = { claims: decodeJwt(bob.idToken), sourceIp: '127.0.0.1', headers: {} };
      for (const query of [
        'subscription { onCreateNote @skip(if: true) { id owner } }',
        'subscription { onMessageReceived @include(if: false) { id } }',
        'subscription { ... on Subscription @skip(if: true) { onCreateDevice { id } } }',
      ]) {
        const started = await t.api.subscribe(query, undefined, undefined, identity);
        expect('errors' in started && started.errors[0]).toMatchObject({ errorType: 'Unauthorized' });
      }
      // The same path with the resolver run: accepted, so the refusals above are the design's, not the patch's.
      const ran = await t.api.subscribe('subscription { onCreateNote { id owner } }', undefined, undefined, identity);
      expect('plan' in ran && ran.plan.authorized).toBe(true);
    } finally {
      t.api.prepare = original;
    }
  });

  it('refuses a stranger: a forged token at the handshake and at a start', async () => {
    const forged = await forgedToken({
      sub: ada.sub,
      'cognito:username': ada.username,
      token_use: 'id',
      aud: t.clientId,
      iss: t.issuerUrl,
      exp: Math.floor(Date.now() / 1000) + 3600,
    });
    const refused = await t.connect({ Authorization: forged, host: 'local' });
    const error = await refused.next((m) => m.type === 'connection_error');
    expect(error).toMatchObject({ payload: { errors: [{ errorType: 'UnauthorizedException' }] } });
    expect(await refused.closed).toBe(1000);

    const client = await t.connect({ Authorization: bob.idToken, host: 'local' });
    const answer = await client.start('s', forged, 'subscription { onCreateNote { id owner } }');
    expect(answer).toMatchObject({ type: 'error', payload: { errors: [{ errorType: 'UnauthorizedException' }] } });
    await create(ada, 'Note', 'for nobody');
    await wait(200);
    expect(client.messages.filter((m) => m.type === 'data')).toEqual([]);
    client.close();
  });
});
