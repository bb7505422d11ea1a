import { writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { startEmbeddedDynamoDb } from '../embedded';
import { type LocalDynamoDb, startDynamoDbLocal } from '../local';

/**
 * The harness of the differential tests: the same requests, in the same
 * order, to DynamoDB Local and to the embedded store, over DynamoDB's HTTP
 * protocol, must give the same answer or the same error type and message.
 * Each test file counts its cases and how many matched, for the report.
 */

export type Json = Record<string, unknown>;
export interface Answer {
  status: number;
  body: Json;
}

const AUTH =
  'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x';

export const send = async (
  endpoint: string,
  operation: string,
  input: unknown,
  service = 'DynamoDB',
): Promise<Answer> => {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `${service}_20120810.${operation}`,
      authorization: AUTH,
    },
    body: JSON.stringify(input),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Json) : {} };
};

/** An answer, or an error as type and message (DynamoDB Local writes `Message` for some), plus what it carries. */
export const shape = (answer: Answer, input: Json = {}): unknown => {
  if (answer.status < 300) {
    // DynamoDB Local reports consumed capacity for some writes unasked; DynamoDB does not.
    if (input.ReturnConsumedCapacity === 'TOTAL' || input.ReturnConsumedCapacity === 'INDEXES') return answer.body;
    const { ConsumedCapacity, ...body } = answer.body;
    return body;
  }
  const { __type, message, Message, ...rest } = answer.body;
  const type = String(__type);
  return { error: type.slice(type.lastIndexOf('#') + 1), message: message ?? Message, ...rest };
};

const sortKeys = (value: unknown): unknown =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.fromEntries(
        Object.entries(value)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => [k, sortKeys(v)]),
      )
    : Array.isArray(value)
      ? value.map(sortKeys)
      : value;

export const sortItems = (items: unknown): unknown =>
  Array.isArray(items)
    ? [...items].sort((a, b) => JSON.stringify(sortKeys(a)).localeCompare(JSON.stringify(sortKeys(b))))
    : items;

const identity = (shaped: unknown): unknown => shaped;
const GOLDEN_MAX_INPUT = 20_000;

export interface Differential {
  local: LocalDynamoDb;
  embedded: LocalDynamoDb;
  /** Sends a request to both stores and requires the same answer; `normalize` maps both answers first. */
  both(operation: string, input: Json, normalize?: (shaped: unknown) => unknown): Promise<Json>;
  /** Sends a request to both stores, for setting up, and requires only that both succeed. */
  setup(operation: string, input: Json): Promise<void>;
  /** Cases sent and cases that matched. */
  readonly counts: { cases: number; matched: number };
  stop(): Promise<void>;
}

/**
 * One recorded request and DynamoDB Local's answer, for the unit tests that
 * replay them without Java (`golden.unit.test.ts`): `compare` is false for
 * set-up requests and for answers compared loosely (timestamps, orders).
 */
export interface GoldenCase {
  operation: string;
  input: Json;
  compare: boolean;
  answer: unknown;
}

/**
 * Starts both stores. With GOLDEN_RECORD=<file.json>, every request and
 * DynamoDB Local's answer are written there when the harness stops.
 */
export const startDifferential = async (
  options: { embedded?: Parameters<typeof startEmbeddedDynamoDb>[0] } = {},
): Promise<Differential> => {
  const [local, embedded] = await Promise.all([startDynamoDbLocal(), startEmbeddedDynamoDb(options.embedded)]);
  const counts = { cases: 0, matched: 0 };
  const golden: GoldenCase[] = [];
  return {
    local,
    embedded,
    counts,
    async both(operation, input, normalize = identity) {
      const [expected, actual] = await Promise.all([
        send(local.endpoint, operation, input),
        send(embedded.endpoint, operation, input),
      ]);
      const label = `${operation} ${JSON.stringify(input).slice(0, 300)}`;
      const want = normalize(shape(expected, input));
      const got = normalize(shape(actual, input));
      // Requests of more than 20 KB (the attribute-name limits) stay out of the recordings, which are kept small.
      if (JSON.stringify(input).length <= GOLDEN_MAX_INPUT)
        golden.push({ operation, input, compare: normalize === identity, answer: want });
      counts.cases += 1;
      if (JSON.stringify(sortKeys(want)) === JSON.stringify(sortKeys(got))) counts.matched += 1;
      else if (process.env.DIFFERENTIAL_VERBOSE)
        console.log(
          `MISMATCH ${label.slice(0, 200)}\n  want ${JSON.stringify(sortKeys(want)).slice(0, 400)}\n  got  ${JSON.stringify(sortKeys(got)).slice(0, 400)}`,
        );
      expect.soft({ label, answer: got }).toEqual({ label, answer: want });
      return actual.body;
    },
    async setup(operation, input) {
      const answers = await Promise.all([
        send(local.endpoint, operation, input),
        send(embedded.endpoint, operation, input),
      ]);
      for (const answer of answers) expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      golden.push({ operation, input, compare: false, answer: undefined });
    },
    async stop() {
      if (counts.cases > 0) console.log(`differential cases: ${counts.matched}/${counts.cases} match`);
      const file = process.env.GOLDEN_RECORD;
      if (file) writeFileSync(file, `${JSON.stringify(golden)}\n`);
      await Promise.all([local.stop(), embedded.stop()]);
    },
  };
};
