import { afterEach, describe, expect, it } from 'vitest';
import { unsupportedFeaturesOf } from '../settings/support';
import { syntheticAssembly } from '../settings/test-assembly';
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
  const cleanups: Array<() => void> = [];
  const assemblyOf = (resources: Record<string, unknown>) => {
    const { assembly, remove } = syntheticAssembly({ Resources: resources });
    cleanups.push(remove);
    return assembly;
  };
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

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

  it('refuses a time zone other than UTC, an input transformer, and a rule with an event pattern', () => {
    // Prepare
    const zoned = assemblyOf({ Fn: fn, Schedule: gen2Schedule({ ScheduleExpressionTimezone: 'Europe/Paris' }) });
    const transformed = assemblyOf({
      Fn: fn,
      Rule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          ScheduleExpression: 'rate(1 hour)',
          Targets: [{ Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] }, Id: 'T', InputTransformer: {} }],
        },
      },
    });
    const pattern = assemblyOf({
      Rule: { Type: 'AWS::Events::Rule', Properties: { EventPattern: { source: ['aws.s3'] } } },
    });
    // Act / Assess
    expect(() => scheduledRulesOf(zoned, ACCOUNT)).toThrow(UnsupportedScheduleError);
    expect(() => scheduledRulesOf(zoned, ACCOUNT)).toThrow(/Europe\/Paris is not supported locally/);
    expect(() => scheduledRulesOf(transformed, ACCOUNT)).toThrow(/InputTransformer are not supported locally/);
    expect(unsupportedFeaturesOf(pattern)).toEqual([
      expect.objectContaining({ feature: 'an EventBridge rule with an event pattern' }),
    ]);
  });
});
