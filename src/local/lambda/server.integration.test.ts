import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFunction } from '../functions/runner';
import type { LocalFunctionSpec } from '../functions/specs';
import { LocalCredentials } from '../iam/credentials';
import type { PolicyDocument } from '../iam/policy';
import { NAMES } from '../settings/names';
import { functionArn } from './functions';
import { type LocalLambda, startLocalLambda } from './server';

/**
 * The local Lambda API through the real `@aws-sdk/client-lambda`, over real
 * function processes: Invoke in its three types, function errors and the log
 * tail, the configuration operations, Lambda's own errors for bad input, and
 * SigV4 plus the caller's role policies (also from inside a function, whose
 * client finds the API through AWS_ENDPOINT_URL_LAMBDA).
 */

const { region, accountId } = NAMES;
const INVOKER_ROLE = `arn:aws:iam::${accountId}:role/invokerRole`;
const TARGET = 'targetFn';
const OTHER = 'otherFn';
const POLICIES = new Map<string, PolicyDocument[]>([
  [
    INVOKER_ROLE,
    [
      {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'lambda:InvokeFunction',
            Resource: [functionArn(NAMES, TARGET), `${functionArn(NAMES, TARGET)}:*`],
          },
        ],
      },
    ],
  ],
]);

let dir: string;
let credentials: LocalCredentials;
let server: LocalLambda;
let admin: LambdaClient;
const functions = new Map<string, LocalFunction>();
const specs = new Map<string, LocalFunctionSpec>();
const asyncRuns: string[] = [];

const specOf = (
  name: string,
  file: string,
  roleArn: string | undefined,
  env: Record<string, string> = {},
): LocalFunctionSpec => {
  const entry = resolve('src/local/test-fixtures', file);
  const own = credentials.forFunction(name, roleArn);
  return {
    logicalId: name,
    name,
    roleArn,
    credentials: own,
    entry,
    handler: `${file.replace(/\.mjs$/, '')}.handler`,
    timeoutSeconds: 20,
    runtime: undefined,
    env: {
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: own.accessKeyId,
      AWS_SECRET_ACCESS_KEY: own.secretAccessKey,
      AWS_SESSION_TOKEN: own.sessionToken,
      GREETING: 'hi',
      PATH: process.env.PATH ?? '',
      ...env,
    },
    codeDir: dirname(entry),
    inputs: [],
    key: name,
  };
};

const add = (spec: LocalFunctionSpec) => {
  specs.set(spec.name, spec);
  functions.set(spec.name, new LocalFunction({ ...spec, log: () => {} }));
};

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => ({
      name: error.name,
      message: error.message,
      status: error.$metadata?.httpStatusCode,
    }),
  );

const text = (payload: Uint8Array | undefined) => new TextDecoder().decode(payload);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lambda-'));
  credentials = new LocalCredentials({ file: join(dir, 'admin.json'), accountId, region, policies: () => POLICIES });
  server = await startLocalLambda({
    names: NAMES,
    functions: () => functions,
    specs: () => specs,
    invokeAsync: (fn, event) => {
      void fn.invoke(event).then(
        () => asyncRuns.push(fn.spec.name),
        () => asyncRuns.push(`${fn.spec.name} failed`),
      );
    },
    verify: credentials.verify,
    authorize: credentials.authorize,
    deniedMessage: (principal, action, resource) =>
      credentials.deniedMessage(principal, action, resource, 'ImplicitDeny'),
  });
  add(specOf(TARGET, 'lambda-target.mjs', `arn:aws:iam::${accountId}:role/targetRole`));
  add(specOf(OTHER, 'lambda-target.mjs', undefined));
  add(specOf('invokerFn', 'lambda-invoker.mjs', INVOKER_ROLE, { AWS_ENDPOINT_URL_LAMBDA: server.url }));
  admin = new LambdaClient({ region, endpoint: server.url, credentials: credentials.admin, maxAttempts: 1 });
});
afterAll(async () => {
  admin.destroy();
  await server.close();
  for (const fn of functions.values()) await fn.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Invoke', () => {
  it('runs a function and answers its result, by name, ARN and partial ARN, with $LATEST', async () => {
    // Act
    const byName = await admin.send(new InvokeCommand({ FunctionName: TARGET, Payload: JSON.stringify({ n: 1 }) }));
    const byArn = await admin.send(new InvokeCommand({ FunctionName: functionArn(NAMES, TARGET), Payload: '{"n":2}' }));
    const partial = await admin.send(
      new InvokeCommand({ FunctionName: `${accountId}:function:${TARGET}`, Qualifier: '$LATEST', Payload: '{"n":3}' }),
    );
    const empty = await admin.send(new InvokeCommand({ FunctionName: `${TARGET}:$LATEST` }));
    // Assess
    expect(byName.StatusCode).toBe(200);
    expect(byName.ExecutedVersion).toBe('$LATEST');
    expect(byName.FunctionError).toBeUndefined();
    expect(JSON.parse(text(byName.Payload))).toEqual({ echo: { n: 1 }, functionName: TARGET });
    expect(JSON.parse(text(byArn.Payload)).echo).toEqual({ n: 2 });
    expect(JSON.parse(text(partial.Payload)).echo).toEqual({ n: 3 });
    expect(JSON.parse(text(empty.Payload)).echo).toEqual({});
  }, 30_000);

  it('answers a failed invocation with FunctionError Unhandled and the error payload, and a log tail', async () => {
    // Act
    const failed = await admin.send(
      new InvokeCommand({ FunctionName: TARGET, Payload: '{"fail":"on purpose"}', LogType: 'Tail' }),
    );
    // Assess
    expect(failed.StatusCode).toBe(200);
    expect(failed.FunctionError).toBe('Unhandled');
    expect(JSON.parse(text(failed.Payload))).toEqual({
      errorType: 'TypeError',
      errorMessage: 'boom: on purpose',
      trace: [],
    });
    const log = Buffer.from(String(failed.LogResult), 'base64').toString('utf8');
    expect(log).toMatch(/^START RequestId: \S+ Version: \$LATEST\n/);
    expect(log).toContain(`hello from ${TARGET}`);
    expect(log).toMatch(/REPORT RequestId: \S+\tDuration: [\d.]+ ms\n$/);
  }, 30_000);

  it('queues an Event invocation (202) and checks a DryRun (204) without running it', async () => {
    // Prepare
    const mark = join(dir, 'event-mark.json');
    const dryMark = join(dir, 'dry-mark.json');
    // Act
    const event = await admin.send(
      new InvokeCommand({ FunctionName: TARGET, InvocationType: 'Event', Payload: JSON.stringify({ mark }) }),
    );
    const dry = await admin.send(
      new InvokeCommand({ FunctionName: TARGET, InvocationType: 'DryRun', Payload: JSON.stringify({ mark: dryMark }) }),
    );
    for (let i = 0; i < 100 && !existsSync(mark); i++) await new Promise((r) => setTimeout(r, 50));
    // Assess
    expect(event.StatusCode).toBe(202);
    expect(dry.StatusCode).toBe(204);
    expect(JSON.parse(readFileSync(mark, 'utf8'))).toEqual({ mark });
    expect(existsSync(dryMark)).toBe(false);
  }, 30_000);

  it('turns a result over 6 MB into a function error', async () => {
    // Act
    const big = await admin.send(new InvokeCommand({ FunctionName: TARGET, Payload: '{"big":true}' }));
    // Assess
    expect(big.FunctionError).toBe('Unhandled');
    expect(JSON.parse(text(big.Payload)).errorType).toBe('Function.ResponseSizeTooLarge');
  }, 30_000);
});

describe('configuration', () => {
  it('describes and lists the running functions, without the local credentials', async () => {
    // Act
    const config = await admin.send(new GetFunctionConfigurationCommand({ FunctionName: TARGET }));
    const fn = await admin.send(new GetFunctionCommand({ FunctionName: functionArn(NAMES, TARGET) }));
    const first = await admin.send(new ListFunctionsCommand({ MaxItems: 2 }));
    const rest = await admin.send(new ListFunctionsCommand({ Marker: first.NextMarker }));
    // Assess
    expect(config).toMatchObject({
      FunctionName: TARGET,
      FunctionArn: functionArn(NAMES, TARGET),
      Handler: 'lambda-target.handler',
      Timeout: 20,
      Version: '$LATEST',
      State: 'Active',
      Environment: { Variables: { GREETING: 'hi' } },
    });
    expect(JSON.stringify(config)).not.toContain(specs.get(TARGET)?.credentials.secretAccessKey);
    expect(fn.Configuration?.FunctionName).toBe(TARGET);
    expect([...(first.Functions ?? []), ...(rest.Functions ?? [])].map((f) => f.FunctionName)).toEqual([
      'invokerFn',
      OTHER,
      TARGET,
    ]);
    expect(rest.NextMarker).toBeUndefined();
  });
});

describe('bad input', () => {
  it("answers Lambda's own errors and keeps serving", async () => {
    // Act
    const cases = await Promise.all([
      errorOf(admin.send(new InvokeCommand({ FunctionName: 'missingFn' }))),
      errorOf(admin.send(new InvokeCommand({ FunctionName: TARGET, Qualifier: 'prod' }))),
      errorOf(admin.send(new InvokeCommand({ FunctionName: TARGET, Payload: '{not json' }))),
      errorOf(admin.send(new InvokeCommand({ FunctionName: TARGET, Payload: 'x'.repeat(6 * 1024 * 1024 + 1) }))),
      errorOf(
        admin.send(
          new InvokeCommand({
            FunctionName: TARGET,
            InvocationType: 'Event',
            Payload: JSON.stringify({ p: 'x'.repeat(1024 * 1024) }),
          }),
        ),
      ),
      errorOf(admin.send(new InvokeCommand({ FunctionName: 'bad name!' }))),
      errorOf(admin.send(new GetFunctionConfigurationCommand({ FunctionName: 'missingFn' }))),
      errorOf(admin.send(new ListFunctionsCommand({ Marker: 'nowhere' }))),
    ]);
    // Assess
    expect(cases.map((c) => [c?.name, c?.status])).toEqual([
      ['ResourceNotFoundException', 404],
      ['ResourceNotFoundException', 404],
      ['InvalidRequestContentException', 400],
      ['RequestTooLargeException', 413],
      ['RequestTooLargeException', 413],
      ['ValidationException', 400],
      ['ResourceNotFoundException', 404],
      ['InvalidParameterValueException', 400],
    ]);
    expect(cases[0]?.message).toBe(`Function not found: ${functionArn(NAMES, 'missingFn')}`);
    expect(cases[1]?.message).toBe(`Function not found: ${functionArn(NAMES, TARGET)}:prod`);
    const still = await admin.send(new InvokeCommand({ FunctionName: TARGET, Payload: '{"after":true}' }));
    expect(JSON.parse(text(still.Payload)).echo).toEqual({ after: true });
  }, 60_000);
});

describe('authentication and authorization', () => {
  it('refuses unsigned, forged and unknown-key requests', async () => {
    // Prepare
    const forged = new LambdaClient({
      region,
      endpoint: server.url,
      credentials: { ...credentials.admin, secretAccessKey: 'forged-secret-forged-secret-forged-secret' },
      maxAttempts: 1,
    });
    const stranger = new LambdaClient({
      region,
      endpoint: server.url,
      credentials: { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x'.repeat(40) },
      maxAttempts: 1,
    });
    // Act
    const unsigned = await fetch(`${server.url}/2015-03-31/functions/${TARGET}/invocations`, {
      method: 'POST',
      body: '{}',
    });
    const forgedError = await errorOf(forged.send(new InvokeCommand({ FunctionName: TARGET })));
    const strangerError = await errorOf(stranger.send(new InvokeCommand({ FunctionName: TARGET })));
    // Assess
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(forgedError).toMatchObject({ name: 'InvalidSignatureException', status: 403 });
    expect(strangerError).toMatchObject({ name: 'UnrecognizedClientException', status: 403 });
    forged.destroy();
    stranger.destroy();
  });

  it('lets a function invoke the function its role grants, and no other, through AWS_ENDPOINT_URL_LAMBDA', async () => {
    // Prepare
    const invoker = functions.get('invokerFn');
    // Act
    const granted = await invoker?.invoke({ target: TARGET, payload: { from: 'invoker' } });
    const denied = await invoker?.invoke({ target: OTHER });
    const byDirectKey = await errorOf(
      new LambdaClient({
        region,
        endpoint: server.url,
        credentials: credentials.forFunction('invokerFn', INVOKER_ROLE),
        maxAttempts: 1,
      }).send(new ListFunctionsCommand({})),
    );
    // Assess
    expect(granted).toEqual({ ok: true, payload: { echo: { from: 'invoker' }, functionName: TARGET } });
    expect(denied).toEqual({
      ok: false,
      name: 'AccessDeniedException',
      message: expect.stringContaining(
        `is not authorized to perform: lambda:InvokeFunction on resource: ${functionArn(NAMES, OTHER)}`,
      ),
    });
    expect(byDirectKey).toMatchObject({ name: 'AccessDeniedException', status: 403 });
  }, 30_000);
});
