import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Database, DatabaseError } from './database';
import type { GoldenCase } from './differential';
import { ValidationError } from './errors';

/**
 * DynamoDB Local's recorded answers (`golden/<category>.json`, written by
 * `scripts/record-dynamodb-golden.sh` from the differential tests), replayed
 * in order through the engine in-process: no Java, no HTTP. Each answer that
 * the differential test compares exactly must come out the same.
 */

const folder = fileURLToPath(new URL('./golden', import.meta.url));

/** The engine's answer in the shape the differential harness gives DynamoDB Local's. */
const answer = (database: Database, operation: string, input: Record<string, unknown>): unknown => {
  try {
    const { ConsumedCapacity, ...body } = database.execute(operation, input);
    const asked = input.ReturnConsumedCapacity === 'TOTAL' || input.ReturnConsumedCapacity === 'INDEXES';
    return asked && ConsumedCapacity !== undefined ? { ...body, ConsumedCapacity } : body;
  } catch (error) {
    if (error instanceof DatabaseError) return { error: error.name, message: error.message, ...error.extra };
    if (error instanceof ValidationError) return { error: 'ValidationException', message: error.message };
    throw error;
  }
};

/** JSON's view of a value: what the wire would carry. */
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? 'null');

const categories = readdirSync(folder).filter((f) => f.endsWith('.json'));

describe('the engine gives DynamoDB Local’s recorded answers', () => {
  it('has recordings', () => {
    expect(categories.length).toBeGreaterThan(0);
  });

  for (const file of categories)
    it(file.replace(/\.json$/, ''), () => {
      const cases = JSON.parse(readFileSync(join(folder, file), 'utf8')) as GoldenCase[];
      const database = new Database();
      let compared = 0;
      let matched = 0;
      for (const { operation, input, compare, answer: expected } of cases) {
        const got = wire(answer(database, operation, input));
        if (!compare) continue;
        compared += 1;
        if (isDeepStrictEqual(got, wire(expected))) matched += 1;
        expect.soft({ operation, input: JSON.stringify(input).slice(0, 200), got }).toEqual({
          operation,
          input: JSON.stringify(input).slice(0, 200),
          got: expected,
        });
      }
      console.log(`golden cases (${file}): ${matched}/${compared} match`);
      expect(compared).toBeGreaterThan(0);
    });
});
