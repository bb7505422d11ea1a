import { describe, expect, it } from 'vitest';
import { ConsoleSessions, cookieValue, hostAllowed, originAllowed, SESSION_COOKIE } from './access';
import { consoleModels } from './models';
import { replayPlan, replayStreamEvent } from './replay';

describe('console access', () => {
  it('accepts only its own host names (DNS rebinding names a foreign one)', () => {
    expect(hostAllowed({ host: '127.0.0.1:20001' }, 20001)).toBe(true);
    expect(hostAllowed({ host: 'localhost:20001' }, 20001)).toBe(true);
    expect(hostAllowed({ host: 'evil.example:20001' }, 20001)).toBe(false);
    expect(hostAllowed({ host: '127.0.0.1:20002' }, 20001)).toBe(false);
    expect(hostAllowed({}, 20001)).toBe(false);
  });

  it('refuses foreign origins on state-changing requests', () => {
    expect(originAllowed({ origin: 'http://127.0.0.1:20001' }, 20001)).toBe(true);
    expect(originAllowed({ origin: 'http://evil.example' }, 20001)).toBe(false);
    expect(originAllowed({ origin: 'null' }, 20001)).toBe(false);
    expect(originAllowed({ 'sec-fetch-site': 'cross-site' }, 20001)).toBe(false);
    expect(originAllowed({}, 20001)).toBe(true);
  });

  it('spends the login token once and accepts the admin secret as a bearer token', () => {
    const sessions = new ConsoleSessions(() => 'the-secret');
    const token = sessions.token;
    expect(sessions.login('wrong')).toBeUndefined();
    const session = sessions.login(token);
    expect(session).toBeDefined();
    expect(sessions.login(token)).toBeUndefined();
    expect(sessions.token).not.toBe(token);
    const cookie = sessions.cookie(session ?? '');
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(sessions.authenticated({ cookie: `a=b; ${SESSION_COOKIE}=${session}` })).toBe('cookie');
    expect(sessions.authenticated({ cookie: `${SESSION_COOKIE}=forged` })).toBeUndefined();
    expect(sessions.authenticated({ authorization: 'Bearer the-secret' })).toBe('bearer');
    expect(sessions.authenticated({ authorization: 'Bearer nope', cookie: `${SESSION_COOKIE}=${session}` })).toBe(
      undefined,
    );
    sessions.logout(session);
    expect(sessions.authenticated({ cookie: `${SESSION_COOKIE}=${session}` })).toBeUndefined();
    expect(cookieValue('x=1; y=2=3', 'y')).toBe('2=3');
  });
});

describe('console models', () => {
  it('joins the model introspection with the tables and names the owner fields', () => {
    const outputs = {
      data: {
        model_introspection: {
          models: {
            Post: {
              name: 'Post',
              fields: {
                id: { name: 'id', type: 'ID', isRequired: true },
                tags: { name: 'tags', type: 'String', isArray: true },
                author: { name: 'author', type: 'String' },
              },
              attributes: [
                { type: 'model', properties: {} },
                {
                  type: 'auth',
                  properties: { rules: [{ allow: 'owner', ownerField: 'author' }, { allow: 'private' }] },
                },
              ],
            },
            Orphan: { name: 'Orphan', fields: {}, attributes: [] },
          },
        },
      },
    };
    const tables = [
      {
        name: 'Post-local-NONE',
        label: 'Post',
        attributeDefinitions: [],
        keySchema: [
          { AttributeName: 'createdAt', KeyType: 'RANGE' as const },
          { AttributeName: 'id', KeyType: 'HASH' as const },
        ],
        globalSecondaryIndexes: [],
        stream: true,
      },
    ];
    expect(consoleModels(outputs, tables)).toEqual([
      {
        name: 'Post',
        table: 'Post-local-NONE',
        keys: ['id', 'createdAt'],
        fields: [
          { name: 'id', type: 'ID', required: true },
          { name: 'tags', type: 'String[]', required: false },
          { name: 'author', type: 'String', required: false },
        ],
        ownerFields: ['author'],
      },
    ]);
    expect(consoleModels({}, tables)).toEqual([]);
  });
});

describe('dead-letter replay', () => {
  it("replays an asynchronous invocation's event and a stream letter's keys", () => {
    const event = { Records: [{ eventSource: 'aws:s3' }] };
    expect(
      replayPlan({ mapping: 's3:media.local -> thumbnailer', at: '', reason: '', sequenceNumbers: [], keys: [event] }),
    ).toEqual({ kind: 'async', functionName: 'thumbnailer', event });
    const keys = [{ id: { S: 'n1' } }];
    expect(replayPlan({ mapping: 'PostStreamMapping', at: '', reason: '', sequenceNumbers: ['1'], keys })).toEqual({
      kind: 'stream',
      mappingId: 'PostStreamMapping',
      keys,
    });
    expect(replayPlan({ mapping: 'PostStreamMapping', at: '', reason: '', sequenceNumbers: [], keys: [null] })).toBe(
      undefined,
    );
  });

  it('delivers the current item, or a REMOVE when it is gone', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const { Records } = replayStreamEvent(
      'Post-local',
      'us-east-1',
      [
        { keys: { id: { S: 'a' } }, item: { id: { S: 'a' }, text: { S: 'hi' } } },
        { keys: { id: { S: 'b' } }, item: undefined },
      ],
      now,
    );
    expect(Records.map((r) => r.eventName)).toEqual(['MODIFY', 'REMOVE']);
    expect(Records[0]).toMatchObject({
      eventSource: 'aws:dynamodb',
      eventSourceARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/Post-local/stream/local',
      dynamodb: { Keys: { id: { S: 'a' } }, NewImage: { text: { S: 'hi' } } },
    });
    expect(Records[1]?.dynamodb).not.toHaveProperty('NewImage');
  });
});
