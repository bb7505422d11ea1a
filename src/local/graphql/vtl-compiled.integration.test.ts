import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { CloudAssembly } from '../cloud/assembly';
import { PROJECT_ROOT, synthesizeCached } from '../cloud/synth';
import { templateText } from './api';
import type { RenderInput, RenderOutput, RequestIdentity } from './vtl';
import { infoFor, TemplatePair } from './vtl-differential';

/**
 * The compiled VTL engine against the simulator's interpreter on every VTL
 * template this project synthesizes. Each resolver's pipeline runs as the
 * local API runs it (before step, each function's request, a data source
 * answer, its response, the after step, the stash and arguments handed on),
 * for several callers, arguments and stored items, and every render must
 * come out the same from both engines.
 */

const ASSEMBLY_DIR = join(PROJECT_ROOT, '.amplify', 'synth', 'local');
const NAMES = {
  apiId: 'localapi',
  graphqlUrl: 'https://127.0.0.1/graphql',
  userPoolId: 'us-east-1_local',
  userPoolClientId: 'localclient',
  identityPoolId: 'us-east-1:local',
  region: 'us-east-1',
  accountId: '123456789012',
  pushApplicationId: 'localpush',
};

interface Step {
  request?: TemplatePair;
  response?: TemplatePair;
  dataSource?: string;
}
interface Pipeline {
  typeName: string;
  fieldName: string;
  resolver: Step;
  functions: Step[];
}

/** The VTL pipelines of the assembly, as the API reads them; one TemplatePair per template. */
const readPipelines = (assembly: CloudAssembly, pairs: TemplatePair[]): Pipeline[] => {
  const step = (stack: Parameters<typeof templateText>[0], properties: Record<string, unknown>, name: string) => {
    const runtime = stack.resolve(properties.Runtime);
    if (typeof runtime === 'object' && runtime !== null && Reflect.get(runtime, 'Name') === 'APPSYNC_JS')
      return undefined;
    const pair = (inline: unknown, location: unknown, path: string) => {
      const text = templateText(stack, inline, location, assembly);
      if (text === undefined) return undefined;
      const created = new TemplatePair(text, path);
      pairs.push(created);
      return created;
    };
    return {
      request: pair(properties.RequestMappingTemplate, properties.RequestMappingTemplateS3Location, `${name}.req.vtl`),
      response: pair(
        properties.ResponseMappingTemplate,
        properties.ResponseMappingTemplateS3Location,
        `${name}.res.vtl`,
      ),
      dataSource: properties.DataSourceName ? String(stack.resolve(properties.DataSourceName)) : undefined,
    };
  };
  const functions = new Map<string, Step | undefined>();
  for (const { stack, logicalId, properties } of assembly.resources('AWS::AppSync::FunctionConfiguration')) {
    functions.set(`${stack.path}/${logicalId}`, step(stack, properties, String(properties.Name)));
  }
  const pipelines: Pipeline[] = [];
  for (const { stack, properties } of assembly.resources('AWS::AppSync::Resolver')) {
    const typeName = String(properties.TypeName);
    const fieldName = String(properties.FieldName);
    const resolver = step(stack, properties, `${typeName}.${fieldName}`);
    const config = stack.resolve(properties.PipelineConfig);
    const ids: unknown = typeof config === 'object' && config !== null ? Reflect.get(config, 'Functions') : [];
    const steps = (Array.isArray(ids) ? ids : []).map((id) => functions.get(String(id)));
    if (!resolver || steps.some((fn) => fn === undefined)) continue;
    pipelines.push({ typeName, fieldName, resolver, functions: steps.filter((fn) => fn !== undefined) });
  }
  return pipelines;
};

const USER_POOL = (claims: Record<string, unknown>): RequestIdentity => ({
  claims: { iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_local', token_use: 'id', ...claims },
  sourceIp: '127.0.0.1',
  headers: { 'content-type': 'application/json' },
});
const IAM = (authType: 'authenticated' | 'unauthenticated'): RequestIdentity => ({
  claims: {},
  sourceIp: '127.0.0.1',
  headers: {},
  iam: {
    accountId: '123456789012',
    username: 'AROAEXAMPLE:CognitoIdentityCredentials',
    userArn: `arn:aws:sts::123456789012:assumed-role/amplifyAuth${authType}UserRole/CognitoIdentityCredentials`,
    cognitoIdentityPoolId: 'us-east-1:local',
    cognitoIdentityId: 'us-east-1:identity-1',
    cognitoIdentityAuthType: authType,
    cognitoIdentityAuthProvider: authType === 'authenticated' ? 'cognito-idp.us-east-1.amazonaws.com/pool' : null,
  },
});

const CALLERS: Record<string, RequestIdentity> = {
  owner: USER_POOL({ sub: 'sub-1', 'cognito:username': 'alice', 'cognito:groups': ['Admins'], email: 'a@example.com' }),
  stranger: USER_POOL({ sub: 'sub-2', 'cognito:username': 'bob' }),
  usernameClaim: USER_POOL({ sub: 'sub-1', username: 'alice' }),
  iamAuthenticated: IAM('authenticated'),
  iamGuest: IAM('unauthenticated'),
};

/** Each model's writable fields, as a client sends them. */
const FIELDS: Record<string, Record<string, unknown>> = {
  Note: { headline: 'Hello', text: 'Body', photoKey: 'protected/photo.jpg' },
  UserProfile: { displayName: 'Alice', preferences: '{"theme":"dark"}', appState: null },
  Device: { token: 'device-token', platform: 'APNS' },
  Message: { sender: 'sub-1', recipient: 'sub-2::bob', body: 'Hi' },
};
const modelOf = (pipeline: Pipeline): string =>
  Object.keys(FIELDS).find((model) => `${pipeline.typeName}.${pipeline.fieldName}`.includes(model)) ?? 'Note';

/** Argument sets for a model's operations; every pipeline runs with each. */
const argumentSets = (model: string): Record<string, Record<string, unknown>> => {
  const fields = FIELDS[model] ?? {};
  return {
    create: { input: fields, condition: { attributeExists: true } },
    createOwned: { input: { id: 'n-1', ...fields, owner: 'sub-1::alice' } },
    createForeign: { input: { id: 'n-1', ...fields, owner: 'sub-2::bob' } },
    update: {
      input: { id: 'n-1', ...fields, _version: 1 },
      condition: { and: [{ owner: { contains: 'sub' } }, { not: { id: { eq: '' } } }] },
    },
    remove: { id: 'n-1', input: { id: 'n-1', _version: 2 } },
    list: {
      filter: { id: { beginsWith: 'n' }, or: [{ owner: { ne: 'x' } }, { owner: { eq: 'sub-1::alice' } }] },
      limit: 5,
      nextToken: 'token-1',
      sortDirection: 'DESC',
      owner: 'sub-1::alice',
      recipient: 'sub-1::alice',
      lastSync: 1_700_000_000_000,
      query: 'hello',
    },
    subscribe: { filter: { owner: { eq: 'sub-1::alice' } }, owner: 'sub-1::alice', recipient: 'sub-1::alice' },
    none: {},
  };
};

/** What is stored: an item owned by the caller, by someone else, by no one, or a failing data source. */
const STORED = ['sub-1::alice', 'sub-2::bob', null, 'error'] as const;

const itemOwnedBy = (owner: string | null, typeName: string): Record<string, unknown> => ({
  id: 'n-1',
  __typename: typeName,
  owner,
  headline: 'Hello',
  text: 'Body',
  name: 'Alice',
  token: 'tok',
  platform: 'IOS',
  sender: 'sub-1',
  recipient: 'sub-1::alice',
  body: 'Hi',
  createdAt: '2026-11-21T12:00:00.000Z',
  updatedAt: '2026-11-21T12:00:00.000Z',
  _version: 1,
  _lastChangedAt: 1_700_000_000_000,
  _deleted: null,
});

/** A data source's answer to a request, shaped like the local data sources' answers. */
const answer = (
  dataSource: string | undefined,
  request: unknown,
  stored: (typeof STORED)[number],
  model: string,
): { result?: unknown; error?: { message: string; type: string } } => {
  const payload = typeof request === 'object' && request !== null ? Reflect.get(request, 'payload') : undefined;
  if (!dataSource || dataSource === 'NONE_DS') return { result: payload ?? null };
  if (stored === 'error') {
    return { error: { message: 'The conditional request failed', type: 'DynamoDB:ConditionalCheckFailedException' } };
  }
  const item = itemOwnedBy(stored, model);
  const operation = typeof request === 'object' && request !== null ? Reflect.get(request, 'operation') : undefined;
  if (operation === 'Query' || operation === 'Scan') {
    return { result: { items: [item, itemOwnedBy('sub-3::carol', model)], nextToken: 'next', scannedCount: 2 } };
  }
  if (operation === 'Sync') return { result: { items: [item], nextToken: null, startedAt: 1_700_000_000_000 } };
  if (operation === 'Invoke') return { result: [item] };
  return { result: item };
};

describe('the compiled VTL engine on every synthesized template', () => {
  const pairs: TemplatePair[] = [];
  let pipelines: Pipeline[] = [];
  const rendered = new Map<TemplatePair, { renders: number; clean: number }>();

  beforeAll(async () => {
    await synthesizeCached({ type: 'sandbox', outDir: ASSEMBLY_DIR, quiet: true });
    pipelines = readPipelines(new CloudAssembly(ASSEMBLY_DIR, NAMES), pairs);
  }, 300_000);

  /** Renders with both engines and requires the same outcome; the interpreter's output, if it did not throw. */
  const render = (
    pair: TemplatePair,
    input: RenderInput,
    caller: RequestIdentity,
    scene: Scene,
  ): RenderOutput | undefined => {
    const { compiled, interpreter } = pair.render(input, caller, scene.info);
    if (!isDeepStrictEqual(compiled, interpreter)) {
      expect(compiled, `${scene.name}: ${pair.compiled.path}`).toStrictEqual(interpreter);
    }
    const counts = rendered.get(pair) ?? { renders: 0, clean: 0 };
    rendered.set(pair, counts);
    counts.renders++;
    if (!('output' in interpreter)) return undefined;
    const output = interpreter.output as RenderOutput;
    if (!output.hadException) counts.clean++;
    return output;
  };

  /**
   * One pipeline run as the API runs it: a template that fails ends the
   * request. A permissive run goes on past a failed step instead, with the
   * stash and arguments the step left, so that the steps behind an
   * authorization that denies everyone render too.
   */
  const run = (
    pipeline: Pipeline,
    caller: RequestIdentity,
    args: Record<string, unknown>,
    stored: (typeof STORED)[number],
    scene: Scene,
    permissive: boolean,
  ): void => {
    const model = modelOf(pipeline);
    const root = ['Query', 'Mutation', 'Subscription'].includes(pipeline.typeName);
    const source = root ? undefined : itemOwnedBy(stored === 'error' ? null : stored, pipeline.typeName);
    let stash: Record<string, unknown> = {};
    let current = args;
    /** Renders a step and hands its stash and arguments on; undefined when it failed. */
    const step = (pair: TemplatePair, input: Omit<RenderInput, 'arguments' | 'stash' | 'source'>) => {
      const out = render(pair, { arguments: current, source, stash, ...input }, caller, scene);
      if (out && (permissive || !out.hadException)) {
        stash = out.stash;
        current = out.args;
      }
      return out?.hadException ? undefined : out;
    };
    if (pipeline.resolver.request && !step(pipeline.resolver.request, {}) && !permissive) return;
    let prev: unknown;
    for (const fn of pipeline.functions) {
      let result: unknown = prev;
      let error: { message: string; type: string } | undefined;
      if (fn.request) {
        const out = step(fn.request, { prevResult: prev });
        if (!out && !permissive) return;
        if (out?.isReturn) {
          prev = out.result;
          continue;
        }
        if (out) ({ result, error } = answer(fn.dataSource, out.result, stored, model));
      }
      if (fn.response) {
        const out = step(fn.response, { prevResult: prev, result: result ?? null, error });
        if (!out && !permissive) return;
        if (out) prev = out.result;
      } else {
        prev = result;
      }
    }
    if (pipeline.resolver.response) step(pipeline.resolver.response, { prevResult: prev, result: prev });
  };

  it('renders every pipeline alike for every caller, argument set and stored item', () => {
    expect(pipelines.length).toBeGreaterThan(40);
    for (const permissive of [false, true]) {
      for (const pipeline of pipelines) {
        const info = infoFor(pipeline.typeName, pipeline.fieldName, ['id', 'owner', 'headline']);
        for (const [who, caller] of Object.entries(CALLERS)) {
          for (const [kind, args] of Object.entries(argumentSets(modelOf(pipeline)))) {
            for (const stored of STORED) {
              const name = `${pipeline.typeName}.${pipeline.fieldName}, ${who}, ${kind}, ${stored}`;
              run(pipeline, caller, args, stored, { name, info }, permissive);
            }
          }
        }
      }
    }
    // Every template rendered to its end at least once, but those that deny every caller.
    const silent = pairs.filter((pair) => !rendered.get(pair)?.clean);
    expect(pairs.filter((pair) => !rendered.get(pair))).toEqual([]);
    expect(
      silent.filter((pair) => !pair.content.includes('$util.unauthorized()')).map((pair) => pair.compiled.path),
    ).toEqual([]);
    expect(silent.length).toBeLessThan(pairs.length / 20);
    // Every pipeline (with the postDataLoad steps) through both engines: about 50 s on a shared 2-core machine.
  }, 180_000);

  it('compiles every synthesized template: none falls back to the interpreter', () => {
    expect(pairs.length).toBeGreaterThan(300);
    const fallbacks = pairs.filter((pair) => pair.compiled.fallback).map((pair) => pair.compiled.path);
    expect(fallbacks).toEqual([]);
  });
});

interface Scene {
  name: string;
  info: ReturnType<typeof infoFor>;
}
