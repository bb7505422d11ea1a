import { Worker } from 'node:worker_threads';

// Runs in a worker so that the generator and its own graphql copy load through Node
// itself, whatever module loader the caller runs under (vitest inlines some modules).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { generateModelsSync } = require('@aws-amplify/graphql-generator');
const out = generateModelsSync({ schema: workerData.schema, target: 'introspection' });
parentPort.postMessage(out['model-introspection.json']);
`;

/**
 * The model introspection clients read from amplify_outputs.json (what
 * `client.models` is built from), generated from Amplify Data's model schema
 * as Gen 2 does when it writes the outputs.
 */
export const modelIntrospection = (schema: string): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { schema } });
    worker.once('message', (json: unknown) => {
      resolve(JSON.parse(String(json)));
      void worker.terminate();
    });
    worker.once('error', reject);
  });
