import { instantOf, instantsOf, wallTimeOf } from './zone';

/**
 * EventBridge schedule expressions, as EventBridge reads them, in UTC or (for
 * EventBridge Scheduler) an IANA time zone: `rate(value unit)`,
 * `cron(minutes hours day-of-month month day-of-week year)` and `at(...)`.
 * Pure: parsing and "the next run after t" only; the scheduler owns the timers.
 */

export type Schedule =
  | { kind: 'rate'; expression: string; periodMs: number }
  /** EventBridge Scheduler's one-time schedule, `at(yyyy-mm-ddThh:mm:ss)`: `wall` is that time as if in UTC. */
  | { kind: 'at'; expression: string; wall: number }
  | { kind: 'cron'; expression: string; fields: CronFields };

/** An expression EventBridge would refuse (PutRule's ValidationException). */
export class ScheduleExpressionError extends Error {
  override readonly name = 'ScheduleExpressionError';
}

interface CronFields {
  minutes: Set<number>;
  hours: Set<number>;
  months: Set<number>;
  years: Set<number>;
  /** Day of month; undefined when `?`. */
  days?: DayOfMonth;
  /** Day of week (1 = SUN … 7 = SAT); undefined when `?`. */
  weekdays?: DayOfWeek;
}

type DayOfMonth = { values: Set<number>; last: boolean; lastWeekday: boolean; nearestWeekday: number[] };
type DayOfWeek = { values: Set<number>; last: number[]; nth: Array<{ day: number; n: number }> };

const UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const invalid = (expression: string, why: string) =>
  new ScheduleExpressionError(`Parameter ScheduleExpression is not valid: ${expression} (${why}).`);

const parseRate = (expression: string, body: string): Schedule => {
  const match = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(body.trim());
  if (!match) throw invalid(expression, 'a rate is rate(<positive integer> minute|minutes|hour|hours|day|days)');
  const value = Number(match[1]);
  const unit = String(match[2]);
  if (value <= 0) throw invalid(expression, 'the value must be positive');
  // EventBridge wants the singular for 1 and the plural for more.
  if ((value === 1) !== !unit.endsWith('s'))
    throw invalid(expression, value === 1 ? `use "1 ${unit.replace(/s$/, '')}"` : `use "${value} ${unit}s"`);
  return { kind: 'rate', expression, periodMs: value * (UNITS[unit.replace(/s$/, '')] ?? 0) };
};

/** One comma-separated part of a plain field: `*`, `n`, `a-b`, `a/s`, `*\/s`, `a-b/s`. */
const parseList = (
  expression: string,
  field: string,
  text: string,
  min: number,
  max: number,
  names: string[] = [],
  nameBase = min,
): Set<number> => {
  const values = new Set<number>();
  const number = (token: string): number => {
    const named = names.indexOf(token.toUpperCase());
    const value = named >= 0 ? named + nameBase : /^\d+$/.test(token) ? Number(token) : Number.NaN;
    if (!Number.isInteger(value) || value < min || value > max)
      throw invalid(
        expression,
        `${field} must be ${min}-${max}${names.length ? ` or ${names[0]}-${names.at(-1)}` : ''}`,
      );
    return value;
  };
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw invalid(expression, `${field} has an invalid increment`);
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [min, max];
    else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      [from, to] = [number(a), number(b)];
    } else {
      from = number(range);
      to = stepText === undefined ? from : max;
    }
    if (from > to) throw invalid(expression, `${field} has a range that ends before it starts`);
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
};

const parseDayOfMonth = (expression: string, text: string): DayOfMonth => {
  const result: DayOfMonth = { values: new Set(), last: false, lastWeekday: false, nearestWeekday: [] };
  for (const part of text.split(',')) {
    if (part === 'L') result.last = true;
    else if (part === 'LW') result.lastWeekday = true;
    else if (/^\d+W$/.test(part)) {
      const day = Number(part.slice(0, -1));
      if (day < 1 || day > 31) throw invalid(expression, 'day-of-month must be 1-31');
      result.nearestWeekday.push(day);
    } else for (const day of parseList(expression, 'day-of-month', part, 1, 31)) result.values.add(day);
  }
  return result;
};

const parseDayOfWeek = (expression: string, text: string): DayOfWeek => {
  const result: DayOfWeek = { values: new Set(), last: [], nth: [] };
  const day = (token: string) => [...parseList(expression, 'day-of-week', token, 1, 7, WEEKDAYS, 1)][0] ?? 0;
  for (const part of text.split(',')) {
    if (part === 'L') result.values.add(7);
    else if (/^\w+L$/.test(part)) result.last.push(day(part.slice(0, -1)));
    else if (part.includes('#')) {
      const [d = '', n = ''] = part.split('#');
      const nth = Number(n);
      if (!Number.isInteger(nth) || nth < 1 || nth > 5) throw invalid(expression, 'the n of day#n must be 1-5');
      result.nth.push({ day: day(d), n: nth });
    } else for (const value of parseList(expression, 'day-of-week', part, 1, 7, WEEKDAYS, 1)) result.values.add(value);
  }
  return result;
};

const parseCron = (expression: string, body: string): Schedule => {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6)
    throw invalid(expression, 'a cron expression has six fields: minutes hours day-of-month month day-of-week year');
  const [minutes = '', hours = '', dom = '', month = '', dow = '', year = ''] = parts;
  if ((dom === '?') === (dow === '?'))
    throw invalid(
      expression,
      'use ? in exactly one of day-of-month and day-of-week: a value or * in one of them needs ? in the other',
    );
  return {
    kind: 'cron',
    expression,
    fields: {
      minutes: parseList(expression, 'minutes', minutes, 0, 59),
      hours: parseList(expression, 'hours', hours, 0, 23),
      months: parseList(expression, 'month', month, 1, 12, MONTHS, 1),
      years: parseList(expression, 'year', year, 1970, 2199),
      ...(dom === '?' ? {} : { days: parseDayOfMonth(expression, dom) }),
      ...(dow === '?' ? {} : { weekdays: parseDayOfWeek(expression, dow) }),
    },
  };
};

/** Parses a rule's ScheduleExpression; throws `ScheduleExpressionError` as EventBridge refuses one. */
export const parseSchedule = (expression: string): Schedule => {
  const match = /^(rate|cron|at)\((.*)\)$/.exec(expression.trim());
  if (!match) throw invalid(expression, 'use rate(...) or cron(...)');
  if (match[1] === 'at') {
    const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(match[2] ?? '') ? Date.parse(`${match[2]}Z`) : Number.NaN;
    if (Number.isNaN(at)) throw invalid(expression, 'a one-time schedule is at(yyyy-mm-ddThh:mm:ss)');
    return { kind: 'at', expression, wall: at };
  }
  return match[1] === 'rate' ? parseRate(expression, match[2] ?? '') : parseCron(expression, match[2] ?? '');
};

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
/** 1 = SUN … 7 = SAT, as EventBridge counts. */
const weekdayOf = (year: number, month: number, day: number) =>
  new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
const isWeekday = (year: number, month: number, day: number) => {
  const weekday = weekdayOf(year, month, day);
  return weekday !== 1 && weekday !== 7;
};

/** The weekday nearest to `day` in its month (never crossing into another month), as `W` means. */
const nearestWeekday = (year: number, month: number, day: number): number => {
  const last = daysInMonth(year, month);
  const target = Math.min(day, last);
  if (isWeekday(year, month, target)) return target;
  const weekday = weekdayOf(year, month, target);
  if (weekday === 7) return target === 1 ? target + 2 : target - 1; // Saturday: Friday, or Monday on the 1st
  return target === last ? target - 2 : target + 1; // Sunday: Monday, or Friday at the month's end
};

const dayMatches = (fields: CronFields, year: number, month: number, day: number): boolean => {
  const last = daysInMonth(year, month);
  if (fields.days) {
    const d = fields.days;
    if (d.values.has(day)) return true;
    if (d.last && day === last) return true;
    if (d.lastWeekday && day === nearestWeekday(year, month, last)) return true;
    return d.nearestWeekday.some((target) => nearestWeekday(year, month, target) === day);
  }
  if (fields.weekdays) {
    const w = fields.weekdays;
    const weekday = weekdayOf(year, month, day);
    if (w.values.has(weekday)) return true;
    if (w.last.includes(weekday) && day + 7 > last) return true;
    return w.nth.some(({ day: target, n }) => target === weekday && Math.ceil(day / 7) === n);
  }
  return false;
};

/** The first wall time (whole minute) strictly after `after` that the cron fields match. */
const nextWallTime = (fields: CronFields, after: number): number | undefined => {
  const maxYear = Math.max(...fields.years);
  // The next whole minute after `after`.
  const t = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
  while (t.getUTCFullYear() <= maxYear) {
    const year = t.getUTCFullYear();
    const month = t.getUTCMonth() + 1;
    if (!fields.years.has(year)) {
      t.setUTCFullYear(year + 1, 0, 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!fields.months.has(month)) {
      t.setUTCMonth(month, 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!dayMatches(fields, year, month, t.getUTCDate())) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!fields.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
    } else if (!fields.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
    } else return t.getTime();
  }
  return undefined;
};

/** A DST night has at most a couple of hours of skipped or repeated minutes to step over. */
const MAX_SKIPPED_WALL_TIMES = 10_000;

/**
 * The first run strictly after `after` (ms since the epoch). A rate runs
 * every period from its start (`anchor`: the schedule's StartDate, else when
 * it was created), in absolute time whatever the zone (a day is 24 hours,
 * as EventBridge Scheduler counts it across a DST change); a cron at each
 * matching minute of the wall clock in `zone` (UTC when undefined): a wall
 * time that a spring-forward change skips does not run, one that a
 * fall-back change repeats runs once, at its first occurrence. Undefined
 * when it never runs again.
 */
export const nextRun = (schedule: Schedule, after: number, anchor = after, zone?: string): number | undefined => {
  if (schedule.kind === 'at') {
    const at = instantOf(schedule.wall, zone);
    return at > after ? at : undefined;
  }
  if (schedule.kind === 'rate') {
    const periods = Math.floor((after - anchor) / schedule.periodMs) + 1;
    return anchor + Math.max(1, periods) * schedule.periodMs;
  }
  let wall = wallTimeOf(after, zone);
  for (let step = 0; step < MAX_SKIPPED_WALL_TIMES; step++) {
    const next = nextWallTime(schedule.fields, wall);
    if (next === undefined) return undefined;
    // The first occurrence only: a repeated wall time whose first one has passed does not run again.
    const first = instantsOf(next, zone)[0];
    if (first !== undefined && first > after) return first;
    wall = next;
  }
  return undefined;
};
