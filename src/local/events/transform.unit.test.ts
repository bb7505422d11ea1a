import { describe, expect, it } from 'vitest';
import { checkTargetInput, TargetInputError, targetPayload } from './transform';

const event = {
  version: '0',
  id: 'e-1',
  'detail-type': 'Instance State Change',
  source: 'my.fleet',
  time: '2026-12-01T12:00:00Z',
  detail: { instance: 'i-42', state: 'stopped', size: 3, tags: ['a', 'b'], owner: { name: 'Ann' } },
};
const rule = { ruleArn: 'arn:aws:events:us-east-1:000000000000:rule/fleet', ruleName: 'fleet', ingestionTime: 0 };

describe('what a target receives', () => {
  it('is the whole event without input settings, the constant Input, or the part InputPath selects', () => {
    expect(targetPayload({}, event, rule)).toBe(event);
    expect(targetPayload({ input: '{"fixed": true}' }, event, rule)).toEqual({ fixed: true });
    expect(targetPayload({ inputPath: '$.detail.owner' }, event, rule)).toEqual({ name: 'Ann' });
    expect(targetPayload({ inputPath: '$.detail.tags[1]' }, event, rule)).toBe('b');
    expect(targetPayload({ inputPath: '$.detail.missing' }, event, rule)).toBeNull();
  });

  it('fills a JSON template: a string inside quotes is its text, outside them its JSON; any value keeps its type', () => {
    const payload = targetPayload(
      {
        inputTransformer: {
          inputPathsMap: {
            id: '$.detail.instance',
            state: '$.detail.state',
            size: '$.detail.size',
            tags: '$.detail.tags',
          },
          inputTemplate:
            '{"text": "<id> is <state>", "id": <id>, "size": <size>, "tags": <tags>, "rule": "<aws.events.rule-arn>"}',
        },
      },
      event,
      rule,
    );
    expect(payload).toEqual({ text: 'i-42 is stopped', id: 'i-42', size: 3, tags: ['a', 'b'], rule: rule.ruleArn });
  });

  it('gives a plain-text template as a string, and the whole event through <aws.events.event>', () => {
    expect(
      targetPayload(
        { inputTransformer: { inputPathsMap: { id: '$.detail.instance' }, inputTemplate: '"Instance <id> changed"' } },
        event,
        rule,
      ),
    ).toBe('Instance i-42 changed');
    expect(
      targetPayload(
        { inputTransformer: { inputPathsMap: {}, inputTemplate: '{"original": <aws.events.event>}' } },
        event,
        rule,
      ),
    ).toEqual({ original: event });
  });

  it('refuses what PutTargets refuses: two input settings, an Input that is not JSON, a path without $, a reserved name', () => {
    expect(() => checkTargetInput({ input: '{}', inputPath: '$' })).toThrow(TargetInputError);
    expect(() => checkTargetInput({ input: 'nope' })).toThrow(/not valid JSON/);
    expect(() => checkTargetInput({ inputPath: 'detail' })).toThrow(/must start with \$/);
    expect(() =>
      checkTargetInput({ inputTransformer: { inputPathsMap: { 'aws.mine': '$.id' }, inputTemplate: '<aws.mine>' } }),
    ).toThrow(/reserved/);
  });
});
