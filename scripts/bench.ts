/**
 * Benchmarks the local backend against Gen 1's mock stack in one run, on this
 * machine, and writes the figures into BENCHMARKS.md.
 *
 *   npm run bench
 *
 * - start time, cold (synthesis and a new data folder) and warm (cached
 *   synthesis, existing data);
 * - createNote and getNote latency (p50, p99) and throughput, N requests with
 *   C in flight (closed loop: as fast as the stack answers);
 * - createNote latency at a fixed offered rate (BENCH_RATE, default the
 *   target's 500/s; open loop: each request timed from when it was due);
 * - subscription delivery latency, from sending a mutation to the event.
 * The reference is @aws-amplify/amplify-appsync-simulator (what `amplify mock`
 * runs) loaded with the same synthesized VTL resolvers, on DynamoDB Local with
 * the same tables, as `amplify mock` runs it. Ours runs its default store (the
 * embedded DynamoDB), or DynamoDB Local with LOCAL_DYNAMODB=local. Both are
 * driven by the same client code.
 */

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateKeyPair, SignJWT } from 'jose';
import { clientEphemeral, signatureFor } from '../src/local/auth/srp';
import { createLocalBackend, type LocalBackend } from '../src/local/backend';
import { PROJECT_ROOT } from '../src/local/cloud/synth';
import { startDynamoDbLocal } from '../src/local/dynamodb/local';

const N = Number(process.env.BENCH_REQUESTS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 200);
/** The offered rate of the open-loop createNote phase: the target's 500/s. */
const RATE = Number(process.env.BENCH_RATE ?? 500);
const DATA_DIR = resolve(PROJECT_ROOT, '.amplify/bench');

type Json = Record<string, unknown>;

/** Signs up, confirms and signs in with SRP against the local user pool; returns an id token. */
const signIn = async (backend: LocalBackend, email: string): Promise<string> => {
  const pool = backend.auth.pool;
  const clientId = String((backend.outputs.auth as Json).user_pool_client_id);
  const password = `Bench-${randomBytes(6).toString('hex')}-9aA!`;
  await pool.handle('SignUp', {
    ClientId: clientId,
    Username: email,
    Password: password,
    UserAttributes: [{ Name: 'email', Value: email }],
  });
  await pool.handle('ConfirmSignUp', {
    ClientId: clientId,
    Username: email,
    ConfirmationCode: backend.outbox.latestCode(email),
  });
  const { a, A } = clientEphemeral();
  const challenge = await pool.handle('InitiateAuth', {
    ClientId: clientId,
    AuthFlow: 'USER_SRP_AUTH',
    AuthParameters: { USERNAME: email, SRP_A: A },
  });
  const params = challenge.ChallengeParameters as Record<string, string>;
  const timestamp = new Date().toUTCString();
  const signature = signatureFor({
    poolName: pool.poolName,
    userId: params.USER_ID_FOR_SRP ?? '',
    password,
    salt: params.SALT ?? '',
    B: params.SRP_B ?? '',
    secretBlock: params.SECRET_BLOCK ?? '',
    timestamp,
    a,
  });
  const answer = await pool.handle('RespondToAuthChallenge', {
    ClientId: clientId,
    ChallengeName: 'PASSWORD_VERIFIER',
    Session: challenge.Session,
    ChallengeResponses: {
      USERNAME: params.USER_ID_FOR_SRP,
      PASSWORD_CLAIM_SECRET_BLOCK: params.SECRET_BLOCK,
      TIMESTAMP: timestamp,
      PASSWORD_CLAIM_SIGNATURE: signature,
    },
  });
  return String((answer.AuthenticationResult as Json).IdToken);
};

interface Figures {
  p50: number;
  p99: number;
  perSecond: number;
}

interface Result {
  mutation: Figures;
  mutationAtRate?: Figures & { offered: number };
  query: Figures;
  subscription?: { p50: number; p99: number; delivered: number };
}

/** Runs the load generator (scripts/bench-load.ts) in its own process against one stack. */
const measure = (
  graphqlUrl: string,
  realtimeUrl: string | undefined,
  token: string,
  caFile?: string,
): Promise<Result> =>
  new Promise((done, fail) => {
    const args = JSON.stringify({
      graphqlUrl,
      realtimeUrl,
      token,
      caFile,
      requests: N,
      concurrency: CONCURRENCY,
      events: EVENTS,
      rate: RATE,
    });
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'scripts', 'bench-load.ts'), args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line) done(JSON.parse(line));
      else fail(new Error(`load generator failed (${code}): ${out}`));
    });
  });

/**
 * Starts the reference in a process of its own (scripts/bench-reference.ts), so
 * that it runs the simulator as published: the speed patches src/local/graphql/vtl.ts
 * applies to the same modules stay in this process.
 */
const startReference = (assemblyDir: string, dynamodbEndpoint: string, port: number) =>
  new Promise<{ url: string; stop: () => void }>((done, fail) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(PROJECT_ROOT, 'scripts', 'bench-reference.ts'),
        assemblyDir,
        dynamodbEndpoint,
        String(port),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const ready = /^ready (\S+)$/m.exec(out);
      if (ready?.[1]) done({ url: ready[1], stop: () => child.kill('SIGKILL') });
    });
    child.on('exit', (code) => fail(new Error(`the reference exited (${code}) before it was ready: ${out}`)));
  });

const row = (name: string, ours: string, reference: string, target: string) =>
  `| ${name} | ${ours} | ${reference} | ${target} |`;
const ms = (value: number | undefined) =>
  value === undefined || Number.isNaN(value) ? 'n/a' : `${value.toFixed(1)} ms`;

const main = async (): Promise<void> => {
  console.log(`bench: N=${N} requests, C=${CONCURRENCY} in flight, ${EVENTS} subscription events`);
  rmSync(join(PROJECT_ROOT, '.amplify/synth/local/.source-hash'), { force: true });
  let t = performance.now();
  let backend = await createLocalBackend({ dataDir: DATA_DIR, reset: true, outputsFile: false });
  const cold = performance.now() - t;
  await backend.dispose();
  t = performance.now();
  backend = await createLocalBackend({ dataDir: DATA_DIR, outputsFile: false });
  const warm = performance.now() - t;
  console.log(`start: cold ${(cold / 1000).toFixed(1)} s, warm ${(warm / 1000).toFixed(1)} s`);

  const token = await signIn(backend, 'bench@example.com');
  console.log('measuring the local backend ...');
  const ours = await measure(backend.urls.graphql, backend.urls.realtime, token, backend.caFile);
  console.log(JSON.stringify(ours));

  if (process.env.BENCH_SKIP_REFERENCE) {
    await backend.dispose();
    process.exit(0);
  }
  console.log('measuring the reference (Gen 1 amplify-appsync-simulator) ...');
  const port = 20000 + Math.floor(Math.random() * 20000);
  const referenceDb = await startDynamoDbLocal({ dbPath: join(DATA_DIR, 'reference-dynamodb') });
  const reference = await startReference(join(PROJECT_ROOT, '.amplify/synth/local'), referenceDb.endpoint, port);
  let theirs: Result | undefined;
  try {
    // The simulator recognises user-pool tokens only by an issuer on cognito-idp (and never checks signatures).
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    const { privateKey } = await generateKeyPair('RS256');
    const referenceToken = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer('https://cognito-idp.us-east-1.amazonaws.com/us-east-1_LocalPool')
      .sign(privateKey);
    theirs = await measure(
      `${reference.url}/graphql`,
      `${reference.url.replace('http', 'ws')}/graphql/realtime`,
      referenceToken,
    );
    console.log(JSON.stringify(theirs));
  } finally {
    // The simulator's stop can wait on its open sockets; do not let it hold the run.
    reference.stop();
    await backend.dispose();
    await referenceDb.stop();
  }

  const lines = [
    '<!-- local-bench:start -->',
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench\` (node ${process.version}, 2 cores): N=${N} requests with ${CONCURRENCY} in flight (closed loop), then N createNote offered at ${RATE}/s whatever the answers do (open loop, each timed from when it was due), ${EVENTS} subscription events; ours on ${process.env.LOCAL_DYNAMODB === 'local' ? 'DynamoDB Local' : 'the embedded DynamoDB'}, the reference on DynamoDB Local (on disk, as \`amplify mock\` runs it), in one run. Ours is HTTPS, the reference plain HTTP.`,
    '',
    '| measure | local backend | reference (Gen 1 simulator) | target |',
    '| --- | --- | --- | --- |',
    row('start, cold (synthesis + new data)', `${(cold / 1000).toFixed(1)} s`, 'n/a', ''),
    row('start, warm', `${(warm / 1000).toFixed(1)} s`, 'n/a', '≤ 5 s'),
    row(`createNote p50, ${CONCURRENCY} in flight`, ms(ours.mutation.p50), ms(theirs?.mutation.p50), ''),
    row(`createNote p99, ${CONCURRENCY} in flight`, ms(ours.mutation.p99), ms(theirs?.mutation.p99), ''),
    row(
      `createNote throughput, ${CONCURRENCY} in flight`,
      `${ours.mutation.perSecond.toFixed(0)}/s`,
      `${theirs?.mutation.perSecond.toFixed(0) ?? 'n/a'}/s`,
      '≥ 500/s',
    ),
    row(`createNote p50, offered at ${RATE}/s`, ms(ours.mutationAtRate?.p50), ms(theirs?.mutationAtRate?.p50), ''),
    row(
      `createNote p99, offered at ${RATE}/s`,
      ms(ours.mutationAtRate?.p99),
      ms(theirs?.mutationAtRate?.p99),
      '≤ 50 ms',
    ),
    row(
      `createNote served, offered at ${RATE}/s`,
      `${ours.mutationAtRate?.perSecond.toFixed(0) ?? 'n/a'}/s`,
      `${theirs?.mutationAtRate?.perSecond.toFixed(0) ?? 'n/a'}/s`,
      '',
    ),
    row('getNote p50', ms(ours.query.p50), ms(theirs?.query.p50), ''),
    row('getNote p99', ms(ours.query.p99), ms(theirs?.query.p99), ''),
    row(
      'getNote throughput',
      `${ours.query.perSecond.toFixed(0)}/s`,
      `${theirs?.query.perSecond.toFixed(0) ?? 'n/a'}/s`,
      '',
    ),
    row('subscription delivery p50', ms(ours.subscription?.p50), ms(theirs?.subscription?.p50), ''),
    row('subscription delivery p99', ms(ours.subscription?.p99), ms(theirs?.subscription?.p99), '≤ 100 ms'),
    row(
      'subscription events delivered (the Gen 1 simulator rejects the generated subscription resolvers: no `$extensions`)',
      `${ours.subscription?.delivered ?? 0}/${EVENTS}`,
      `${theirs?.subscription?.delivered ?? 0}/${EVENTS}`,
      '',
    ),
    '<!-- local-bench:end -->',
  ];
  const path = join(PROJECT_ROOT, 'BENCHMARKS.md');
  const current = readFileSync(path, 'utf8');
  const section = lines.join('\n');
  const next = current.includes('<!-- local-bench:start -->')
    ? current.replace(/<!-- local-bench:start -->[\s\S]*<!-- local-bench:end -->/, section)
    : `${current.trimEnd()}\n\n## Local backend\n\n${section}\n`;
  writeFileSync(path, next);
  console.log(section);
  process.exit(0);
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
