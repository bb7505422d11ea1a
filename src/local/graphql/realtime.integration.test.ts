import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES, MAX_SUBSCRIPTIONS_PER_CONNECTION } from './realtime';
import {
  dataOf,
  forgedToken,
  obj,
  type RealtimeClient,
  startTestGraphql,
  type TestGraphql,
  type TestUser,
} from './test-server';

/**
 * The realtime endpoint against malformed and hostile frames, over real
 * `ws` frames: no frame can throw out of the handler or end the process,
 * each answer is an AppSync message, a client that breaks the framing loses
 * only its own connection, and AppSync's quotas, errors and token expiry hold.
 */

let t: TestGraphql;
let ada: TestUser;
let bob: TestUser;
let canary: Array<{ id: string; headline: string }> = [];
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SUBSCRIPTION = 'subscription { onCreateNote { id owner headline } }';

const startFrame = (id: string, token: string, data: unknown = { query: SUBSCRIPTION, variables: {} }) => ({
  id,
  type: 'start',
  payload: {
    data: typeof data === 'string' ? data : JSON.stringify(data),
    extensions: { authorization: { Authorization: token, host: 'local' } },
  },
});

/** An AppSync realtime message: a known type, and errors with an errorType and message each. */
const isAppSyncMessage = (m: Record<string, unknown>): boolean => {
  const known = ['connection_ack', 'connection_error', 'start_ack', 'data', 'error', 'complete', 'ka'];
  if (typeof m.type !== 'string' || !known.includes(m.type)) return false;
  if (m.type !== 'error' && m.type !== 'connection_error') return true;
  const errors = obj(m.payload).errors;
  return (
    Array.isArray(errors) &&
    errors.length > 0 &&
    errors.every(
      (e) =>
        typeof e === 'object' &&
        e !== null &&
        typeof Reflect.get(e, 'errorType') === 'string' &&
        typeof Reflect.get(e, 'message') === 'string',
    )
  );
};

const connect = async (user: TestUser = bob): Promise<RealtimeClient> => {
  const client = await t.connect({ Authorization: user.idToken, host: 'local' });
  client.send({ type: 'connection_init' });
  await client.next((m) => m.type === 'connection_ack');
  return client;
};

/** The server still serves: a read over HTTP, and a new subscription that receives a new note. */
const stillServes = async () => {
  const read = await t.gql(ada.idToken, `{ getNote(id: "${canary[0]?.id}") { id headline } }`);
  expect(read.status).toBe(200);
  const client = await connect(ada);
  expect((await client.start('alive', ada.idToken, SUBSCRIPTION))?.type).toBe('start_ack');
  await t.gql(ada.idToken, 'mutation { createNote(input: { headline: "after the storm" }) { id owner headline } }');
  expect(await client.next((m) => m.id === 'alive' && m.type === 'data')).toBeDefined();
  client.close();
  for (const note of canary) {
    const got = await t.gql(ada.idToken, `{ getNote(id: "${note.id}") { id headline } }`);
    expect(got.body?.data?.getNote).toEqual(note);
  }
};

beforeAll(async () => {
  t = await startTestGraphql();
  ada = await t.user('ada');
  bob = await t.user('bob');
  canary = [];
  for (let i = 0; i < 5; i++) {
    const r = await t.gql(ada.idToken, `mutation { createNote(input: { headline: "canary ${i}" }) { id headline } }`);
    const note = dataOf(r, 'createNote');
    canary.push({ id: String(note.id), headline: String(note.headline) });
  }
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('frames that used to end the process', () => {
  const cases: Array<[string, () => unknown]> = [
    ['the text frame null', () => 'null'],
    ['a start whose data is "null"', () => startFrame('n', bob.idToken, 'null')],
    ['variables given as the string "x"', () => startFrame('v', bob.idToken, { query: SUBSCRIPTION, variables: 'x' })],
    ['variables given as a number', () => startFrame('v2', bob.idToken, { query: SUBSCRIPTION, variables: 7 })],
    ['a query that is not a string', () => startFrame('q', bob.idToken, { query: { a: 1 } })],
    ['a start whose payload is null', () => ({ id: 'p', type: 'start', payload: null })],
    [
      'a start whose authorization is a string',
      () => ({ id: 'a', type: 'start', payload: { data: '{}', extensions: { authorization: 'x' } } }),
    ],
    ['an array', () => '[1,2,3]'],
    ['a number', () => '42'],
    ['a string', () => '"start"'],
    ['a type that is not a string', () => ({ type: ['start'], id: 'x' })],
    ['an id that is an object', () => ({ ...startFrame('x', bob.idToken), id: { toString: 1 } })],
    [
      'data that is an object, not a string',
      () => ({ id: 'o', type: 'start', payload: { data: { query: SUBSCRIPTION } } }),
    ],
  ];
  for (const [name, frame] of cases) {
    it(`answers ${name} with an AppSync error and keeps serving`, async () => {
      const client = await connect();
      const from = client.messages.length;
      const value = frame();
      client.send(typeof value === 'string' ? value : JSON.stringify(value));
      const answer = await client.next((m) => m.type === 'error', 2000, from);
      expect(answer && isAppSyncMessage(answer)).toBe(true);
      // The same connection still works.
      expect((await client.start('ok', bob.idToken, SUBSCRIPTION))?.type).toBe('start_ack');
      client.close();
    });
  }
  it('keeps serving after all of them', stillServes);
});

/** Malformed frames, generated: a wrong value at each position of a start, truncations, unknown types, binary, huge. */
const fuzzFrames = (token: string): Array<{ label: string; frame: string | Buffer }> => {
  const wrong: unknown[] = [
    null,
    true,
    false,
    0,
    -1,
    1.5,
    1e308,
    '',
    'x',
    [],
    [null],
    {},
    { a: {} },
    '{"x":',
    '\u0000',
  ];
  const frames: Array<{ label: string; frame: string | Buffer }> = [];
  const set = (target: unknown, path: string[], value: unknown) => {
    const [head, ...rest] = path;
    if (head === undefined || typeof target !== 'object' || target === null) return;
    if (rest.length === 0) Reflect.set(target, head, value);
    else set(Reflect.get(target, head), rest, value);
  };
  // Positions in the frame itself.
  for (const path of [
    ['type'],
    ['id'],
    ['payload'],
    ['payload', 'data'],
    ['payload', 'extensions'],
    ['payload', 'extensions', 'authorization'],
    ['payload', 'extensions', 'authorization', 'Authorization'],
  ]) {
    for (const value of wrong) {
      const frame = startFrame(`f${frames.length}`, token);
      set(frame, path, value);
      frames.push({ label: `${path.join('.')}=${JSON.stringify(value)}`, frame: JSON.stringify(frame) });
    }
  }
  // Positions inside the GraphQL request that `data` carries.
  for (const key of ['query', 'variables', 'operationName']) {
    for (const value of wrong) {
      const data: Record<string, unknown> = { query: SUBSCRIPTION, variables: {} };
      data[key] = value;
      frames.push({
        label: `data.${key}=${JSON.stringify(value)}`,
        frame: JSON.stringify(startFrame(`d${frames.length}`, token, data)),
      });
    }
  }
  const valid = JSON.stringify(startFrame('trunc', token));
  for (const cut of [1, 2, 10, 30, 60, Math.floor(valid.length / 2), valid.length - 2, valid.length - 1]) {
    frames.push({ label: `truncated at ${cut}`, frame: valid.slice(0, cut) });
  }
  for (const type of ['', 'ka', 'data', 'complete', 'connection_ack', 'START', 'subscribe', 'ping', 'error', 'stop ']) {
    frames.push({ label: `type ${JSON.stringify(type)}`, frame: JSON.stringify({ type, id: 'u' }) });
  }
  for (const doc of [
    'subscription { onCreateNote { id } onCreateDevice { id } }',
    'query { getNote(id: "x") { id } }',
    'mutation { createNote(input: { headline: "from ws" }) { id } }',
    'subscription { nope { id } }',
    '{',
    'subscription { onCreateNote(owner: 5) { id } }',
    `subscription { onCreateNote { ${'id '.repeat(5000)} } }`,
    `subscription { onCreateNote { ${'a: id '.repeat(3000)} } }`,
    'subscription S { onCreateNote { id } } subscription T { onCreateNote { id } }',
    'subscription { onCreateNote { ...F } } fragment F on Note { ...G } fragment G on Note { ...F }',
  ]) {
    frames.push({
      label: `document ${doc.slice(0, 40)}`,
      frame: JSON.stringify(startFrame(`doc${frames.length}`, token, { query: doc })),
    });
  }
  frames.push({ label: 'stop with no id', frame: '{"type":"stop"}' });
  frames.push({ label: 'stop with an object id', frame: '{"type":"stop","id":{}}' });
  frames.push({
    label: '__proto__ key',
    frame: '{"__proto__":{"type":"start"},"type":"start","id":"proto","payload":{"__proto__":{"data":"x"}}}',
  });
  frames.push({ label: 'invalid UTF-8', frame: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('latin1') });
  frames.push({ label: 'deeply nested JSON', frame: `${'['.repeat(20_000)}${']'.repeat(20_000)}` });
  frames.push({ label: 'binary frame of JSON', frame: Buffer.from(JSON.stringify({ type: 'connection_init' })) });
  frames.push({ label: 'binary frame of random bytes', frame: Buffer.from([0, 1, 2, 3, 255, 254, 253]) });
  frames.push({
    label: 'a frame over the size limit',
    frame: JSON.stringify({ type: 'connection_init', pad: 'x'.repeat(MAX_FRAME_BYTES + 10) }),
  });
  return frames;
};

describe('a fuzz pass over the realtime frames', () => {
  it('answers every malformed frame with an AppSync error, closes only connections that break the framing, and keeps serving', async () => {
    const frames = fuzzFrames(bob.idToken);
    expect(frames.length).toBeGreaterThanOrEqual(100);
    let client = await connect();
    const wrong: string[] = [];
    let closed = 0;
    let answered = 0;
    let unexpectedAcks = 0;
    for (const { label, frame } of frames) {
      if (client.socket.readyState !== client.socket.OPEN) client = await connect();
      const from = client.messages.length;
      client.socket.send(frame, { binary: Buffer.isBuffer(frame) });
      // An answer, a close, or (for frames the protocol ignores) silence.
      const answer = await client.next(() => true, 400, from);
      if (answer) {
        answered += 1;
        const all = client.messages.slice(from);
        for (const m of all) if (!isAppSyncMessage(m)) wrong.push(`${label}: ${JSON.stringify(m).slice(0, 200)}`);
        if (all.some((m) => m.type === 'start_ack')) unexpectedAcks += 1;
      }
      if (client.socket.readyState !== client.socket.OPEN) {
        closed += 1;
        const code = await client.closed;
        if (![1003, 1009].includes(code)) wrong.push(`${label}: closed with ${code}`);
      } else if (!answer) {
        wrong.push(`${label}: no answer`);
      }
    }
    client.close();
    console.log(
      `realtime fuzz: ${frames.length} frames, ${answered} answered, ${closed} connections closed (binary/oversized), ${unexpectedAcks} accepted (frames that were valid), ${wrong.length} wrong answers`,
    );
    expect(wrong).toEqual([]);
    await stillServes();
  });
});

describe('the last-resort guard', () => {
  it('logs a failure inside a frame handler, answers InternalFailure, closes that connection only, and keeps serving', async () => {
    const bystander = await connect(ada);
    await bystander.start('watch', ada.idToken, SUBSCRIPTION);
    const original = t.api.subscribe;
    t.api.subscribe = async () => {
      throw new Error('a bug met by one frame');
    };
    try {
      const victim = await connect();
      victim.send(startFrame('boom', bob.idToken));
      const answer = await victim.next((m) => m.type === 'error');
      expect(answer).toMatchObject({ payload: { errors: [{ errorType: 'InternalFailure' }] } });
      expect(await victim.closed).toBe(1011);
    } finally {
      t.api.subscribe = original;
    }
    await t.gql(ada.idToken, 'mutation { createNote(input: { headline: "after the bug" }) { id owner headline } }');
    expect(await bystander.next((m) => m.id === 'watch' && m.type === 'data')).toBeDefined();
    bystander.close();
    await stillServes();
  });
});

describe("AppSync's realtime quotas and protocol rules", () => {
  it(`refuses subscription ${MAX_SUBSCRIPTIONS_PER_CONNECTION + 1} on a connection with MaxSubscriptionsReachedError`, async () => {
    const client = await connect();
    for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_CONNECTION; i++) client.send(startFrame(`s${i}`, bob.idToken));
    for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_CONNECTION; i++)
      expect((await client.next((m) => m.id === `s${i}`, 5000))?.type).toBe('start_ack');
    const over = await client.start('one-too-many', bob.idToken, SUBSCRIPTION);
    expect(over).toMatchObject({ type: 'error', payload: { errors: [{ errorType: 'MaxSubscriptionsReachedError' }] } });
    // A stop frees a place.
    client.send({ type: 'stop', id: 's0' });
    await client.next((m) => m.type === 'complete' && m.id === 's0');
    expect((await client.start('now-fits', bob.idToken, SUBSCRIPTION))?.type).toBe('start_ack');
    client.close();
  });

  it('counts starts still being authorized toward the quota', async () => {
    const client = await connect();
    // All at once: none has been acknowledged when the last arrives.
    for (let i = 0; i <= MAX_SUBSCRIPTIONS_PER_CONNECTION; i++) client.send(startFrame(`b${i}`, bob.idToken));
    await wait(1500);
    const acks = client.messages.filter((m) => m.type === 'start_ack').length;
    const refusals = client.messages.filter(
      (m) => m.type === 'error' && JSON.stringify(m).includes('MaxSubscriptionsReachedError'),
    ).length;
    expect([acks, refusals]).toEqual([MAX_SUBSCRIPTIONS_PER_CONNECTION, 1]);
    client.close();
  });

  it('refuses a duplicate subscription id with DuplicatedOperationError, also while the first is starting', async () => {
    const client = await connect();
    client.send(startFrame('same', bob.idToken));
    client.send(startFrame('same', bob.idToken));
    await wait(500);
    const answers = client.messages.filter((m) => m.id === 'same');
    expect(answers.map((m) => m.type).sort()).toEqual(['error', 'start_ack']);
    expect(answers.find((m) => m.type === 'error')).toMatchObject({
      payload: { errors: [{ errorType: 'DuplicatedOperationError', message: 'Duplicated operation with id same' }] },
    });
    expect(await client.start('same', bob.idToken, SUBSCRIPTION)).toMatchObject({ type: 'error' });
    client.close();
  });

  it('does not register a subscription stopped while its start was being authorized', async () => {
    const client = await connect();
    client.send(startFrame('gone', bob.idToken));
    client.send({ type: 'stop', id: 'gone' });
    await client.next((m) => m.id === 'gone' && m.type === 'complete');
    await wait(300);
    expect(client.messages.filter((m) => m.id === 'gone' && m.type === 'start_ack')).toEqual([]);
    await t.gql(
      bob.idToken,
      'mutation { createNote(input: { headline: "for a stopped subscription" }) { id owner headline } }',
    );
    await wait(200);
    expect(client.messages.filter((m) => m.id === 'gone' && m.type === 'data')).toEqual([]);
    client.close();
  });

  it('accepts a start without connection_init (optional in AppSync), still authorizing the start', async () => {
    const client = await t.connect({ Authorization: bob.idToken, host: 'local' });
    expect((await client.start('early', bob.idToken, SUBSCRIPTION))?.type).toBe('start_ack');
    expect(await client.start('early-bad', 'not a token', SUBSCRIPTION)).toMatchObject({
      type: 'error',
      payload: { errors: [{ errorType: 'UnauthorizedException' }] },
    });
    client.close();
  });

  it('closes only the connection that sends an oversized frame', async () => {
    const bystander = await connect(ada);
    await bystander.start('watch', ada.idToken, SUBSCRIPTION);
    const offender = await connect();
    offender.socket.send(JSON.stringify({ type: 'connection_init', pad: 'x'.repeat(MAX_FRAME_BYTES + 1) }));
    expect(await offender.closed).toBe(1009);
    await t.gql(
      ada.idToken,
      'mutation { createNote(input: { headline: "seen by the bystander" }) { id owner headline } }',
    );
    expect(await bystander.next((m) => m.id === 'watch' && m.type === 'data')).toBeDefined();
    bystander.close();
  });

  it('ends a subscription when the token that started it expires, with an error and no more events', async () => {
    const short = await t.token(
      { sub: ada.sub, 'cognito:username': ada.username, token_use: 'id', aud: t.clientId, iss: t.issuerUrl },
      2,
    );
    const client = await connect(ada);
    expect((await client.start('brief', short, SUBSCRIPTION))?.type).toBe('start_ack');
    expect((await client.start('long', ada.idToken, SUBSCRIPTION))?.type).toBe('start_ack');
    const expired = await client.next((m) => m.id === 'brief' && m.type === 'error', 4000);
    expect(expired).toMatchObject({
      payload: { errors: [{ errorType: 'UnauthorizedException', message: 'Token has expired.' }] },
    });
    await t.gql(ada.idToken, 'mutation { createNote(input: { headline: "after expiry" }) { id owner headline } }');
    expect(await client.next((m) => m.id === 'long' && m.type === 'data')).toBeDefined();
    expect(client.messages.filter((m) => m.id === 'brief' && m.type === 'data')).toEqual([]);
    client.close();
  });

  it('ends every subscription of a connection whose handshake token expires', async () => {
    const short = await t.token(
      { sub: ada.sub, 'cognito:username': ada.username, token_use: 'id', aud: t.clientId, iss: t.issuerUrl },
      2,
    );
    const client = await t.connect({ Authorization: short, host: 'local' });
    expect((await client.start('c', ada.idToken, SUBSCRIPTION))?.type).toBe('start_ack');
    expect(await client.next((m) => m.id === 'c' && m.type === 'error', 4000)).toMatchObject({
      payload: { errors: [{ message: 'Token has expired.' }] },
    });
    client.close();
  });
});

describe('forged tokens at the realtime handshake and at each start', () => {
  const claims = () => ({
    sub: ada.sub,
    'cognito:username': ada.username,
    token_use: 'id',
    aud: t.clientId,
    iss: t.issuerUrl,
    exp: Math.floor(Date.now() / 1000) + 3600,
  });
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const forgeries = async (): Promise<Array<[string, string]>> => [
    ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`],
    ['alg none, signature kept', `${b64({ alg: 'none' })}.${b64(claims())}.${ada.idToken.split('.')[2]}`],
    ['HS256 with the public key as secret', `${b64({ alg: 'HS256', kid: 'test-key' })}.${b64(claims())}.AAAA`],
    ['a key the pool does not have', await forgedToken(claims())],
    ['the right key, another issuer', await t.token({ ...claims(), iss: 'https://evil.example.com' }, 3600)],
    ['the right key, another audience', await t.token({ ...claims(), aud: 'someone-else' }, 3600)],
    ['the right key, expired', await t.token({ ...claims(), exp: undefined }, -60)],
    [
      'an access token for another client',
      await t.token({ ...claims(), token_use: 'access', aud: undefined, client_id: 'x' }, 3600),
    ],
    ['no token_use', await t.token({ ...claims(), token_use: undefined }, 3600)],
    [
      'a tampered payload',
      `${ada.idToken.split('.')[0]}.${b64({ ...claims(), 'cognito:groups': ['Admins'] })}.${ada.idToken.split('.')[2]}`,
    ],
    ['garbage', 'not-a-jwt'],
    ['empty', ''],
  ];

  it('refuses each at the handshake with connection_error and closes', async () => {
    for (const [name, token] of await forgeries()) {
      const client = await t.connect({ Authorization: token, host: 'local' });
      const answer = await client.next((m) => m.type === 'connection_error' || m.type === 'connection_ack', 2000);
      expect({ name, answer }).toMatchObject({
        name,
        answer: { type: 'connection_error', payload: { errors: [{ errorType: 'UnauthorizedException' }] } },
      });
      expect(await client.closed).toBe(1000);
    }
    for (const header of [undefined, 'bm90IGpzb24', b64('a string'), b64([1, 2])]) {
      const client = await t.connect(header);
      expect(await client.next((m) => m.type === 'connection_error', 2000)).toBeDefined();
    }
  });

  it('refuses each at a start on a valid connection with UnauthorizedException, and delivers nothing', async () => {
    const client = await connect();
    const list = await forgeries();
    for (const [name, token] of list) {
      const answer = await client.start(`forged-${name}`, token, SUBSCRIPTION);
      expect({ name, answer }).toMatchObject({
        name,
        answer: { type: 'error', payload: { errors: [{ errorType: 'UnauthorizedException' }] } },
      });
    }
    await t.gql(
      ada.idToken,
      'mutation { createNote(input: { headline: "nobody forged sees this" }) { id owner headline } }',
    );
    await wait(200);
    expect(client.messages.filter((m) => m.type === 'data')).toEqual([]);
    console.log(`forged tokens: ${list.length} at the handshake, ${list.length} at a start, 0 accepted`);
    client.close();
  });
});
