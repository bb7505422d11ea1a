import { describe, expect, it } from 'vitest';
import { rootAssemblies } from '../settings/test-assembly';
import { eventBusesOf, UnsupportedEventRuleError } from './buses';
import { matchesPattern } from './pattern';

const ACCOUNT = { region: 'us-east-1', accountId: '000000000000' };
const fn = { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs22.x', Handler: 'index.handler' } };

describe('the buses and event-pattern rules of an assembly', () => {
  const assemblyOf = rootAssemblies();

  it('reads a custom bus and a rule on it (as CDK synthesizes them), with its target settings', () => {
    // Prepare
    const assembly = assemblyOf({
      Fn: fn,
      Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'orders' } },
      Rule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          EventBusName: { Ref: 'Bus' },
          EventPattern: { source: ['shop'], 'detail-type': ['Order Placed'] },
          State: 'ENABLED',
          Targets: [
            {
              Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] },
              Id: 'Target0',
              InputPath: '$.detail',
              RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 120 },
              DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:000000000000:dlq' },
            },
          ],
        },
      },
    });
    // Act
    const { buses, rules } = eventBusesOf(assembly, ACCOUNT);
    // Assess
    expect([...buses]).toEqual(['default', 'orders']);
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      logicalId: 'Rule',
      bus: 'orders',
      arn: 'arn:aws:events:us-east-1:000000000000:rule/orders/Rule',
      enabled: true,
      targets: [
        {
          id: 'Target0',
          functionId: 'Fn',
          transform: { inputPath: '$.detail' },
          maximumRetryAttempts: 2,
          maximumEventAgeMs: 120_000,
          deadLetterArn: 'arn:aws:sqs:us-east-1:000000000000:dlq',
        },
      ],
    });
    const [rule] = rules;
    expect(rule && matchesPattern(rule.pattern, { source: 'shop', 'detail-type': 'Order Placed' })).toBe(true);
  });

  it('refuses a rule on a bus the template does not create, a target that is not a function, and a bad pattern', () => {
    const rule = (props: Record<string, unknown>) =>
      assemblyOf({ Fn: fn, Rule: { Type: 'AWS::Events::Rule', Properties: props } });
    const target = [{ Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] }, Id: 'T' }];
    expect(() =>
      eventBusesOf(rule({ EventBusName: 'nowhere', EventPattern: { source: ['a'] }, Targets: target }), ACCOUNT),
    ).toThrow(/event bus nowhere/);
    expect(() =>
      eventBusesOf(
        rule({ EventPattern: { source: ['a'] }, Targets: [{ Arn: 'arn:aws:sqs:us-east-1:000000000000:q', Id: 'Q' }] }),
        ACCOUNT,
      ),
    ).toThrow(UnsupportedEventRuleError);
    expect(() => eventBusesOf(rule({ EventPattern: { source: 'a' }, Targets: target }), ACCOUNT)).toThrow(
      /Event pattern is not valid/,
    );
  });
});
