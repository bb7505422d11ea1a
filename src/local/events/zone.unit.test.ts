import { describe, expect, it } from 'vitest';
import { nextRun, parseSchedule } from './schedule';
import { assertTimeZone, instantsOf, TimeZoneError, wallTimeOf } from './zone';

/** The next `count` runs after `from`, as ISO instants. */
const runs = (expression: string, zone: string, from: string, count: number): string[] => {
  const schedule = parseSchedule(expression);
  const out: string[] = [];
  let after = Date.parse(from);
  const anchor = after;
  for (let i = 0; i < count; i++) {
    const next = nextRun(schedule, after, anchor, zone);
    if (next === undefined) break;
    out.push(new Date(next).toISOString().replace('.000Z', 'Z'));
    after = next;
  }
  return out;
};

describe('wall time in a zone', () => {
  it('reads the offset before and after a change from the platform', () => {
    // New York: EST (-5) in winter, EDT (-4) in summer.
    expect(wallTimeOf(Date.parse('2026-01-15T12:00:00Z'), 'America/New_York')).toBe(Date.parse('2026-01-15T07:00:00Z'));
    expect(wallTimeOf(Date.parse('2026-07-15T12:00:00Z'), 'America/New_York')).toBe(Date.parse('2026-07-15T08:00:00Z'));
  });

  it('has no instant for a skipped wall time and two for a repeated one', () => {
    expect(instantsOf(Date.parse('2026-03-08T02:30:00Z'), 'America/New_York')).toEqual([]);
    expect(instantsOf(Date.parse('2026-11-01T01:30:00Z'), 'America/New_York')).toEqual([
      Date.parse('2026-11-01T05:30:00Z'),
      Date.parse('2026-11-01T06:30:00Z'),
    ]);
  });

  it('refuses a zone the platform does not know', () => {
    expect(() => assertTimeZone('Mars/Olympus_Mons')).toThrow(TimeZoneError);
    expect(() => assertTimeZone('Europe/Berlin')).not.toThrow();
  });
});

// EventBridge Scheduler's documented DST behaviour: a cron time the spring change skips does not run;
// one the autumn change repeats runs once. 2026: the US changes on 8 March and 1 November, the EU on 29 March and 25 October.
describe('cron schedules in a time zone, across both DST changes', () => {
  it('New York, spring: 02:30 does not exist on 8 March, so that day has no run', () => {
    expect(runs('cron(30 2 * * ? *)', 'America/New_York', '2026-03-07T00:00:00Z', 3)).toEqual([
      '2026-03-07T07:30:00Z', // 02:30 EST
      '2026-03-09T06:30:00Z', // 02:30 EDT, the next day
      '2026-03-10T06:30:00Z',
    ]);
  });

  it('New York, spring: a time outside the gap keeps its local hour (09:00 moves an hour in UTC)', () => {
    expect(runs('cron(0 9 * * ? *)', 'America/New_York', '2026-03-07T00:00:00Z', 2)).toEqual([
      '2026-03-07T14:00:00Z',
      '2026-03-08T13:00:00Z',
    ]);
  });

  it('New York, autumn: 01:30 happens twice on 1 November and runs once, the first time', () => {
    expect(runs('cron(30 1 * * ? *)', 'America/New_York', '2026-10-31T00:00:00Z', 3)).toEqual([
      '2026-10-31T05:30:00Z', // 01:30 EDT
      '2026-11-01T05:30:00Z', // 01:30 EDT; not again at 01:30 EST (06:30Z)
      '2026-11-02T06:30:00Z', // 01:30 EST
    ]);
  });

  it('New York, autumn: every 30 minutes does not run the repeated hour again', () => {
    expect(runs('cron(0/30 * * * ? *)', 'America/New_York', '2026-11-01T04:45:00Z', 4)).toEqual([
      '2026-11-01T05:00:00Z', // 01:00 EDT
      '2026-11-01T05:30:00Z', // 01:30 EDT
      '2026-11-01T07:00:00Z', // 02:00 EST: 01:00 and 01:30 EST are not run again
      '2026-11-01T07:30:00Z',
    ]);
  });

  it('Berlin, spring: 02:30 does not exist on 29 March', () => {
    expect(runs('cron(30 2 * * ? *)', 'Europe/Berlin', '2026-03-28T00:00:00Z', 3)).toEqual([
      '2026-03-28T01:30:00Z', // 02:30 CET
      '2026-03-30T00:30:00Z', // 02:30 CEST
      '2026-03-31T00:30:00Z',
    ]);
  });

  it('Berlin, autumn: 02:30 happens twice on 25 October and runs once', () => {
    expect(runs('cron(30 2 * * ? *)', 'Europe/Berlin', '2026-10-24T00:00:00Z', 3)).toEqual([
      '2026-10-24T00:30:00Z', // 02:30 CEST
      '2026-10-25T00:30:00Z', // 02:30 CEST; not again at 02:30 CET (01:30Z)
      '2026-10-26T01:30:00Z', // 02:30 CET
    ]);
  });

  it('Berlin: a weekday cron keeps 08:00 local on both sides of the autumn change', () => {
    expect(runs('cron(0 8 ? * FRI *)', 'Europe/Berlin', '2026-10-20T00:00:00Z', 2)).toEqual([
      '2026-10-23T06:00:00Z', // CEST
      '2026-10-30T07:00:00Z', // CET
    ]);
  });

  it('a rate counts absolute time: a day is 24 hours across the change', () => {
    expect(runs('rate(1 day)', 'America/New_York', '2026-03-07T17:00:00Z', 2)).toEqual([
      '2026-03-08T17:00:00Z', // 13:00 EDT, not 12:00
      '2026-03-09T17:00:00Z',
    ]);
  });

  it('a one-time schedule reads its time in the zone', () => {
    expect(runs('at(2026-07-01T09:00:00)', 'Europe/Berlin', '2026-06-01T00:00:00Z', 2)).toEqual([
      '2026-07-01T07:00:00Z',
    ]);
  });
});
