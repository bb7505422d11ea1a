import { randomUUID } from 'node:crypto';
import { busNameOf } from './buses';

/**
 * PutEvents' checks and the event EventBridge builds from an entry: the
 * request-wide limits (a ValidationException) apart from each entry's own
 * errors (in its result entry, the others still put), as EventBridge
 * reports them.
 */

export class EventsRequestError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** The event envelope EventBridge delivers to a rule's targets. */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export type EntryResult =
  | { ok: true; bus: string; event: EventEnvelope }
  | { ok: false; ErrorCode: string; ErrorMessage: string };

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const MAX_ENTRIES = 10;
/** EventBridge's limit on the request's entries together (256 KB). */
export const MAX_ENTRIES_BYTES = 256 * 1024;

const invalid = (name: string, reason: string): EntryResult => ({
  ok: false,
  ErrorCode: 'InvalidArgument',
  ErrorMessage: `Parameter ${name} is not valid. Reason: ${reason}`,
});

/** An entry's size as EventBridge counts it: Time 14 bytes, Source, DetailType, Detail and each resource in UTF-8. */
export const entrySize = (entry: Json): number => {
  const bytes = (value: unknown) => (typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0);
  return (
    (entry.Time !== undefined ? 14 : 0) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (Array.isArray(entry.Resources) ? entry.Resources.reduce<number>((sum, r) => sum + bytes(r), 0) : 0)
  );
};

/** The request's Entries, checked as a whole; throws EventBridge's ValidationException. */
export const entriesOf = (input: Json): Json[] => {
  const entries = input.Entries;
  if (!Array.isArray(entries))
    throw new EventsRequestError(
      'ValidationException',
      "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
    );
  if (entries.length < 1 || entries.length > MAX_ENTRIES)
    throw new EventsRequestError(
      'ValidationException',
      `1 validation error detected: Value '${JSON.stringify(entries).slice(0, 200)}' at 'entries' failed to satisfy constraint: Member must have length ${entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ENTRIES}`}`,
    );
  if (!entries.every(isRecord)) throw new EventsRequestError('SerializationException', 'Each entry must be an object.');
  const total = entries.reduce((sum, entry) => sum + entrySize(entry), 0);
  if (total > MAX_ENTRIES_BYTES)
    throw new EventsRequestError('ValidationException', 'Total size of the entries in the request is over the limit.');
  return entries;
};

const timeOf = (value: unknown, now: number): number | undefined => {
  if (value === undefined || value === null) return now;
  // The SDK sends a Date as epoch seconds; an ISO string is accepted too.
  const ms = typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isFinite(ms) ? ms : undefined;
};

const isoSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** One entry: its event and bus, or the error EventBridge gives it. */
export const eventOf = (entry: Json, now: number, account: { region: string; accountId: string }): EntryResult => {
  const { Source, DetailType, Detail } = entry;
  if (typeof Source !== 'string' || Source === '') return invalid('Source', 'Source is a required argument.');
  if (typeof DetailType !== 'string' || DetailType === '')
    return invalid('DetailType', 'DetailType is a required argument.');
  if (typeof Detail !== 'string' || Detail === '') return invalid('Detail', 'Detail is a required argument.');
  if (Source.length > 256) return invalid('Source', 'Source exceeds the maximum length of 256.');
  if (DetailType.length > 128) return invalid('DetailType', 'DetailType exceeds the maximum length of 128.');
  // Sources under aws. are AWS services' own.
  if (Source.startsWith('aws.'))
    return { ok: false, ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
  let detail: unknown;
  try {
    detail = JSON.parse(Detail);
  } catch {
    detail = undefined;
  }
  if (!isRecord(detail)) return { ok: false, ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  const time = timeOf(entry.Time, now);
  if (time === undefined) return invalid('Time', 'Time is not a valid timestamp.');
  const resources = entry.Resources ?? [];
  if (!Array.isArray(resources) || !resources.every((r) => typeof r === 'string'))
    return invalid('Resources', 'Resources must be a list of ARNs.');
  return {
    ok: true,
    bus: busNameOf(entry.EventBusName),
    event: {
      version: '0',
      id: randomUUID(),
      'detail-type': DetailType,
      source: Source,
      account: account.accountId,
      time: isoSeconds(time),
      region: account.region,
      resources,
      detail,
    },
  };
};
