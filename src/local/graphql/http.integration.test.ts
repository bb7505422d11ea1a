import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RESOLVER_COUNT_LIMIT, LIMIT_ERROR_TYPE } from './api';
import {
  dataOf,
  forgedToken,
  type GraphqlAnswer,
  obj,
  startTestGraphql,
  type TestGraphql,
  type TestUser,
} from './test-server';

/**
 * POST /graphql against malformed bodies and oversized documents, over real
 * HTTPS: AppSync's answers (graphql/graphql-over-http#81: 400
 * MalformedHttpRequestException for a body that is no GraphQL request, 200
 * with `errors` for a document that does not validate), its per-request
 * resolver limit before anything runs, and forged tokens refused with 401.
 */

let t: TestGraphql;
let ada: TestUser;
let canary: Array<{ id: string; headline: string }> = [];

beforeAll(async () => {
  t = await startTestGraphql();
  ada = await t.user('ada');
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

const hasAppSyncErrors = (answer: GraphqlAnswer): boolean =>
  Array.isArray(answer.body?.errors) &&
  answer.body.errors.length > 0 &&
  answer.body.errors.every((e) => typeof e.message === 'string' && 'errorType' in e);

const stillServes = async () => {
  for (const note of canary) {
    const got = await t.gql(ada.idToken, `{ getNote(id: "${note.id}") { id headline } }`);
    expect(got.status).toBe(200);
    expect(got.body?.data?.getNote).toEqual(note);
  }
  const created = await t.gql(ada.idToken, 'mutation { createNote(input: { headline: "after the fuzz" }) { id } }');
  expect(created.body?.errors).toBeUndefined();
};

/** Malformed bodies, generated: wrong JSON types at each position, truncations, encodings, huge values. */
const fuzzBodies = (): Array<{ label: string; body: string | Buffer; kind: 'malformed' | 'graphql' | 'too large' }> => {
  const wrong: unknown[] = [null, true, 0, -1, 1e308, '', 'x', [], [null], {}, { a: { b: [] } }, '{"x":'];
  const bodies: Array<{ label: string; body: string | Buffer; kind: 'malformed' | 'graphql' | 'too large' }> = [];
  const valid = {
    query: 'query Q($id: ID!) { getNote(id: $id) { id headline } }',
    variables: { id: 'x' },
    operationName: 'Q',
  };
  for (const key of ['query', 'variables', 'operationName'] as const) {
    for (const value of wrong) {
      // A wrong query or operationName is a malformed request; a null/absent one of the optional parts is fine.
      const body = { ...valid, [key]: value };
      const optional = key !== 'query' && value === null;
      const objectVariables =
        key === 'variables' && typeof value === 'object' && value !== null && !Array.isArray(value);
      // Any string is a request; whether it parses or names an operation is GraphQL's answer (200).
      const string = key !== 'variables' && typeof value === 'string';
      const kind = string || optional || objectVariables ? 'graphql' : 'malformed';
      bodies.push({
        label: `${key}=${JSON.stringify(value)}`,
        body: JSON.stringify(body),
        kind: kind === 'graphql' ? 'graphql' : 'malformed',
      });
    }
  }
  for (const variables of [{ id: null }, { id: 5 }, { id: { a: 1 } }, { id: ['x'] }, { id: 'x', extra: 1 }, {}]) {
    bodies.push({
      label: `variables ${JSON.stringify(variables)}`,
      body: JSON.stringify({ ...valid, variables }),
      kind: 'graphql',
    });
  }
  for (const top of ['null', 'true', '0', '"query"', '[]', '[{"query":"{ __typename }"}]', '{}', '{}}', 'meow', '']) {
    bodies.push({ label: `body ${top || '(empty)'}`, body: top, kind: 'malformed' });
  }
  const text = JSON.stringify(valid);
  for (const cut of [1, 5, 12, 30, Math.floor(text.length / 2), text.length - 1]) {
    bodies.push({ label: `truncated at ${cut}`, body: text.slice(0, cut), kind: 'malformed' });
  }
  bodies.push({
    label: 'invalid UTF-8',
    body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
    kind: 'malformed',
  });
  bodies.push({ label: 'UTF-16', body: Buffer.from(text, 'utf16le'), kind: 'malformed' });
  bodies.push({
    label: 'deeply nested JSON',
    body: `{"query":"{ __typename }","variables":${'['.repeat(50_000)}${']'.repeat(50_000)}}`,
    kind: 'malformed',
  });
  bodies.push({
    label: 'over 1 MB',
    body: JSON.stringify({ query: `{ __typename } #${'x'.repeat(1_100_000)}` }),
    kind: 'too large',
  });
  for (const query of [
    '',
    '{',
    '}',
    '{ nope }',
    'query { getNote { id } }',
    'mutation { createNote { id } }',
    'subscription { onCreateNote { id } }',
    '{ getNote(id: "x") { id } } { getNote(id: "y") { id } }',
    'query A { __typename } query B { __typename }',
    '{ ...F } fragment F on Query { ...F }',
    `${'{ getNote(id: "x") '.repeat(5000)}${'}'.repeat(5000)}`,
    `{ getNote(id: "x") { ${'id '.repeat(20_000)} } }`,
    `{ ${'a: __typename '.repeat(20_000)} }`,
    `{ ${Array.from({ length: 12_000 }, (_, i) => `a${i}: getNote(id: "x") { id }`).join(' ')} }`,
    `query { getNote(id: "${'x'.repeat(100_000)}") { id } }`,
    'query ($a: Int = "x") { __typename }',
    'query @skip(if: true) { __typename }',
    '{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }',
    '\u0000\u0001',
    '# only a comment',
  ]) {
    bodies.push({ label: `query ${query.slice(0, 40)}`, body: JSON.stringify({ query }), kind: 'graphql' });
  }
  // Wrong types inside a mutation's input, at each of its fields.
  const create = 'mutation C($input: CreateNoteInput!) { createNote(input: $input) { id } }';
  for (const input of [
    null,
    'x',
    5,
    [],
    [{ headline: 'x' }],
    { headline: 5 },
    { headline: null },
    { headline: {} },
    { headline: ['a'] },
    { headline: 'x', unknown: 1 },
    { headline: 'x', _version: 'one' },
    { headline: 'x', owner: { eq: 'someone' } },
    { headline: 'x', id: 12 },
    { headline: 'x'.repeat(200_000) },
    { headline: '' },
  ]) {
    bodies.push({
      label: `input ${JSON.stringify(input).slice(0, 40)}`,
      body: JSON.stringify({ query: create, variables: { input } }),
      kind: 'graphql',
    });
  }
  for (const [label, body] of [
    ['byte order mark', `\ufeff${text}`],
    ['duplicate keys', '{"query":"{ __typename }","query":5}'],
    ['__proto__ key', '{"__proto__":{"query":"{ __typename }"},"variables":{}}'],
    ['query as an array', '{"query":["{ __typename }"]}'],
    ['extensions of a wrong type', '{"query":"{ __typename }","extensions":"x"}'],
    ['NaN', '{"query":NaN}'],
    ['single quotes', "{'query':'{ __typename }'}"],
    ['trailing comma', '{"query":"{ __typename }",}'],
  ] as const) {
    const ok = label === 'duplicate keys' || label === 'extensions of a wrong type';
    bodies.push({ label, body, kind: ok ? (label === 'duplicate keys' ? 'malformed' : 'graphql') : 'malformed' });
  }
  // Fragments that spread each other exponentially: 2^30 fields once expanded.
  const bomb = Array.from({ length: 30 }, (_, i) => `fragment F${i} on Note { ...F${i + 1} ...F${i + 1} }`).join(' ');
  bodies.push({
    label: 'fragment bomb',
    body: JSON.stringify({ query: `{ getNote(id: "x") { ...F0 } } ${bomb} fragment F30 on Note { id }` }),
    kind: 'graphql',
  });
  return bodies;
};

describe('a fuzz pass over GraphQL HTTP bodies', () => {
  it("answers each in AppSync's format, never 5xx, and keeps serving with the canary intact", async () => {
    const bodies = fuzzBodies();
    expect(bodies.length).toBeGreaterThanOrEqual(100);
    const wrong: string[] = [];
    const statuses = new Map<number, number>();
    for (const { label, body, kind } of bodies) {
      const answer = await t.post(body, { authorization: ada.idToken });
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const expected = kind === 'malformed' ? 400 : kind === 'too large' ? 413 : 200;
      if (answer.status !== expected) wrong.push(`${label}: ${answer.status} ${answer.text.slice(0, 160)}`);
      else if (kind !== 'graphql' && !hasAppSyncErrors(answer)) wrong.push(`${label}: ${answer.text.slice(0, 160)}`);
      else if (kind === 'graphql' && answer.body === undefined) wrong.push(`${label}: not JSON`);
    }
    console.log(
      `HTTP fuzz: ${bodies.length} bodies, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${wrong.length} wrong answers`,
    );
    expect(wrong).toEqual([]);
    await stillServes();
  });

  it('answers the malformed requests AppSync documents with its own messages', async () => {
    expect((await t.post('', { authorization: ada.idToken })).body).toEqual({
      errors: [{ errorType: 'MalformedHttpRequestException', message: 'Request body is empty.' }],
    });
    for (const body of ['meow', '{}', '{}}', '[]', '{"query":"{ __typename }","variables":"x"}']) {
      const answer = await t.post(body, { authorization: ada.idToken });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        errors: [{ errorType: 'MalformedHttpRequestException', message: 'Unable to parse GraphQL query.' }],
      });
    }
  });
});

describe('the last-resort guard', () => {
  it('answers a failure inside the handler with 500 InternalFailure and keeps serving', async () => {
    const original = t.api.execute;
    t.api.execute = async () => {
      throw new Error('a bug met by one request');
    };
    try {
      const answer = await t.gql(ada.idToken, '{ __typename }');
      expect(answer.status).toBe(500);
      expect(answer.body).toMatchObject({ errors: [{ errorType: 'InternalFailure' }] });
    } finally {
      t.api.execute = original;
    }
    await stillServes();
  });
});

describe("AppSync's per-request limits", () => {
  const aliased = (n: number) =>
    `{ ${Array.from({ length: n }, (_, i) => `a${i}: getNote(id: "x") { id }`).join(' ')} }`;

  it(`refuses more than ${DEFAULT_RESOLVER_COUNT_LIMIT} resolvers before running any, without stalling other clients`, async () => {
    await t.post(JSON.stringify({ query: aliased(100) }), { authorization: ada.idToken });
    const started = performance.now();
    const big = t.post(JSON.stringify({ query: aliased(12_000) }), { authorization: ada.idToken });
    const probes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      await t.gql(ada.idToken, `{ getNote(id: "${canary[0]?.id}") { id } }`);
      probes.push(performance.now() - s);
    }
    const answer = await big;
    const ms = performance.now() - started;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ data: null, errors: [{ errorType: LIMIT_ERROR_TYPE }] });
    console.log(
      `12,000 aliased resolvers: refused in ${Math.round(ms)} ms; other requests meanwhile: ${probes.map(Math.round).join(', ')} ms`,
    );
    // Generous bounds for a loaded machine; running the 12,000 resolvers took about 20 s here.
    expect(ms).toBeLessThan(10_000);
    expect(Math.max(...probes)).toBeLessThan(3000);
    // Nothing ran: a mutation over the limit writes nothing.
    const writes = `mutation { ${Array.from({ length: 10_001 }, (_, i) => `w${i}: createNote(input: { headline: "flood" }) { id }`).join(' ')} }`;
    const refused = await t.post(JSON.stringify({ query: writes }), { authorization: ada.idToken });
    expect(refused.body).toMatchObject({ data: null, errors: [{ errorType: LIMIT_ERROR_TYPE }] });
    const mine = await t.gql(
      ada.idToken,
      `{ listNotesByOwner(owner: "${ada.sub}::${ada.username}", limit: 1000) { items { headline } } }`,
    );
    const items = dataOf(mine, 'listNotesByOwner').items;
    expect(Array.isArray(items) && items.length).toBeGreaterThan(0);
    expect((Array.isArray(items) ? items : []).filter((n) => obj(n).headline === 'flood')).toEqual([]);
  });

  it('refuses a fragment bomb quickly', async () => {
    const bomb = Array.from({ length: 40 }, (_, i) => `fragment F${i} on Note { ...F${i + 1} ...F${i + 1} }`).join(' ');
    const started = performance.now();
    const answer = await t.post(
      JSON.stringify({ query: `{ getNote(id: "x") { ...F0 } } ${bomb} fragment F40 on Note { id }` }),
      {
        authorization: ada.idToken,
      },
    );
    expect(answer.body).toMatchObject({ data: null, errors: [{ errorType: LIMIT_ERROR_TYPE }] });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('runs a request under the limit', async () => {
    const answer = await t.post(JSON.stringify({ query: aliased(50) }), { authorization: ada.idToken });
    expect(answer.body?.errors).toBeUndefined();
    expect(Object.keys(answer.body?.data ?? {})).toHaveLength(50);
  });
});

describe('forged tokens at HTTP', () => {
  it('refuses each with 401 UnauthorizedException', async () => {
    const claims = {
      sub: ada.sub,
      'cognito:username': ada.username,
      token_use: 'id',
      aud: t.clientId,
      iss: t.issuerUrl,
      exp: Math.floor(Date.now() / 1000) + 3600,
    };
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const forged: Array<[string, string | undefined]> = [
      ['none', undefined],
      ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`],
      ['HS256', `${b64({ alg: 'HS256', kid: 'test-key' })}.${b64(claims)}.AAAA`],
      ['a key the pool does not have', await forgedToken(claims)],
      ['another issuer', await t.token({ ...claims, iss: 'https://evil.example.com' }, 3600)],
      ['another audience', await t.token({ ...claims, aud: 'someone-else' }, 3600)],
      ['expired', await t.token({ ...claims, exp: undefined }, -60)],
      ['no token_use', await t.token({ ...claims, token_use: undefined }, 3600)],
      [
        'access token of another client',
        await t.token({ ...claims, token_use: 'access', aud: undefined, client_id: 'x' }, 3600),
      ],
      [
        'tampered groups',
        `${ada.idToken.split('.')[0]}.${b64({ ...claims, 'cognito:groups': ['Admins'] })}.${ada.idToken.split('.')[2]}`,
      ],
      ['Bearer garbage', 'Bearer x.y.z'],
      [
        'SigV4 with IAM off',
        'AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/appsync/aws4_request, SignedHeaders=host, Signature=00',
      ],
    ];
    for (const [name, token] of forged) {
      const answer = await t.post(JSON.stringify({ query: `{ getNote(id: "${canary[0]?.id}") { id headline } }` }), {
        ...(token === undefined ? {} : { authorization: token }),
      });
      expect({ name, status: answer.status, type: answer.body?.errors?.[0]?.errorType }).toEqual({
        name,
        status: 401,
        type: 'UnauthorizedException',
      });
    }
    console.log(`forged tokens at HTTP: ${forged.length} tried, 0 accepted`);
  });
});
