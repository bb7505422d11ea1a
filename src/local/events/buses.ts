import type { CloudAssembly } from '../cloud/assembly';
import { type EventPattern, EventPatternError, parseEventPattern } from './pattern';
import { targetInputOf, UnsupportedScheduleError } from './scheduler';
import type { TargetInput } from './transform';

/**
 * The event buses and event-pattern rules of an assembly: the default bus,
 * every `AWS::Events::EventBus`, and each `AWS::Events::Rule` with an
 * `EventPattern`, whose targets must be the backend's Lambda functions.
 */

export interface RuleTarget {
  id: string;
  functionId: string;
  transform: TargetInput;
  /**
   * RetryPolicy: how long and how often EventBridge retries a delivery that
   * Lambda refuses (throttling, a missing permission), which cannot happen
   * locally; a function's own error is retried by Lambda's asynchronous
   * invocation (twice), then dead-lettered, as the backend's `invokeAsync` does.
   */
  maximumRetryAttempts: number;
  maximumEventAgeMs: number;
  /** DeadLetterConfig's queue ARN, where undeliverable events would go. */
  deadLetterArn?: string;
}

export interface EventRule {
  logicalId: string;
  name: string;
  arn: string;
  bus: string;
  pattern: EventPattern;
  enabled: boolean;
  targets: RuleTarget[];
}

export interface EventBuses {
  /** Bus names; `default` always. */
  buses: Set<string>;
  rules: EventRule[];
}

/** A bus or rule the local EventBridge cannot run as the cloud would: the start stops, naming it. */
export class UnsupportedEventRuleError extends Error {
  override readonly name = 'UnsupportedEventRuleError';
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A bus named by its name or ARN. */
export const busNameOf = (value: unknown): string => {
  if (value === undefined || value === null || value === '') return 'default';
  const text = String(value);
  const arn = /^arn:aws:events:[^:]*:[^:]*:event-bus\/(.+)$/.exec(text);
  return arn?.[1] ?? text;
};

const DEFAULT_RETRY_ATTEMPTS = 185;
const DEFAULT_EVENT_AGE_S = 86_400;

export const eventBusesOf = (assembly: CloudAssembly, account: { region: string; accountId: string }): EventBuses => {
  const buses = new Set(['default']);
  for (const { logicalId, stack, properties } of assembly.resources('AWS::Events::EventBus')) {
    const name = stack.resolve(properties.Name);
    buses.add(typeof name === 'string' ? name : logicalId);
  }
  const functionIds = new Set(assembly.resources('AWS::Lambda::Function').map(({ logicalId }) => logicalId));
  const rules: EventRule[] = [];
  for (const { logicalId, stack, properties } of assembly.resources('AWS::Events::Rule')) {
    const props = stack.resolve(properties);
    if (!isRecord(props) || props.EventPattern === undefined) continue; // schedules: the scheduler's
    const owner = `the EventBridge rule ${logicalId}`;
    const bus = busNameOf(props.EventBusName);
    if (!buses.has(bus))
      throw new UnsupportedEventRuleError(`${owner} is on the event bus ${bus}, which the template does not create`);
    const name = typeof props.Name === 'string' ? props.Name : logicalId;
    let pattern: EventPattern;
    try {
      pattern = parseEventPattern(
        typeof props.EventPattern === 'string' ? props.EventPattern : JSON.stringify(props.EventPattern),
      );
    } catch (error) {
      if (error instanceof EventPatternError) throw new UnsupportedEventRuleError(`${owner}: ${error.message}`);
      throw error;
    }
    const targets = (Array.isArray(props.Targets) ? props.Targets : []).filter(isRecord).map((target): RuleTarget => {
      const arn = String(target.Arn);
      const id = [...arn.split(':')].reverse().find((part) => functionIds.has(part));
      if (!id)
        throw new UnsupportedEventRuleError(
          `${owner} targets ${arn}, which is not a Lambda function of this backend: the local EventBridge delivers to functions only`,
        );
      let transform: TargetInput;
      try {
        transform = targetInputOf(owner, target) ?? (target.Input !== undefined ? { input: String(target.Input) } : {});
      } catch (error) {
        if (error instanceof UnsupportedScheduleError) throw new UnsupportedEventRuleError(error.message);
        throw error;
      }
      const retry = isRecord(target.RetryPolicy) ? target.RetryPolicy : {};
      const deadLetter = isRecord(target.DeadLetterConfig) ? target.DeadLetterConfig.Arn : undefined;
      return {
        id: String(target.Id ?? id),
        functionId: id,
        transform,
        maximumRetryAttempts: Number(retry.MaximumRetryAttempts ?? DEFAULT_RETRY_ATTEMPTS),
        maximumEventAgeMs: Number(retry.MaximumEventAgeInSeconds ?? DEFAULT_EVENT_AGE_S) * 1000,
        ...(typeof deadLetter === 'string' ? { deadLetterArn: deadLetter } : {}),
      };
    });
    rules.push({
      logicalId,
      name,
      arn: `arn:aws:events:${account.region}:${account.accountId}:rule/${bus === 'default' ? '' : `${bus}/`}${name}`,
      bus,
      pattern,
      enabled: props.State !== 'DISABLED',
      targets,
    });
  }
  return { buses, rules };
};
