import { describe, expect, it } from 'vitest';
import { nextRun, parseSchedule, ScheduleExpressionError } from './schedule';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
/** The next `count` runs after `from`. */
const runs = (expression: string, from: string, count = 3): Array<string | undefined> => {
  const schedule = parseSchedule(expression);
  const out: Array<string | undefined> = [];
  let t: number | undefined = at(from);
  for (let i = 0; i < count && t !== undefined; i++) {
    t = nextRun(schedule, t, at(from));
    out.push(iso(t));
  }
  return out;
};

describe('rate expressions', () => {
  it('run every period from when the rule starts', () => {
    // Act
    const minutes = runs('rate(1 minute)', '2026-12-01T12:00:30.000Z');
    const hours = runs('rate(2 hours)', '2026-12-01T12:00:00.000Z', 2);
    // Assess
    expect(minutes).toEqual(['2026-12-01T12:01:30.000Z', '2026-12-01T12:02:30.000Z', '2026-12-01T12:03:30.000Z']);
    expect(hours).toEqual(['2026-12-01T14:00:00.000Z', '2026-12-01T16:00:00.000Z']);
  });

  it('skip the runs missed while nothing ran, keeping the cadence', () => {
    // Act
    const next = nextRun(parseSchedule('rate(5 minutes)'), at('2026-12-01T12:17:00Z'), at('2026-12-01T12:00:00Z'));
    // Assess
    expect(iso(next)).toBe('2026-12-01T12:20:00.000Z');
  });

  it('refuse what EventBridge refuses: the wrong number, an unknown unit, zero', () => {
    // Act
    const attempts = [
      'rate(1 minutes)',
      'rate(5 minute)',
      'rate(0 minutes)',
      'rate(1 week)',
      'rate(1.5 hours)',
      'every 5m',
    ];
    // Assess
    for (const expression of attempts)
      expect(() => parseSchedule(expression), expression).toThrow(ScheduleExpressionError);
  });
});

describe('one-time schedules (EventBridge Scheduler)', () => {
  it('run once, at their time', () => {
    // Act
    const once = runs('at(2026-12-24T18:00:00)', '2026-12-01T00:00:00Z', 2);
    // Assess
    expect(once).toEqual(['2026-12-24T18:00:00.000Z', undefined]);
    expect(() => parseSchedule('at(2026-12-24 18:00)')).toThrow(ScheduleExpressionError);
  });
});

describe('cron expressions', () => {
  it('run at each matching minute in UTC', () => {
    // Act
    const quarterHours = runs('cron(0/15 * * * ? *)', '2026-12-01T12:07:00Z');
    const daily = runs('cron(30 9 * * ? *)', '2026-12-01T09:30:00Z', 2);
    // Assess
    expect(quarterHours).toEqual(['2026-12-01T12:15:00.000Z', '2026-12-01T12:30:00.000Z', '2026-12-01T12:45:00.000Z']);
    expect(daily).toEqual(['2026-12-02T09:30:00.000Z', '2026-12-03T09:30:00.000Z']);
  });

  it('read day-of-week names and numbers (1 = SUN), ranges and lists', () => {
    // Act: 2026-12-01 is a Tuesday.
    const weekdays = runs('cron(0 18 ? * MON-FRI *)', '2026-12-04T19:00:00Z', 2);
    const numbered = runs('cron(0 8 ? * 1,7 *)', '2026-12-01T00:00:00Z', 2);
    // Assess
    expect(weekdays).toEqual(['2026-12-07T18:00:00.000Z', '2026-12-08T18:00:00.000Z']);
    expect(numbered).toEqual(['2026-12-05T08:00:00.000Z', '2026-12-06T08:00:00.000Z']);
  });

  it('read L, W and # as EventBridge does', () => {
    // Act
    const lastDay = runs('cron(0 0 L * ? *)', '2027-02-01T00:00:00Z', 2);
    const lastFriday = runs('cron(0 12 ? * 6L *)', '2026-12-01T00:00:00Z', 1);
    const secondTuesday = runs('cron(0 12 ? * 3#2 *)', '2026-12-01T00:00:00Z', 2);
    // 2027-05-15 is a Saturday: 15W is Friday the 14th. 2027-08-01 is a Sunday: 1W is Monday the 2nd.
    const nearest = runs('cron(0 0 15W 5 ? 2027)', '2027-01-01T00:00:00Z', 1);
    const firstWeekday = runs('cron(0 0 1W 8 ? 2027)', '2027-01-01T00:00:00Z', 1);
    // Assess
    expect(lastDay).toEqual(['2027-02-28T00:00:00.000Z', '2027-03-31T00:00:00.000Z']);
    expect(lastFriday).toEqual(['2026-12-25T12:00:00.000Z']);
    expect(secondTuesday).toEqual(['2026-12-08T12:00:00.000Z', '2027-01-12T12:00:00.000Z']);
    expect(nearest).toEqual(['2027-05-14T00:00:00.000Z']);
    expect(firstWeekday).toEqual(['2027-08-02T00:00:00.000Z']);
  });

  it('read month names and years, and end when the years do', () => {
    // Act
    const once = runs('cron(0 10 1 JAN,JUL ? 2027)', '2026-12-01T00:00:00Z', 3);
    const never = nextRun(parseSchedule('cron(0 0 30 2 ? *)'), at('2026-12-01T00:00:00Z'));
    // Assess
    expect(once).toEqual(['2027-01-01T10:00:00.000Z', '2027-07-01T10:00:00.000Z', undefined]);
    expect(never).toBeUndefined();
  });

  it('refuse what EventBridge refuses', () => {
    // Act
    const attempts = [
      'cron(0 12 * * *)', // five fields
      'cron(0 12 * * * *)', // * in both day fields
      'cron(0 12 ? * ? *)', // ? in both
      'cron(60 12 * * ? *)',
      'cron(0 24 * * ? *)',
      'cron(0 12 32 * ? *)',
      'cron(0 12 ? * 8 *)',
      'cron(0 12 ? FOO * *)',
      'cron(0 12 * * ? 1969)',
      'cron(0/0 * * * ? *)',
    ];
    // Assess
    for (const expression of attempts)
      expect(() => parseSchedule(expression), expression).toThrow(ScheduleExpressionError);
  });
});
