import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Amplify } from 'aws-amplify';
import { generateClient } from 'aws-amplify/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { configureLocal } from '../client/local';
import { TEST_TLS_DIR } from '../test/e2e.global-setup';
import { createLocalBackend, type LocalBackend } from './backend';
import type { Schema } from './test-fixtures/gen2/team-board/amplify/data/resource';

/**
 * Subscriptions under a Lambda authorizer (the team-board fixture, whose
 * default mode is one): each subscriber's own decision at subscribe time
 * decides what its events carry. The fields its deniedFields name are null,
 * with AppSync's Unauthorized errors, at the top level and nested, in either
 * form; another subscriber to the same events gets the values. Real `ws`
 * frames in AppSync's realtime protocol, and the real aws-amplify client.
 */

type Frame = Record<string, unknown>;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Client {
  frames: Frame[];
  send(frame: unknown): void;
  next(match: (f: Frame) => boolean, ms?: number, from?: number): Promise<Frame | undefined>;
  close(): void;
}

let backend: LocalBackend;
let dataDir: string;
const sockets: Client[] = [];

const header = (token: string) => ({ Authorization: token, host: new URL(backend.urls.graphql).host });

const connect = (token: string): Promise<Client> =>
  new Promise((ready, fail) => {
    const encoded = Buffer.from(JSON.stringify(header(token))).toString('base64url');
    const socket = new WebSocket(backend.urls.realtime, ['graphql-ws', `header-${encoded}`], {
      ca: readFileSync(backend.caFile),
    });
    const frames: Frame[] = [];
    const waiters = new Set<() => void>();
    socket.on('message', (raw) => {
      frames.push(JSON.parse(raw.toString()));
      for (const w of waiters) w();
    });
    socket.on('error', () => {});
    const client: Client = {
      frames,
      send: (frame) => socket.send(JSON.stringify(frame)),
      next: (match, ms = 4000, from = 0) =>
        new Promise((found) => {
          const check = () => {
            const hit = frames.slice(from).find(match);
            if (hit) {
              waiters.delete(check);
              clearTimeout(timer);
              found(hit);
            }
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            found(undefined);
          }, ms);
          waiters.add(check);
          check();
        }),
      close: () => socket.close(),
    };
    sockets.push(client);
    socket.once('open', () => {
      client.send({ type: 'connection_init' });
      ready(client);
    });
    socket.once('error', fail);
  });

/** A start frame; its own authorization is what AppSync authorizes the subscription with. */
const start = async (client: Client, id: string, token: string, query: string): Promise<Frame | undefined> => {
  const from = client.frames.length;
  client.send({
    id,
    type: 'start',
    payload: { data: JSON.stringify({ query, variables: {} }), extensions: { authorization: header(token) } },
  });
  return client.next((f) => f.id === id && (f.type === 'start_ack' || f.type === 'error'), 4000, from);
};

const dataFor = (client: Client, id: string, name: string) =>
  client.next((f) => {
    if (f.id !== id || f.type !== 'data') return false;
    const payload = Object(f.payload);
    return JSON.stringify(payload.data).includes(name);
  });

const gql = async (token: string, query: string, variables: Record<string, unknown> = {}) => {
  const answer = await fetch(backend.urls.graphql, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: token },
    body: JSON.stringify({ query, variables }),
  });
  return (await answer.json()) as { data?: Record<string, Record<string, unknown> | null>; errors?: unknown[] };
};

const ON_CREATE_TEAM = 'subscription { onCreateTeam { id name secret } }';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'lambda-subscriptions-'));
  backend = await createLocalBackend({
    projectDir: resolve('src/local/test-fixtures/gen2/team-board'),
    dataDir,
    tlsDir: TEST_TLS_DIR,
    outputsFile: false,
  });
  configureLocal(Amplify, backend.outputs);
}, 240_000);
afterAll(async () => {
  for (const s of sockets) s.close();
  await backend?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("a Lambda authorizer's deniedFields in subscription events", () => {
  it('nulls a denied top-level field, short or ARN form, for that subscriber only, with Unauthorized errors', async () => {
    // Prepare
    const full = await connect('team-eve');
    const readonly = await connect('team-bob-readonly');
    const arn = await connect('team-cy-nosecret');
    expect(await start(full, 'f', 'team-eve', ON_CREATE_TEAM)).toMatchObject({ type: 'start_ack' });
    expect(await start(readonly, 'r', 'team-bob-readonly', ON_CREATE_TEAM)).toMatchObject({ type: 'start_ack' });
    expect(await start(arn, 'a', 'team-cy-nosecret', ON_CREATE_TEAM)).toMatchObject({ type: 'start_ack' });
    // Act
    await gql('team-ann', 'mutation { createTeam(input: { name: "Kites", secret: "wind" }) { id name secret } }');
    // Assess
    const seen = await dataFor(full, 'f', 'Kites');
    const hidden = await dataFor(readonly, 'r', 'Kites');
    const hiddenByArn = await dataFor(arn, 'a', 'Kites');
    expect(Object(seen?.payload)).toEqual({ data: { onCreateTeam: expect.objectContaining({ secret: 'wind' }) } });
    for (const frame of [hidden, hiddenByArn]) {
      expect(frame?.payload).toMatchObject({
        data: { onCreateTeam: { name: 'Kites', secret: null } },
        errors: [
          {
            errorType: 'Unauthorized',
            message: 'Not Authorized to access secret on type Team',
            path: ['onCreateTeam', 'secret'],
          },
        ],
      });
      expect(JSON.stringify(frame)).not.toContain('wind');
    }
  });

  it('nulls a denied nested field (Team.crest.motto) in the event', async () => {
    // Prepare
    const full = await connect('team-eve');
    const readonly = await connect('team-bob-readonly');
    const query = 'subscription { onCreateTeam { name crest { colour motto } } }';
    expect(await start(full, 'f', 'team-eve', query)).toMatchObject({ type: 'start_ack' });
    expect(await start(readonly, 'r', 'team-bob-readonly', query)).toMatchObject({ type: 'start_ack' });
    // Act
    await gql(
      'team-ann',
      'mutation { createTeam(input: { name: "Larks", crest: { colour: "blue", motto: "sing" } }) { id name secret crest { colour motto } } }',
    );
    // Assess
    const seen = await dataFor(full, 'f', 'Larks');
    const hidden = await dataFor(readonly, 'r', 'Larks');
    expect(seen?.payload).toEqual({
      data: { onCreateTeam: { name: 'Larks', crest: { colour: 'blue', motto: 'sing' } } },
    });
    expect(hidden?.payload).toMatchObject({
      data: { onCreateTeam: { name: 'Larks', crest: { colour: 'blue', motto: null } } },
      errors: [
        {
          errorType: 'Unauthorized',
          message: 'Not Authorized to access motto on type Crest',
          path: ['onCreateTeam', 'crest', 'motto'],
        },
      ],
    });
    expect(JSON.stringify(hidden)).not.toContain('sing');
  });

  it('cannot be bypassed by an alias, a fragment, a filter on the field, a re-used id or another token on the connection', async () => {
    // Prepare: the connection is made with a token that may see everything; each start carries its own.
    const attacker = await connect('team-eve');
    const fragment =
      'subscription { onCreateTeam { ...T ... on Team { again: secret } } } fragment T on Team { name s: secret }';
    expect(await start(attacker, 'frag', 'team-bob-readonly', fragment)).toMatchObject({ type: 'start_ack' });
    // A filter on the denied field would tell its value by whether events arrive: it sees null.
    const probe = 'subscription { onCreateTeam(filter: { secret: { eq: "tide" } }) { name } }';
    expect(await start(attacker, 'probe', 'team-bob-readonly', probe)).toMatchObject({ type: 'start_ack' });
    // The same id again, now with the full token: refused, and the first subscription keeps its decision.
    const reused = await start(attacker, 'frag', 'team-eve', ON_CREATE_TEAM);
    expect(reused).toMatchObject({ type: 'error', payload: { errors: [{ errorType: 'DuplicatedOperationError' }] } });
    // Act
    await gql('team-ann', 'mutation { createTeam(input: { name: "Gulls", secret: "tide" }) { id name secret } }');
    // Assess
    const frame = await dataFor(attacker, 'frag', 'Gulls');
    expect(frame?.payload).toMatchObject({ data: { onCreateTeam: { name: 'Gulls', s: null, again: null } } });
    expect(Object(frame?.payload).errors).toHaveLength(2);
    expect(JSON.stringify(attacker.frames)).not.toContain('tide');
    await wait(500);
    expect(attacker.frames.some((f) => f.id === 'probe' && f.type === 'data')).toBe(false);
  });

  it("gives the subscription's resolver the subscriber's own resolverContext (its filter)", async () => {
    // Prepare: the fixture's onTeamNamed filters on name = the authorizer's resolverContext.member.
    const ann = await connect('team-ann');
    const query = 'subscription { onTeamNamed { name } }';
    expect(await start(ann, 'ann', 'team-ann', query)).toMatchObject({ type: 'start_ack' });
    expect(await start(ann, 'kim', 'team-kim', query)).toMatchObject({ type: 'start_ack' });
    // Act
    await gql('team-ann', 'mutation { createTeam(input: { name: "kim" }) { id name secret } }');
    await gql('team-ann', 'mutation { createTeam(input: { name: "ann" }) { id name secret } }');
    // Assess
    expect(await dataFor(ann, 'ann', '"ann"')).toBeDefined();
    expect(await dataFor(ann, 'kim', '"kim"')).toBeDefined();
    await wait(300);
    const heard = (id: string) =>
      ann.frames.filter((f) => f.id === id && f.type === 'data').map((f) => JSON.stringify(f.payload));
    expect(heard('ann')).toEqual(['{"data":{"onTeamNamed":{"name":"ann"}}}']);
    expect(heard('kim')).toEqual(['{"data":{"onTeamNamed":{"name":"kim"}}}']);
  });

  it("the real aws-amplify client with authMode 'lambda': the denied subscriber gets null, the other the value", async () => {
    // Prepare
    const client = generateClient<Schema>();
    const heard: Record<string, Array<string | null | undefined>> = { eve: [], bob: [] };
    const failures: unknown[] = [];
    const subscribe = (who: 'eve' | 'bob', token: string) =>
      client.models.Team.onCreate({ authMode: 'lambda', authToken: token }).subscribe({
        next: (team) => heard[who]?.push(team.secret),
        error: (e: unknown) => failures.push(e),
      });
    const eve = subscribe('eve', 'team-eve');
    const bob = subscribe('bob', 'team-bob-readonly');
    await wait(1500);
    // Act
    try {
      await client.models.Team.create({ name: 'Owls', secret: 'night' }, { authMode: 'lambda', authToken: 'team-ann' });
      for (let i = 0; i < 50 && (heard.eve?.length === 0 || heard.bob?.length === 0); i++) await wait(100);
    } finally {
      eve.unsubscribe();
      bob.unsubscribe();
    }
    // Assess
    expect(heard.eve).toEqual(['night']);
    expect({ bob: heard.bob, failures: failures.length }).toEqual({ bob: [null], failures: 0 });
  });
});
