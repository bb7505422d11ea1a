/**
 * The load side of `npm run bench`, in a process of its own so that the
 * client's work does not share the measured server's event loop.
 * Input: a JSON object in argv[2]; output: one JSON line with the figures.
 */

import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { WebSocket } from 'ws';

type Json = Record<string, unknown>;

const input = JSON.parse(process.argv[2] ?? '{}') as {
  graphqlUrl: string;
  realtimeUrl?: string;
  token: string;
  caFile?: string;
  requests: number;
  concurrency: number;
  events: number;
  /** createNote requests a second for the open-loop phase; 0 skips it. */
  rate: number;
};
const N = input.requests;
const CONCURRENCY = input.concurrency;
const EVENTS = input.events;
const RATE = input.rate;

interface Figures {
  p50: number;
  p99: number;
  perSecond: number;
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

const summarize = (latencies: number[], wallMs: number): Figures => ({
  p50: percentile(latencies, 50),
  p99: percentile(latencies, 99),
  perSecond: (latencies.length / wallMs) * 1000,
});

/** POSTs GraphQL over keep-alive connections; resolves with the parsed body. */
const client = (url: string, token: string, ca?: string, maxSockets = CONCURRENCY) => {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets, ca })
    : new http.Agent({ keepAlive: true, maxSockets });
  return (query: string, variables: Json = {}): Promise<Json> =>
    new Promise((done, fail) => {
      const body = JSON.stringify({ query, variables });
      const request = (secure ? https : http).request(
        target,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: token,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () => {
            try {
              done(JSON.parse(Buffer.concat(chunks).toString('utf8')));
            } catch (error) {
              fail(error);
            }
          });
        },
      );
      request.on('error', fail);
      request.end(body);
    });
};

/** Runs `count` operations with `CONCURRENCY` in flight; returns each latency and the wall time. */
const load = async (count: number, operation: (i: number) => Promise<void>) => {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next;
        next += 1;
        const t = performance.now();
        await operation(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return summarize(latencies, performance.now() - started);
};

/**
 * Open loop: `count` operations started at a fixed rate whatever the answers
 * do, each timed from when it was due, not from when it was sent, so that a
 * server that falls behind shows its queue in the latencies (no coordinated
 * omission).
 */
const atRate = async (count: number, rate: number, operation: (i: number) => Promise<void>) => {
  const latencies: number[] = [];
  const running: Array<Promise<void>> = [];
  const started = performance.now();
  for (let i = 0; i < count; ) {
    const now = performance.now();
    for (; i < count && started + (i * 1000) / rate <= now; i += 1) {
      const due = started + (i * 1000) / rate;
      running.push(operation(i).then(() => void latencies.push(performance.now() - due)));
    }
    if (i < count) await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (i * 1000) / rate - now)));
  }
  await Promise.all(running);
  return summarize(latencies, performance.now() - started);
};

const CREATE = 'mutation C($input: CreateNoteInput!) { createNote(input: $input) { id headline owner } }';
const GET = 'query G($id: ID!) { getNote(id: $id) { id headline } }';
const SUBSCRIBE = 'subscription { onCreateNote { id headline owner } }';

/** Opens an AppSync realtime subscription and resolves once it is acknowledged. */
const subscribe = async (url: string, token: string, host: string, ca?: string) => {
  const header = Buffer.from(JSON.stringify({ Authorization: token, host })).toString('base64url');
  const socket = new WebSocket(
    `${url}?header=${Buffer.from(JSON.stringify({ Authorization: token, host })).toString('base64')}&payload=e30=`,
    ['graphql-ws', `header-${header}`],
    { ca },
  );
  const listeners = new Set<(data: Json) => void>();
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error('no start_ack within 10 s')), 10_000);
    socket.on('error', fail);
    socket.on('close', (code) => fail(new Error(`the server closed the socket (${code}) before start_ack`)));
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
    socket.on('message', (raw) => {
      const message = JSON.parse(raw.toString());
      if (message.type === 'connection_ack') {
        socket.send(
          JSON.stringify({
            id: 'bench',
            type: 'start',
            payload: {
              data: JSON.stringify({ query: SUBSCRIBE, variables: {} }),
              extensions: { authorization: { Authorization: token, host } },
            },
          }),
        );
      } else if (message.type === 'start_ack') {
        clearTimeout(timer);
        ready();
      } else if (message.type === 'error') fail(new Error(JSON.stringify(message)));
      else if (message.type === 'data') for (const l of listeners) l(message.payload.data);
    });
  });
  return { onData: (l: (data: Json) => void) => listeners.add(l), close: () => socket.close() };
};

interface Result {
  mutation: Figures;
  /** createNote at a fixed offered rate. */
  mutationAtRate?: Figures & { offered: number };
  query: Figures;
  subscription?: { p50: number; p99: number; delivered: number };
}

const measure = async (
  graphqlUrl: string,
  realtimeUrl: string | undefined,
  token: string,
  ca?: string,
): Promise<Result> => {
  const post = client(graphqlUrl, token, ca);
  await post(CREATE, { input: { headline: 'warm-up' } });
  const ids: string[] = [];
  const mutation = await load(N, async (i) => {
    const result = await post(CREATE, { input: { headline: `Bench note ${i}`, text: 'x'.repeat(200) } });
    const data = result.data as Json | null;
    const id =
      data && typeof data.createNote === 'object' && data.createNote ? String((data.createNote as Json).id) : '';
    if (!id) throw new Error(`createNote failed: ${JSON.stringify(result).slice(0, 300)}`);
    ids.push(id);
  });
  console.error(`  mutations done: ${JSON.stringify(mutation)}`);
  const query = await load(N, async (i) => {
    const result = await post(GET, { id: ids[i % ids.length] });
    if (!result.data) throw new Error(`getNote failed: ${JSON.stringify(result).slice(0, 300)}`);
  });
  console.error(`  queries done: ${JSON.stringify(query)}`);
  let mutationAtRate: Result['mutationAtRate'];
  if (RATE > 0) {
    const open = client(graphqlUrl, token, ca, 1024);
    const figures = await atRate(N, RATE, async (i) => {
      const result = await open(CREATE, { input: { headline: `Rate note ${i}`, text: 'x'.repeat(200) } });
      if (!result.data) throw new Error(`createNote failed: ${JSON.stringify(result).slice(0, 300)}`);
    });
    mutationAtRate = { ...figures, offered: RATE };
    console.error(`  mutations at ${RATE}/s done: ${JSON.stringify(mutationAtRate)}`);
  }
  if (!realtimeUrl) return { mutation, mutationAtRate, query };
  const host = new URL(graphqlUrl).host;
  let subscription: Result['subscription'];
  try {
    const sub = await subscribe(realtimeUrl, token, host, ca);
    const latencies: number[] = [];
    for (let i = 0; i < EVENTS; i += 1) {
      const headline = `Live ${i}`;
      const t = performance.now();
      const arrived = new Promise<void>((done) => {
        const timer = setTimeout(done, 2000);
        sub.onData((data) => {
          const note = data.onCreateNote as Json | undefined;
          if (note?.headline === headline) {
            clearTimeout(timer);
            latencies.push(performance.now() - t);
            done();
          }
        });
      });
      await post(CREATE, { input: { headline } });
      await arrived;
    }
    sub.close();
    subscription = { p50: percentile(latencies, 50), p99: percentile(latencies, 99), delivered: latencies.length };
  } catch (error) {
    console.error(`  subscriptions not measured: ${error instanceof Error ? error.message.slice(0, 200) : error}`);
  }
  return { mutation, mutationAtRate, query, subscription };
};

measure(input.graphqlUrl, input.realtimeUrl, input.token, input.caFile ? readFileSync(input.caFile, 'utf8') : undefined)
  .then((result) => {
    // A pipe is written asynchronously: exit only once the line is out.
    process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
  })
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
