/**
 * Wall-clock time in an IANA time zone, from the platform's time-zone data
 * (`Intl.DateTimeFormat`): a "wall" time is the local date and time written
 * as if it were UTC milliseconds, so the cron arithmetic stays in UTC fields.
 */

/** A time zone the platform does not know (EventBridge Scheduler's ValidationException). */
export class TimeZoneError extends Error {
  override readonly name = 'TimeZoneError';
}

const formatters = new Map<string, Intl.DateTimeFormat>();

const formatterOf = (zone: string): Intl.DateTimeFormat => {
  let formatter = formatters.get(zone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new TimeZoneError(`Invalid ScheduleExpressionTimezone: ${zone} is not an IANA time zone.`);
    }
    formatters.set(zone, formatter);
  }
  return formatter;
};

/** Checks that a zone name is known; throws `TimeZoneError` otherwise. */
export const assertTimeZone = (zone: string): void => {
  formatterOf(zone);
};

const isUtc = (zone: string | undefined) => zone === undefined || zone === 'UTC' || zone === 'Etc/UTC';

/** The wall time in `zone` at the instant `t`. */
export const wallTimeOf = (t: number, zone?: string): number => {
  if (isUtc(zone) || zone === undefined) return t;
  const parts: Record<string, number> = {};
  for (const part of formatterOf(zone).formatToParts(new Date(t))) parts[part.type] = Number(part.value);
  const wall = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  // Intl has no milliseconds here; keep the instant's.
  return wall + (((t % 1000) + 1000) % 1000);
};

const HOURS_12 = 12 * 3_600_000;

/**
 * The instants at which the wall clock in `zone` shows `wall`, earliest
 * first: none in a spring-forward gap, two in a fall-back overlap.
 */
export const instantsOf = (wall: number, zone?: string): number[] => {
  if (isUtc(zone)) return [wall];
  // A zone's offset changes at most once within a day around any time; the offsets 12 h either side cover both.
  const offsets = new Set([
    wallTimeOf(wall - HOURS_12, zone) - (wall - HOURS_12),
    wallTimeOf(wall + HOURS_12, zone) - (wall + HOURS_12),
  ]);
  return [...offsets]
    .map((offset) => wall - offset)
    .filter((t) => wallTimeOf(t, zone) === wall)
    .sort((a, b) => a - b);
};

/**
 * The instant of a wall time as a one-time schedule reads it: the earlier
 * one in an overlap; in a gap, the wall time read with the offset before it
 * (so 02:30 on a spring-forward night is 03:30 local).
 */
export const instantOf = (wall: number, zone?: string): number => {
  const [first] = instantsOf(wall, zone);
  if (first !== undefined) return first;
  return wall - (wallTimeOf(wall - HOURS_12, zone) - (wall - HOURS_12));
};
