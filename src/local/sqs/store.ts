import { existsSync, readFileSync } from 'node:fs';
import { makePrivate, writePrivateFile } from '../private-files';
import type { QueueState, QueueStore } from './queue';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isQueueState = (value: unknown): value is QueueState =>
  isRecord(value) &&
  Array.isArray(value.messages) &&
  isRecord(value.deduplication) &&
  typeof value.sequence === 'number';

/**
 * The queues' messages in one owner-only file, replaced whole after every
 * change (temp + rename), so a kill leaves the state before or after the
 * last operation. A file that cannot be read is kept aside and reported.
 */
export const fileQueueStore = (file: string): QueueStore => ({
  load: () => {
    if (!existsSync(file)) return {};
    makePrivate(file);
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (isRecord(parsed))
        return Object.fromEntries(
          Object.entries(parsed).filter((entry): entry is [string, QueueState] => isQueueState(entry[1])),
        );
    } catch {
      // Reported below.
    }
    const aside = `${file}.damaged-${Date.now()}`;
    writePrivateFile(aside, readFileSync(file));
    console.warn(`local SQS: ${file} could not be read; it was copied to ${aside} and the queues start empty`);
    return {};
  },
  save: (state) => writePrivateFile(file, JSON.stringify(state)),
});

/** For tests: nothing written. */
export const memoryQueueStore = (initial: Record<string, QueueState> = {}): QueueStore & { saved: number } => {
  const store = {
    saved: 0,
    load: () => structuredClone(initial),
    save: () => {
      store.saved += 1;
    },
  };
  return store;
};
