import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { Amplify } from 'aws-amplify';
import { confirmSignUp, fetchAuthSession, signIn, signOut, signUp } from 'aws-amplify/auth';
import { afterAll, describe, expect, it } from 'vitest';
import { configureLocal } from '../client/local';
import { TEST_TLS_DIR } from '../test/e2e.global-setup';
import { Outbox } from './outbox';

/**
 * kill -9 under write load: the backend runs in a child process, notes are
 * written through GraphQL while it is killed with SIGKILL, then it starts
 * again on the same data, five times. No acknowledged write may be lost,
 * and the search index catches up with every acknowledged note.
 */

const DATA_DIR = resolve('.amplify/test-local/crash');
const SCRIPT = resolve('src/test/backend-process.ts');
const PASSWORD = 'Correct-Horse-9-Battery';
const EMAIL = 'crash@example.com';
const CYCLES = 5;
const WRITERS = 4;

interface Started {
  child: ChildProcess;
  urls: { graphql: string; userPool: string; dynamodb: string; search: string };
  admin: { accessKeyId: string; secretAccessKey: string };
  outputs: string;
}

const children = new Set<ChildProcess>();

afterAll(async () => {
  await signOut().catch(() => {});
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const startBackend = (reset: boolean): Promise<Started> =>
  new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, DATA_DIR, TEST_TLS_DIR, reset ? 'reset' : ''], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the backend did not start in 120 s:\n${output}`)), 120_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.startsWith('READY '));
      if (!line) return;
      clearTimeout(timer);
      resolvePromise({ child, ...JSON.parse(line.slice('READY '.length)) });
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the backend exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });

const exited = (child: ChildProcess) =>
  new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.once('exit', () => done());
  });

/** A fresh ID token: the issuer names the user pool's port, which changes with each start. */
const idToken = async (backend: Started, register: boolean): Promise<string> => {
  configureLocal(Amplify, JSON.parse(readFileSync(backend.outputs, 'utf8')));
  await signOut();
  if (register) {
    await signUp({ username: EMAIL, password: PASSWORD, options: { userAttributes: { email: EMAIL } } });
    const code = new Outbox(resolve(DATA_DIR, 'outbox.jsonl')).latestCode(EMAIL, 'verification');
    await confirmSignUp({ username: EMAIL, confirmationCode: code ?? '' });
  }
  await signIn({ username: EMAIL, password: PASSWORD });
  return (await fetchAuthSession()).tokens?.idToken?.toString() ?? '';
};

const gql = async (backend: Started, token: string, query: string, variables: Record<string, unknown> = {}) => {
  const response = await fetch(backend.urls.graphql, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: token },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: Record<string, unknown> | null; errors?: unknown[] };
};

const CREATE = 'mutation C($input: CreateNoteInput!) { createNote(input: $input) { id } }';
const GET = 'query G($id: ID!) { getNote(id: $id) { id headline } }';
const SEARCH =
  'query S($q: String!, $next: String) { searchNotes(query: $q, limit: 50, nextToken: $next) { items { id } nextToken } }';

const fieldId = (data: Record<string, unknown> | null | undefined, field: string): string | undefined => {
  const value = data?.[field];
  return typeof value === 'object' && value !== null && 'id' in value ? String(value.id) : undefined;
};

/** Writes notes from a few concurrent writers until the backend dies; returns the acknowledged ids. */
const writeUntilKilled = async (backend: Started, token: string, cycle: number, killAfterMs: number) => {
  const acknowledged: string[] = [];
  let alive = true;
  const killer = setTimeout(() => {
    alive = false;
    backend.child.kill('SIGKILL');
  }, killAfterMs);
  const writer = async (w: number) => {
    for (let i = 0; alive && i < 10_000; i += 1) {
      try {
        const result = await gql(backend, token, CREATE, {
          input: { headline: `crashproof c${cycle} w${w} n${i}`, text: 'kill nine' },
        });
        const id = fieldId(result.data, 'createNote');
        if (id && !result.errors?.length) acknowledged.push(id);
      } catch {
        // The connection died with the process: this write was never acknowledged.
      }
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
  clearTimeout(killer);
  await exited(backend.child);
  return acknowledged;
};

const missingNotes = async (backend: Started, token: string, ids: string[]): Promise<string[]> => {
  const missing: string[] = [];
  for (let at = 0; at < ids.length; at += 16) {
    const batch = ids.slice(at, at + 16);
    const results = await Promise.all(batch.map((id) => gql(backend, token, GET, { id })));
    results.forEach((result, k) => {
      const id = batch[k] ?? '';
      if (fieldId(result.data, 'getNote') !== id) missing.push(id);
    });
  }
  return missing;
};

const searchable = async (backend: Started, token: string): Promise<Set<string>> => {
  const found = new Set<string>();
  let next: string | null = null;
  for (let page = 0; page < 100; page += 1) {
    const result = await gql(backend, token, SEARCH, { q: 'crashproof', next });
    const value = result.data?.searchNotes;
    const items = typeof value === 'object' && value !== null && 'items' in value ? value.items : [];
    for (const item of Array.isArray(items) ? items : [])
      if (typeof item === 'object' && item !== null && 'id' in item) found.add(String(item.id));
    const more = typeof value === 'object' && value !== null && 'nextToken' in value ? value.nextToken : null;
    next = typeof more === 'string' && more !== '' ? more : null;
    if (!next) break;
  }
  return found;
};

describe('kill -9 under write load', () => {
  it(`loses no acknowledged write in ${CYCLES} kills and restarts, and the search index catches up`, async () => {
    // Prepare
    let backend = await startBackend(true);
    let token = await idToken(backend, true);
    const acknowledged: string[] = [];
    const cycles: Array<{ acknowledged: number; lost: number }> = [];
    // Act
    for (let cycle = 1; cycle <= CYCLES; cycle += 1) {
      const written = await writeUntilKilled(backend, token, cycle, 1500 + cycle * 300);
      acknowledged.push(...written);
      backend = await startBackend(false);
      token = await idToken(backend, false);
      const lost = await missingNotes(backend, token, acknowledged);
      cycles.push({ acknowledged: written.length, lost: lost.length });
      expect(lost).toEqual([]);
    }
    let indexed = new Set<string>();
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      indexed = await searchable(backend, token);
      if (acknowledged.every((id) => indexed.has(id))) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    console.log(
      `kill -9 cycles: ${JSON.stringify(cycles)}; ${acknowledged.length} acknowledged, ${indexed.size} searchable`,
    );
    // Assess
    expect(acknowledged.length).toBeGreaterThan(CYCLES * WRITERS);
    expect(acknowledged.filter((id) => !indexed.has(id))).toEqual([]);
    // The admin credential file is private, and the restarted DynamoDB still wants it.
    expect(statSync(resolve(DATA_DIR, 'admin-credentials.json')).mode & 0o777).toBe(0o600);
    const admin = new DynamoDBClient({
      endpoint: backend.urls.dynamodb,
      region: 'us-east-1',
      credentials: backend.admin,
    });
    expect((await admin.send(new ListTablesCommand({}))).TableNames?.length).toBeGreaterThan(0);
    admin.destroy();
    const unsigned = await fetch(backend.urls.dynamodb, {
      method: 'POST',
      headers: { 'x-amz-target': 'DynamoDB_20120810.ListTables', 'content-type': 'application/x-amz-json-1.0' },
      body: '{}',
    });
    expect(unsigned.status).toBe(400);
    await signOut();
    backend.child.kill('SIGTERM');
    await exited(backend.child);
  }, 600_000);
});
