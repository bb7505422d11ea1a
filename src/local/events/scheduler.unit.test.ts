import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock';
import { parseSchedule } from './schedule';
import { type ScheduledRule, Scheduler } from './scheduler';

const ACCOUNT = { region: 'us-east-1', accountId: '000000000000' };
const START = Date.parse('2026-12-01T12:00:00Z');

const rule = (overrides: Partial<ScheduledRule> & { expression: string }): ScheduledRule => ({
  logicalId: 'everyMinute',
  name: 'every-minute',
  arn: 'arn:aws:events:us-east-1:000000000000:rule/every-minute',
  source: 'events-rule',
  enabled: true,
  targets: [{ functionId: 'fnA' }],
  schedule: parseSchedule(overrides.expression),
  ...overrides,
});

/** A small seeded generator (mulberry32), so that flexible windows are reproducible. */
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const harness = (random?: () => number) => {
  const clock = new ManualClock(START);
  const runs: Array<{ rule: string; functionId: string; event: unknown; at: string }> = [];
  const scheduler = new Scheduler({
    clock,
    ...(random ? { random } : {}),
    account: ACCOUNT,
    dispatch: (r, functionId, event) =>
      runs.push({ rule: r.name, functionId, event, at: new Date(clock.now()).toISOString() }),
  });
  return { clock, runs, scheduler };
};

describe('the scheduler', () => {
  it("runs a rate rule every period with EventBridge's scheduled event", () => {
    // Prepare
    const { clock, runs, scheduler } = harness();
    scheduler.update([rule({ expression: 'rate(1 minute)' })]);
    // Act
    clock.advance(3 * 60_000 + 30_000);
    // Assess
    expect(runs.map((r) => r.at)).toEqual([
      '2026-12-01T12:01:00.000Z',
      '2026-12-01T12:02:00.000Z',
      '2026-12-01T12:03:00.000Z',
    ]);
    expect(runs[0]?.event).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: '2026-12-01T12:01:00Z',
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:000000000000:rule/every-minute'],
      detail: {},
    });
  });

  it("gives a target's constant input, and EventBridge Scheduler's targets {} without one", () => {
    // Prepare
    const { clock, runs, scheduler } = harness();
    scheduler.update([
      rule({ expression: 'cron(*/5 * * * ? *)', targets: [{ functionId: 'fnA', input: { job: 'report' } }] }),
      rule({ logicalId: 'gen2', name: 'gen2', source: 'scheduler', expression: 'cron(*/5 * * * ? *)' }),
    ]);
    // Act
    clock.advance(5 * 60_000);
    // Assess
    expect(runs.map((r) => [r.rule, r.event, r.at])).toEqual([
      ['every-minute', { job: 'report' }, '2026-12-01T12:05:00.000Z'],
      ['gen2', {}, '2026-12-01T12:05:00.000Z'],
    ]);
  });

  it('does not run a disabled rule, nor any rule once stopped', () => {
    // Prepare
    const { clock, runs, scheduler } = harness();
    scheduler.update([
      rule({ expression: 'rate(1 minute)', enabled: false }),
      rule({ logicalId: 'b', name: 'b', expression: 'rate(1 minute)' }),
    ]);
    clock.advance(60_000);
    // Act
    scheduler.stop();
    clock.advance(10 * 60_000);
    // Assess
    expect(runs.map((r) => r.rule)).toEqual(['b']);
  });

  it('keeps the cadence of a rule an update keeps, and starts a changed one afresh', () => {
    // Prepare
    const { clock, runs, scheduler } = harness();
    scheduler.update([rule({ expression: 'rate(2 minutes)' })]);
    clock.advance(90_000);
    // Act
    scheduler.update([
      rule({ expression: 'rate(2 minutes)' }),
      rule({ logicalId: 'n', name: 'n', expression: 'rate(2 minutes)' }),
    ]);
    clock.advance(120_000);
    // Assess: the kept rule still runs at 12:02; the new one counts from 12:01:30.
    expect(runs.map((r) => [r.rule, r.at])).toEqual([
      ['every-minute', '2026-12-01T12:02:00.000Z'],
      ['n', '2026-12-01T12:03:30.000Z'],
    ]);
  });

  it('finds a rule by name, logical ID or ARN', () => {
    // Prepare
    const { scheduler } = harness();
    scheduler.update([rule({ expression: 'rate(1 minute)' })]);
    // Act
    const found = ['every-minute', 'everyMinute', 'arn:aws:events:us-east-1:000000000000:rule/every-minute', 'x'].map(
      (name) => scheduler.find(name)?.logicalId,
    );
    // Assess
    expect(found).toEqual(['everyMinute', 'everyMinute', 'everyMinute', undefined]);
  });

  it('runs a rate schedule first at its StartDate and never after its EndDate', () => {
    // Prepare
    const { clock, runs, scheduler } = harness();
    scheduler.update([
      rule({
        source: 'scheduler',
        expression: 'rate(10 minutes)',
        startDate: Date.parse('2026-12-01T12:25:00Z'),
        endDate: Date.parse('2026-12-01T12:45:00Z'),
      }),
    ]);
    // Act
    clock.advance(2 * 3_600_000);
    // Assess
    expect(runs.map((r) => r.at)).toEqual([
      '2026-12-01T12:25:00.000Z',
      '2026-12-01T12:35:00.000Z',
      '2026-12-01T12:45:00.000Z',
    ]);
  });

  it('runs a cron schedule only from its StartDate on', () => {
    // Prepare
    const { clock, runs, scheduler } = harness();
    scheduler.update([
      rule({ source: 'scheduler', expression: 'cron(0 * * * ? *)', startDate: Date.parse('2026-12-01T14:30:00Z') }),
    ]);
    // Act
    clock.advance(4 * 3_600_000);
    // Assess
    expect(runs.map((r) => r.at)).toEqual(['2026-12-01T15:00:00.000Z', '2026-12-01T16:00:00.000Z']);
  });

  it('runs a cron schedule in its time zone', () => {
    // Prepare: 13:00 in New York is 18:00 UTC in December.
    const { clock, runs, scheduler } = harness();
    scheduler.update([rule({ source: 'scheduler', expression: 'cron(0 13 * * ? *)', zone: 'America/New_York' })]);
    // Act
    clock.advance(24 * 3_600_000);
    // Assess
    expect(runs.map((r) => r.at)).toEqual(['2026-12-01T18:00:00.000Z']);
  });

  it('runs each time at a random moment of its flexible window, and counts the next time from the scheduled one', () => {
    // Prepare
    const window = 10 * 60_000;
    const expected = (() => {
      const random = seeded(7);
      return [1, 2, 3].map((hour) => START + hour * 3_600_000 + Math.floor(random() * window));
    })();
    const { clock, runs, scheduler } = harness(seeded(7));
    scheduler.update([rule({ source: 'scheduler', expression: 'cron(0 * * * ? *)', flexibleWindowMs: window })]);
    // Act
    clock.advance(3 * 3_600_000 + window);
    // Assess
    const times = runs.map((r) => Date.parse(r.at));
    expect(times).toEqual(expected);
    for (const [i, time] of times.entries()) {
      const scheduled = START + (i + 1) * 3_600_000;
      expect(time).toBeGreaterThanOrEqual(scheduled);
      expect(time).toBeLessThan(scheduled + window);
    }
    // Not all at the start of their window: the random source decides.
    expect(new Set(times.map((t, i) => t - (START + (i + 1) * 3_600_000))).size).toBeGreaterThan(1);
  });

  it("shapes a scheduled rule's event with the target's InputTransformer", () => {
    // Prepare
    const { clock, runs, scheduler } = harness();
    scheduler.update([
      rule({
        expression: 'rate(1 minute)',
        targets: [
          {
            functionId: 'fnA',
            transform: {
              inputTransformer: {
                inputPathsMap: { at: '$.time', kind: '$.detail-type' },
                inputTemplate: '{"when": <at>, "what": "<kind> from <aws.events.rule-name>"}',
              },
            },
          },
        ],
      }),
    ]);
    // Act
    clock.advance(60_000);
    // Assess
    expect(runs[0]?.event).toEqual({ when: '2026-12-01T12:01:00Z', what: 'Scheduled Event from every-minute' });
  });
});
