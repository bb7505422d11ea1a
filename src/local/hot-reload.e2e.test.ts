import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Amplify } from 'aws-amplify';
import { confirmSignUp, fetchAuthSession, signIn, signUp } from 'aws-amplify/auth';
import { generateClient } from 'aws-amplify/data';
import { remove, uploadData } from 'aws-amplify/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Schema } from '../../amplify/data/resource';
import { configureLocal, localStorageOptions } from '../client/local';
import { rawSubscribe } from '../test/appsync-realtime';
import { TEST_TLS_DIR } from '../test/e2e.global-setup';
import { copyProject } from '../test/project-copy';
import { createLocalBackend, type LocalBackend } from './backend';
import type { ReloadReport } from './hot-reload';

/**
 * The inner loop: a backend runs a copy of amplify/ with `watch`, the test
 * edits the copy's files as a developer saves them, and the real Amplify
 * client keeps working against it.
 */

const PASSWORD = 'Correct-Horse-9-Battery';
const project = copyProject('hot-reload-e2e');
const OUTPUTS = join(project.dir, 'amplify_outputs.json');
const NOTE_FIELDS = '      photoKey: a\n        .string()';

let backend: LocalBackend;
let client: ReturnType<typeof generateClient<Schema>>;
let idToken = '';
/** The owner value Gen 2 stores: `<sub>::<username>`. */
let owner = '';

const configure = () => {
  const outputs = JSON.parse(readFileSync(OUTPUTS, 'utf8'));
  configureLocal(Amplify, outputs);
  client = generateClient<Schema>();
  return outputs;
};

/** Saves an edit and waits for the reload it causes. */
const save = async (file: string, change: (text: string) => string): Promise<ReloadReport> => {
  await backend.hotReload?.settled();
  const reloaded = backend.hotReload?.nextReport(90_000);
  if (!reloaded) throw new Error('the backend is not watching');
  project.edit(file, change);
  return reloaded;
};

/** A raw GraphQL request with the signed-in user's token. */
const gql = async (query: string, variables: Record<string, unknown> = {}) => {
  const response = await fetch(backend.urls.graphql, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: idToken },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as {
    data?: Record<string, Record<string, unknown> | null> | null;
    errors?: unknown[];
  };
};

const until = async (condition: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
};

beforeAll(async () => {
  backend = await createLocalBackend({
    projectDir: project.dir,
    dataDir: join(project.dir, 'data'),
    reset: true,
    tlsDir: TEST_TLS_DIR,
    outputsFile: OUTPUTS,
    watch: true,
  });
  await backend.hotReload?.warm();
  configure();
  const email = 'hot@example.com';
  await signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } });
  await confirmSignUp({ username: email, confirmationCode: backend.outbox.latestCode(email, 'verification') ?? '' });
  await signIn({ username: email, password: PASSWORD });
  const token = (await fetchAuthSession()).tokens?.idToken;
  idToken = token?.toString() ?? '';
  owner = `${token?.payload.sub}::${token?.payload['cognito:username']}`;
});

afterAll(async () => {
  await backend?.dispose();
});

describe('hot reload of amplify/ while the backend runs', () => {
  let before = '';
  const received: string[] = [];
  let subscription: { unsubscribe(): void } | undefined;

  it('adds a field to a model: the next request uses it, existing data is intact, subscribers stay connected', async () => {
    const created = await client.models.Note.create({ headline: 'Written before the edit', text: 'keep me' });
    before = created.data?.id ?? '';
    expect(before).not.toBe('');
    subscription = client.models.Note.onCreate().subscribe({ next: (note) => received.push(note.headline) });
    // The subscription is proven live by an event before the edit; it takes a moment to start.
    for (let attempt = 0; attempt < 10 && !received.includes('Event before the edit'); attempt++) {
      await client.models.Note.create({ headline: 'Event before the edit' });
      await until(() => received.includes('Event before the edit'), 1000).catch(() => {});
    }
    expect(received).toContain('Event before the edit');
    const unknownField = await gql('{ getNote(id: "x") { mood } }');
    expect(JSON.stringify(unknownField.errors)).toMatch(/mood/);
    const report = await save('amplify/data/resource.ts', (text) =>
      text.replace(NOTE_FIELDS, `      mood: a.string(),\n${NOTE_FIELDS}`),
    );
    expect(report).toMatchObject({ ok: true, bundled: false, files: ['amplify/data/resource.ts'] });

    // The very next request uses the new field.
    // As on AppSync, subscribers get what the mutation selects: the owner filter needs `owner`.
    const made = await gql(
      'mutation ($input: CreateNoteInput!) { createNote(input: $input) { id headline mood owner } }',
      {
        input: { headline: 'Written after the edit', mood: 'sunny' },
      },
    );
    expect(made.errors).toBeUndefined();
    expect(made.data?.createNote).toMatchObject({ headline: 'Written after the edit', mood: 'sunny' });
    const old = await gql('query ($id: ID!) { getNote(id: $id) { id headline text mood owner } }', { id: before });
    expect(old.data?.getNote).toMatchObject({
      id: before,
      headline: 'Written before the edit',
      text: 'keep me',
      mood: null,
    });

    // The subscription made before the edit still delivers.
    await until(() => received.includes('Written after the edit'));

    // amplify_outputs.json describes the new model, so a client configured from it has the field too.
    const outputs = configure();
    expect(Object.keys(outputs.data.model_introspection.models.Note.fields)).toContain('mood');
    // The models API selects the fields the outputs list, so it now reads `mood` too.
    const viaModels = await client.models.Note.get({ id: String(made.data?.createNote?.id) });
    expect(viaModels.errors).toBeUndefined();
    expect(viaModels.data).toMatchObject({ headline: 'Written after the edit', mood: 'sunny' });
    const mine = await client.models.Note.listNotesByOwner({ owner });
    expect(mine.errors).toBeUndefined();
    expect(new Set(mine.data.map((n) => n.headline))).toEqual(
      new Set(['Event before the edit', 'Written after the edit', 'Written before the edit']),
    );
  });

  it('reports a broken schema and keeps serving the last good version', async () => {
    const syntax = await save('amplify/data/resource.ts', (text) =>
      text.replace('mood: a.string(),', 'mood: a.string(,'),
    );
    expect(syntax.ok).toBe(false);
    expect(syntax.error).toMatch(/amplify\/data\/resource\.ts:\d+:\d+/);
    const stillServing = await gql('query ($id: ID!) { getNote(id: $id) { headline mood } }', { id: before });
    expect(stillServing.errors).toBeUndefined();
    expect(stillServing.data?.getNote).toMatchObject({ headline: 'Written before the edit', mood: null });

    // A schema the transformer refuses: a field of a type that does not exist.
    const semantic = await save('amplify/data/resource.ts', (text) =>
      text.replace('mood: a.string(,', "mood: a.ref('NoSuchType'),"),
    );
    expect(semantic.ok).toBe(false);
    expect(semantic.error).toMatch(/NoSuchType/);
    expect((await gql('query ($id: ID!) { getNote(id: $id) { mood } }', { id: before })).errors).toBeUndefined();

    // Fixing it applies again.
    const fixed = await save('amplify/data/resource.ts', (text) =>
      text.replace("mood: a.ref('NoSuchType'),", 'mood: a.string(),'),
    );
    expect(fixed.ok).toBe(true);
  });

  it('ends only the subscriptions a removed field breaks', async () => {
    const raw = await rawSubscribe(backend.urls, idToken, 'subscription { onCreateNote { id mood } }');
    expect(raw.messages.at(-1)?.type).toBe('start_ack');
    const report = await save('amplify/data/resource.ts', (text) => text.replace('      mood: a.string(),\n', ''));
    expect(report.ok).toBe(true);
    expect(report.warnings.join(' ')).toMatch(/1 subscription/);
    await until(() => raw.messages.some((m) => m.type === 'error'));
    expect(JSON.stringify(raw.messages.at(-1))).toMatch(/no longer validates/);
    raw.close();

    // The subscription whose query still validates keeps delivering. (A client configured with `mood`
    // would now send an invalid selection; an app reconfigures from the rewritten outputs.)
    const created = await gql(
      'mutation { createNote(input: { headline: "After the field went away" }) { id headline owner } }',
    );
    expect(created.errors).toBeUndefined();
    await until(() => received.includes('After the field went away'));
    subscription?.unsubscribe();
  });

  it('applies an edit to function code: the function runs the new bundle', async () => {
    const report = await save('amplify/functions/search/core.ts', (text) =>
      text.replace("'query must be a non-empty string'", "'query must not be empty (edited)'"),
    );
    expect(report).toMatchObject({ ok: true, bundled: true });
    const result = await gql('{ searchNotes(query: "") { total } }');
    expect(JSON.stringify(result.errors)).toMatch(/query must not be empty \(edited\)/);
  });

  it('applies an edited storage access rule to the next request', async () => {
    const storageOptions = localStorageOptions(JSON.parse(readFileSync(OUTPUTS, 'utf8')));
    const path = ({ identityId }: { identityId?: string }) => `media/${identityId}/rule.txt`;
    await uploadData({ path, data: 'first', options: storageOptions }).result;
    await remove({ path, options: storageOptions });

    const report = await save('amplify/storage/resource.ts', (text) =>
      text.replace(
        "'media/{entity_id}/*': [allow.entity('identity').to(['read', 'write', 'delete'])]",
        "'media/{entity_id}/*': [allow.entity('identity').to(['read', 'write'])]",
      ),
    );
    expect(report.error).toBeUndefined();
    expect(report.ok).toBe(true);
    await uploadData({ path, data: 'second', options: storageOptions }).result;
    await expect(remove({ path, options: storageOptions })).rejects.toThrow(/Access Denied|AccessDenied/);
  });

  it('rebuilds a bundle whose settings changed outside amplify/functions/', async () => {
    // Function bundles take a setting from a file that no bundle contains: only the bundling settings see it.
    const created = await save('amplify/custom/bundle-settings.ts', () => 'export const MINIFY = true;\n');
    expect(created).toMatchObject({ ok: true, bundled: false });
    const wired = await save('amplify/functions/shared/node-function.ts', (text) =>
      text
        .replace('import { LogGroup', "import { MINIFY } from '../../custom/bundle-settings';\nimport { LogGroup")
        .replace('minify: true,', 'minify: MINIFY,'),
    );
    expect(wired).toMatchObject({ ok: true, bundled: true });

    const changed = await save('amplify/custom/bundle-settings.ts', (text) => text.replace('true', 'false'));
    expect(changed).toMatchObject({ ok: true, bundled: true, files: ['amplify/custom/bundle-settings.ts'] });
    // The rebuilt (unminified) search bundle runs, with the earlier code edit in it.
    const result = await gql('{ searchNotes(query: "") { total } }');
    expect(JSON.stringify(result.errors)).toMatch(/query must not be empty \(edited\)/);

    // With the new bundles' settings learned, a schema edit keeps them.
    const schema = await save('amplify/data/resource.ts', (text) =>
      text.replace(NOTE_FIELDS, `      tag: a.string(),\n${NOTE_FIELDS}`),
    );
    expect(schema).toMatchObject({ ok: true, bundled: false });
  });

  it('applies a new group and a stricter password policy without a restart', async () => {
    // In-process: over HTTP the admin operations need a SigV4 signature and an IAM allow.
    const addToGroup = (group: string) =>
      backend.auth.pool.handle('AdminAddUserToGroup', {
        UserPoolId: 'us-east-1_LocalPool',
        Username: 'hot@example.com',
        GroupName: group,
      });
    await expect(addToGroup('Editors')).rejects.toMatchObject({ type: 'ResourceNotFoundException' });

    const groups = await save('amplify/auth/resource.ts', (text) =>
      text.replace("groups: ['Admins'],", "groups: ['Admins', 'Editors'],"),
    );
    expect(groups).toMatchObject({ ok: true, warnings: [] });
    await expect(addToGroup('Editors')).resolves.toEqual({});
    const outputs = JSON.parse(readFileSync(OUTPUTS, 'utf8'));
    expect(outputs.auth.groups.map((g: Record<string, unknown>) => Object.keys(g)[0])).toEqual(['Admins', 'Editors']);

    const policy = await save('amplify/custom/auth-hardening.ts', (text) =>
      text.replace('minimumLength: 12,', 'minimumLength: 30,'),
    );
    expect(policy).toMatchObject({ ok: true, warnings: [] });
    await expect(
      signUp({
        username: 'strict@example.com',
        password: PASSWORD,
        options: { userAttributes: { email: 'strict@example.com' } },
      }),
    ).rejects.toThrow(/at least 30 characters/);
    expect(JSON.parse(readFileSync(OUTPUTS, 'utf8')).auth.password_policy.min_length).toBe(30);
  });

  it('adds a model: its table and owner index are created and the API serves it', async () => {
    const report = await save('amplify/data/resource.ts', (text) =>
      text.replace(
        '  Message: a',
        [
          '  Bookmark: a',
          '    .model({ url: a.string().required(), owner: a.string() })',
          "    .secondaryIndexes((index) => [index('owner').name('byOwner').queryField('listBookmarksByOwner')])",
          "    .disableOperations(['list'])",
          '    .authorization((allow) => [allow.owner()]),',
          '',
          '  Message: a',
        ].join('\n'),
      ),
    );
    expect(report).toMatchObject({ ok: true, bundled: false });
    const created = await gql('mutation { createBookmark(input: { url: "https://example.com" }) { id url owner } }');
    expect(created.errors).toBeUndefined();
    const mine = await gql(`{ listBookmarksByOwner(owner: "${owner}") { items { url } } }`);
    expect(mine.data?.listBookmarksByOwner).toEqual({ items: [{ url: 'https://example.com' }] });
  });

  it('adds a secondary index to an existing table, with the items already in it', async () => {
    const report = await save('amplify/data/resource.ts', (text) =>
      text.replace(
        "index('owner').name('byOwner').queryField('listBookmarksByOwner')",
        "index('owner').name('byOwner').queryField('listBookmarksByOwner'), index('url').queryField('listBookmarksByUrl')",
      ),
    );
    expect(report).toMatchObject({ ok: true, bundled: false });
    const found = await gql('{ listBookmarksByUrl(url: "https://example.com") { items { url owner } } }');
    expect(JSON.stringify(found.errors)).toBeUndefined();
    expect(found.data?.listBookmarksByUrl).toMatchObject({ items: [{ url: 'https://example.com' }] });
  });

  it('applies an identity-pool (AWS_IAM) rule: signed requests get what the rule allows, and no more', async () => {
    configure(); // the models as the outputs now describe them
    const read = () =>
      client.models.Note.get({ id: before }, { authMode: 'identityPool', selectionSet: ['id', 'headline'] });
    const denied = await read();
    expect(JSON.stringify(denied.errors)).toMatch(/Not Authorized|Unauthorized/);

    const report = await save('amplify/data/resource.ts', (text) =>
      text.replace(
        ".authorization((allow) => [allow.owner(), allow.group('Admins').to(['read'])]),",
        ".authorization((allow) => [allow.owner(), allow.group('Admins').to(['read']), allow.authenticated('identityPool').to(['read'])]),",
      ),
    );
    expect(report).toMatchObject({ ok: true, bundled: false });
    const allowed = await read();
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data).toEqual({ id: before, headline: 'Written before the edit' });
    // Reads include listening: a subscription signed with the identity pool's credentials gets new notes.
    const heard: string[] = [];
    const listening = client.models.Note.onCreate({
      authMode: 'identityPool',
      selectionSet: ['id', 'headline'],
    }).subscribe({ next: (note) => heard.push(note.headline) });
    for (let attempt = 0; attempt < 10 && !heard.includes('Heard through IAM'); attempt++) {
      await gql('mutation { createNote(input: { headline: "Heard through IAM" }) { id headline owner } }');
      await until(() => heard.includes('Heard through IAM'), 1000).catch(() => {});
    }
    listening.unsubscribe();
    expect(heard).toContain('Heard through IAM');

    // The rule grants reads only: a signed update is refused.
    const update = await client.models.Note.update({ id: before, text: 'changed' }, { authMode: 'identityPool' });
    expect(JSON.stringify(update.errors)).toMatch(/Not Authorized|Unauthorized/);

    // A request whose signature does not match is refused before any resolver runs.
    const forged = await fetch(backend.urls.graphql, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-amz-date': '20260101T000000Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=ASIAFORGED/20260101/us-east-1/appsync/aws4_request, SignedHeaders=host;x-amz-date, Signature=00',
      },
      body: JSON.stringify({ query: `{ getNote(id: "${before}") { id } }` }),
    });
    expect(forged.status).toBe(401);
  });
});
