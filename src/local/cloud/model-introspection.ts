import { Worker } from 'node:worker_threads';

// Runs in a worker so that the generator and its own graphql copy load through Node
// itself, whatever module loader the caller runs under (vitest inlines some modules).
// The worker stays (unref'd): loading the generator is most of the cost, and a hot reload asks again.
const WORKER = `
const { parentPort } = require('node:worker_threads');
const { generateModelsSync } = require('@aws-amplify/graphql-generator');
let codegenVersion;
// The codegen version the generator stamps on DataStore models, which DataStore's initSchema checks.
const stamp = () => {
  if (codegenVersion) return codegenVersion;
  const out = generateModelsSync({ schema: 'type Probe @model { id: ID! }', target: 'javascript' });
  codegenVersion = /"codegenVersion": "([^"]+)"/.exec(out['schema.js'] ?? '')?.[1];
  return codegenVersion;
};
parentPort.on('message', ({ id, schema }) => {
  try {
    const out = generateModelsSync({ schema, target: 'introspection' });
    const introspection = JSON.parse(out['model-introspection.json']);
    introspection.codegenVersion = stamp();
    parentPort.postMessage({ id, json: JSON.stringify(introspection) });
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
`;

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
let last: { schema: string; result: Promise<unknown> } | undefined;

const generator = (): Worker => {
  if (worker) return worker;
  const started = new Worker(WORKER, { eval: true });
  started.unref();
  started.on('message', (message: { id: number; json?: string; error?: string }) => {
    const call = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) call?.reject(new Error(`model introspection failed: ${message.error}`));
    else call?.resolve(JSON.parse(String(message.json)));
  });
  const fail = (error: Error) => {
    for (const call of pending.values()) call.reject(error);
    pending.clear();
    worker = undefined;
  };
  started.on('error', fail);
  started.on('exit', () => fail(new Error('the model introspection worker exited')));
  worker = started;
  return started;
};

/**
 * The model introspection clients read from amplify_outputs.json (what
 * `client.models` is built from), generated from Amplify Data's model schema
 * as Gen 2 does when it writes the outputs, plus the `codegenVersion` of the
 * installed model generator, so that DataStore's `initSchema` accepts it as
 * it is. The same schema is generated once.
 */
export const modelIntrospection = (schema: string): Promise<unknown> => {
  if (last?.schema === schema) return last.result;
  const id = nextId++;
  const result = new Promise<unknown>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    generator().postMessage({ id, schema });
  });
  last = { schema, result };
  result.catch(() => {
    if (last?.result === result) last = undefined;
  });
  return result;
};
