/**
 * A warm synthesizer: a child process that keeps aws-cdk-lib, the Amplify
 * backend packages and the GraphQL transformer loaded, and synthesizes
 * amplify/backend.ts on request. Each request imports the project's files
 * afresh (tsx gives every import its own module namespace) and then asks
 * Gen 2 to synthesize, through the same `amplifySynth` message that Gen 2
 * listens for. Only the dependencies stay cached, so the result is what a
 * cold synthesis of the same sources would write.
 *
 * Protocol (process IPC): the parent sends a SynthRequest and gets a
 * SynthReply with the same id.
 */
import { performance } from 'node:perf_hooks';
import { tsImport } from 'tsx/esm/api';

export interface SynthRequest {
  id: number;
  /** Absolute path of the project's amplify/backend.ts. */
  backendFile: string;
  outDir: string;
  /** CDK context: the backend identifier and, to skip bundling, `aws:cdk:bundling-stacks: []`. */
  context: Record<string, unknown>;
  /** Extra environment for this synthesis. */
  env?: Record<string, string>;
}

export type SynthReply =
  | { id: number; ok: true; ms: number; rssBytes: number }
  | { id: number; ok: false; ms: number; error: string; rssBytes: number };

const isRequest = (message: unknown): message is SynthRequest =>
  typeof message === 'object' && message !== null && 'id' in message && 'backendFile' in message;

const describe = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  // esbuild (through tsx) puts the file, line and column of a syntax error in `errors`.
  const located =
    'errors' in error && Array.isArray(error.errors)
      ? error.errors
          .map((e: { text?: string; location?: { file?: string; line?: number; column?: number } }) =>
            e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : String(e.text),
          )
          .join('\n')
      : '';
  return located ? `${error.message}\n${located}` : `${error.name}: ${error.message}`;
};

const synthesize = async (request: SynthRequest): Promise<void> => {
  // Gen 2 listens for 'amplifySynth'; an App with CDK_OUTDIR set also synthesizes on 'beforeExit'.
  const before = new Set([...process.listeners('message'), ...process.listeners('beforeExit')]);
  const started = performance.now();
  const saved = { ...process.env };
  const reply = (result: { ok: true } | { ok: false; error: string }) =>
    process.send?.({
      id: request.id,
      ms: performance.now() - started,
      rssBytes: process.memoryUsage().rss,
      ...result,
    } satisfies SynthReply);
  try {
    Object.assign(process.env, request.env, {
      CDK_OUTDIR: request.outDir,
      CDK_CONTEXT_JSON: JSON.stringify(request.context),
    });
    await tsImport(request.backendFile, import.meta.url);
    // Gen 2's default stack registers `process.once('message')` and synthesizes its App on 'amplifySynth'.
    const synths = process.listeners('message').filter((listener) => !before.has(listener));
    if (synths.length === 0) throw new Error(`${request.backendFile} did not call defineBackend()`);
    for (const listener of synths) {
      process.removeListener('message', listener);
      listener('amplifySynth', undefined);
    }
    reply({ ok: true });
  } catch (error) {
    reply({ ok: false, error: describe(error) });
  } finally {
    // An import that failed half-way may have registered a listener; it must not synthesize later.
    for (const listener of process.listeners('message'))
      if (!before.has(listener)) process.removeListener('message', listener);
    for (const listener of process.listeners('beforeExit'))
      if (!before.has(listener)) process.removeListener('beforeExit', listener);
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
};

// Load the heavy dependencies once, before the first request.
await import('aws-cdk-lib');
await import('@aws-amplify/backend');
await import('@aws-amplify/data-construct');

let queue = Promise.resolve();
process.on('message', (message: unknown) => {
  if (!isRequest(message)) return;
  queue = queue.then(() => synthesize(message));
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
