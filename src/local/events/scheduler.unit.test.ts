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

const harness = () => {
  const clock = new ManualClock(START);
  const runs: Array<{ rule: string; functionId: string; event: unknown; at: string }> = [];
  const scheduler = new Scheduler({
    clock,
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
});
