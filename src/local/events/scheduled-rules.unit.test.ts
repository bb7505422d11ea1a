import { describe, expect, it } from 'vitest';
import { unsupportedFeaturesOf } from '../settings/support';
import { rootAssemblies } from '../settings/test-assembly';
import { scheduledRulesOf, UnsupportedScheduleError } from './scheduler';

const ACCOUNT = { region: 'us-east-1', accountId: '000000000000' };
const fn = {
  Type: 'AWS::Lambda::Function',
  Properties: {
    Runtime: 'nodejs24.x',
    Handler: 'index.handler',
    Environment: { Variables: { AMPLIFY_SSM_ENV_CONFIG: '{}' } },
  },
};
/** As Gen 2's `defineFunction({ schedule: 'every 5m' })` synthesizes it. */
const gen2Schedule = (extra: Record<string, unknown> = {}) => ({
  Type: 'AWS::Scheduler::Schedule',
  Properties: {
    ScheduleExpression: 'cron(*/5 * * * ? *)',
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    State: 'ENABLED',
    Target: { Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] }, RoleArn: 'arn:aws:iam::000000000000:role/r' },
    ...extra,
  },
});

describe('the scheduled rules of an assembly', () => {
  const assemblyOf = rootAssemblies();

  it("reads Gen 2's Scheduler schedule and an EventBridge rule with a constant input, and runs their functions", () => {
    // Prepare
    const assembly = assemblyOf({
      Fn: fn,
      Schedule: gen2Schedule(),
      Rule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          Name: 'hourly',
          ScheduleExpression: 'rate(1 hour)',
          Targets: [{ Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] }, Id: 'T', Input: '{"job":"x"}' }],
        },
      },
    });
    // Act
    const rules = scheduledRulesOf(assembly, ACCOUNT);
    // Assess
    expect(rules).toMatchObject([
      {
        name: 'hourly',
        source: 'events-rule',
        arn: 'arn:aws:events:us-east-1:000000000000:rule/hourly',
        targets: [{ functionId: 'Fn', input: { job: 'x' } }],
      },
      { logicalId: 'Schedule', source: 'scheduler', enabled: true, targets: [{ functionId: 'Fn' }] },
    ]);
    // A function only a schedule invokes is run, not refused as one with no local trigger.
    expect(unsupportedFeaturesOf(assembly)).toEqual([]);
  });

  it('reads a time zone, start and end dates, a flexible window and a disabled state', () => {
    // Prepare
    const assembly = assemblyOf({
      Fn: fn,
      Schedule: gen2Schedule({
        ScheduleExpressionTimezone: 'Europe/Berlin',
        StartDate: '2027-01-01T00:00:00Z',
        EndDate: '2027-02-01T00:00:00Z',
        FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
        State: 'DISABLED',
      }),
    });
    // Act
    const [schedule] = scheduledRulesOf(assembly, ACCOUNT);
    // Assess
    expect(schedule).toMatchObject({
      zone: 'Europe/Berlin',
      startDate: Date.parse('2027-01-01T00:00:00Z'),
      endDate: Date.parse('2027-02-01T00:00:00Z'),
      flexibleWindowMs: 15 * 60_000,
      enabled: false,
    });
  });

  it('refuses an unknown time zone, a bad flexible window and a bad input transformer; reads a good one', () => {
    // Prepare
    const zoned = assemblyOf({ Fn: fn, Schedule: gen2Schedule({ ScheduleExpressionTimezone: 'Europe/Atlantis' }) });
    const flexible = assemblyOf({ Fn: fn, Schedule: gen2Schedule({ FlexibleTimeWindow: { Mode: 'FLEXIBLE' } }) });
    const ruleWith = (target: Record<string, unknown>) =>
      assemblyOf({
        Fn: fn,
        Rule: {
          Type: 'AWS::Events::Rule',
          Properties: {
            ScheduleExpression: 'rate(1 hour)',
            Targets: [{ Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] }, Id: 'T', ...target }],
          },
        },
      });
    const badPath = ruleWith({ InputTransformer: { InputPathsMap: { t: 'time' }, InputTemplate: '<t>' } });
    const good = ruleWith({ InputPath: '$.detail' });
    // Act / Assess
    expect(() => scheduledRulesOf(zoned, ACCOUNT)).toThrow(UnsupportedScheduleError);
    expect(() => scheduledRulesOf(zoned, ACCOUNT)).toThrow(/Europe\/Atlantis is not an IANA time zone/);
    expect(() => scheduledRulesOf(flexible, ACCOUNT)).toThrow(/MaximumWindowInMinutes/);
    expect(() => scheduledRulesOf(badPath, ACCOUNT)).toThrow(/not a valid JSONPath/);
    expect(scheduledRulesOf(good, ACCOUNT)[0]?.targets[0]?.transform).toEqual({ inputPath: '$.detail' });
  });

  it('leaves a rule with an event pattern to the local EventBridge', () => {
    // Prepare
    const pattern = assemblyOf({
      Fn: fn,
      Rule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          EventPattern: { source: ['shop'] },
          Targets: [{ Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] }, Id: 'T' }],
        },
      },
    });
    // Act / Assess
    expect(scheduledRulesOf(pattern, ACCOUNT)).toEqual([]);
    expect(unsupportedFeaturesOf(pattern)).toEqual([]);
  });
});
