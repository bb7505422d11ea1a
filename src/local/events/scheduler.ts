import { randomUUID } from 'node:crypto';
import type { CloudAssembly } from '../cloud/assembly';
import { nextRun, parseSchedule, type Schedule } from './schedule';
import { checkTargetInput, type TargetInput, TargetInputError, targetPayload } from './transform';
import { assertTimeZone, TimeZoneError } from './zone';

/**
 * Scheduled functions: the assembly's EventBridge rules with a
 * ScheduleExpression (`AWS::Events::Rule`) and EventBridge Scheduler
 * schedules (`AWS::Scheduler::Schedule`, what Gen 2's `defineFunction({
 * schedule })` synthesizes), each run on its schedule against its function
 * targets, with an injectable clock and random source; and on demand.
 * Scheduler schedules run in their `ScheduleExpressionTimezone`, between
 * their `StartDate` and `EndDate`, within their `FlexibleTimeWindow`.
 */

/** Time and timers, so that a test can drive the schedules. */
export interface Clock {
  now(): number;
  /** Runs `run` after `ms` (by this clock); `cancel` stops it. */
  setTimeout(run: () => void, ms: number): { cancel(): void };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => {
    const timer = setTimeout(run, ms);
    // A schedule does not keep the process alive on its own.
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

export interface ScheduledRule {
  logicalId: string;
  /** The rule's or schedule's name (its Name property, else its logical ID). */
  name: string;
  arn: string;
  source: 'events-rule' | 'scheduler';
  schedule: Schedule;
  enabled: boolean;
  /** The functions it invokes (logical IDs), with the constant input a target gives, if any, or how it shapes the event. */
  targets: Array<{ functionId: string; input?: unknown; transform?: TargetInput }>;
  /** The IANA zone a Scheduler schedule's cron and at() read the wall clock in; UTC when undefined. */
  zone?: string;
  /** No run before this (ms); a rate schedule's first run is at it. */
  startDate?: number;
  /** No run after this (ms). */
  endDate?: number;
  /** FLEXIBLE mode: each run at a random moment within this many ms after its scheduled time. */
  flexibleWindowMs?: number;
}

/** A schedule the local mode cannot run as the cloud would: the start stops, naming it. */
export class UnsupportedScheduleError extends Error {
  override readonly name = 'UnsupportedScheduleError';
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const parseInput = (owner: string, input: unknown): unknown => {
  if (input === undefined) return undefined;
  try {
    return JSON.parse(String(input));
  } catch {
    throw new UnsupportedScheduleError(`${owner}: its target's Input is not JSON`);
  }
};

const dateOf = (owner: string, name: string, value: unknown): number | undefined => {
  if (value === undefined) return undefined;
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) throw new UnsupportedScheduleError(`${owner}: its ${name} ${String(value)} is not a date`);
  return time;
};

/** A rule target's InputPath or InputTransformer, checked as PutTargets checks them. */
export const targetInputOf = (owner: string, target: Json): TargetInput | undefined => {
  const transformer = isRecord(target.InputTransformer) ? target.InputTransformer : undefined;
  const paths = isRecord(transformer?.InputPathsMap) ? transformer.InputPathsMap : {};
  const result: TargetInput = {
    ...(target.Input !== undefined ? { input: String(target.Input) } : {}),
    ...(target.InputPath !== undefined ? { inputPath: String(target.InputPath) } : {}),
    ...(transformer
      ? {
          inputTransformer: {
            inputPathsMap: Object.fromEntries(Object.entries(paths).map(([k, v]) => [k, String(v)])),
            inputTemplate: String(transformer.InputTemplate ?? ''),
          },
        }
      : {}),
  };
  try {
    checkTargetInput(result);
  } catch (error) {
    if (error instanceof TargetInputError) throw new UnsupportedScheduleError(`${owner}: ${error.message}`);
    throw error;
  }
  return result.inputPath !== undefined || result.inputTransformer ? result : undefined;
};

/** The scheduled rules and schedules of an assembly, whose targets must be its Lambda functions. */
export const scheduledRulesOf = (
  assembly: CloudAssembly,
  account: { region: string; accountId: string },
): ScheduledRule[] => {
  const functionIds = new Set(assembly.resources('AWS::Lambda::Function').map(({ logicalId }) => logicalId));
  // A target's ARN resolves to the function's local ARN, which ends with its logical ID (a version's too, before it).
  const functionOf = (owner: string, arn: unknown): string => {
    const parts = String(arn).split(':');
    const id = [...parts].reverse().find((part) => functionIds.has(part));
    if (!id)
      throw new UnsupportedScheduleError(
        `${owner} targets ${String(arn)}, which is not a Lambda function of this backend: the local mode runs scheduled functions only`,
      );
    return id;
  };
  const rules: ScheduledRule[] = [];
  for (const { logicalId, stack, properties } of assembly.resources('AWS::Events::Rule')) {
    const props = stack.resolve(properties);
    if (!isRecord(props) || props.ScheduleExpression === undefined) continue; // event patterns: not schedules
    const name = typeof props.Name === 'string' ? props.Name : logicalId;
    const owner = `the EventBridge rule ${logicalId}`;
    const targets = (Array.isArray(props.Targets) ? props.Targets : []).filter(isRecord).map((target) => {
      const transform = targetInputOf(owner, target);
      return {
        functionId: functionOf(owner, target.Arn),
        input: parseInput(owner, target.Input),
        ...(transform ? { transform } : {}),
      };
    });
    rules.push({
      logicalId,
      name,
      arn: `arn:aws:events:${account.region}:${account.accountId}:rule/${name}`,
      source: 'events-rule',
      schedule: parseSchedule(String(props.ScheduleExpression)),
      enabled: props.State !== 'DISABLED',
      targets,
    });
  }
  for (const { logicalId, stack, properties } of assembly.resources('AWS::Scheduler::Schedule')) {
    const props = stack.resolve(properties);
    if (!isRecord(props)) continue;
    const name = typeof props.Name === 'string' ? props.Name : logicalId;
    const owner = `the EventBridge Scheduler schedule ${logicalId}`;
    const zone = typeof props.ScheduleExpressionTimezone === 'string' ? props.ScheduleExpressionTimezone : undefined;
    try {
      if (zone !== undefined) assertTimeZone(zone);
    } catch (error) {
      if (error instanceof TimeZoneError) throw new UnsupportedScheduleError(`${owner}: ${error.message}`);
      throw error;
    }
    const startDate = dateOf(owner, 'StartDate', props.StartDate);
    const endDate = dateOf(owner, 'EndDate', props.EndDate);
    if (startDate !== undefined && endDate !== undefined && endDate <= startDate)
      throw new UnsupportedScheduleError(`${owner}: its EndDate must be after its StartDate`);
    const window = isRecord(props.FlexibleTimeWindow) ? props.FlexibleTimeWindow : {};
    let flexibleWindowMs: number | undefined;
    if (window.Mode === 'FLEXIBLE') {
      const minutes = Number(window.MaximumWindowInMinutes);
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440)
        throw new UnsupportedScheduleError(`${owner}: a FLEXIBLE window needs MaximumWindowInMinutes of 1 to 1440`);
      flexibleWindowMs = minutes * 60_000;
    }
    const target = isRecord(props.Target) ? props.Target : {};
    const group = typeof props.GroupName === 'string' ? props.GroupName : 'default';
    rules.push({
      logicalId,
      name,
      arn: `arn:aws:scheduler:${account.region}:${account.accountId}:schedule/${group}/${name}`,
      source: 'scheduler',
      schedule: parseSchedule(String(props.ScheduleExpression)),
      enabled: props.State !== 'DISABLED',
      targets: [{ functionId: functionOf(owner, target.Arn), input: parseInput(owner, target.Input) }],
      ...(zone !== undefined && zone !== 'UTC' ? { zone } : {}),
      ...(startDate !== undefined ? { startDate } : {}),
      ...(endDate !== undefined ? { endDate } : {}),
      ...(flexibleWindowMs !== undefined ? { flexibleWindowMs } : {}),
    });
  }
  return rules;
};

/**
 * The event a target gets: its constant input if it has one; else, from an
 * EventBridge rule, the scheduled event, and from EventBridge Scheduler
 * (which sends no event of its own to a templated Lambda target), `{}`.
 */
export const scheduledEvent = (
  rule: ScheduledRule,
  target: ScheduledRule['targets'][number],
  time: number,
  account: { region: string; accountId: string },
): unknown => {
  if (target.input !== undefined) return target.input;
  if (rule.source === 'scheduler') return {};
  const event = {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: account.accountId,
    // EventBridge gives the scheduled time, to the second.
    time: new Date(Math.floor(time / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    region: account.region,
    resources: [rule.arn],
    detail: {},
  };
  return target.transform
    ? targetPayload(target.transform, event, { ruleArn: rule.arn, ruleName: rule.name, ingestionTime: time })
    : event;
};

/** Node's timers take at most about 24.8 days; a later run is waited for in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export interface SchedulerOptions {
  clock?: Clock;
  /** In [0, 1): where in a flexible window each run falls; default Math.random. */
  random?: () => number;
  account: { region: string; accountId: string };
  /** Invokes a target, as EventBridge does: asynchronously (the scheduler does not wait). */
  dispatch(rule: ScheduledRule, functionId: string, event: unknown): void;
}

/** Runs each enabled rule on its schedule until stopped. */
export class Scheduler {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly timers = new Map<string, { cancel(): void }>();
  /** Runs waiting within their flexible window. */
  private readonly pending = new Set<{ cancel(): void }>();
  /** When each rule started (a rate counts from there), by logical ID and expression. */
  private readonly anchors = new Map<string, number>();
  private rules: ScheduledRule[] = [];

  constructor(private readonly options: SchedulerOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
  }

  /** Runs these rules from now on; a rule kept with the same expression keeps its cadence. */
  update(rules: ScheduledRule[]): void {
    this.stop();
    const kept = new Map<string, number>();
    const now = this.clock.now();
    for (const rule of rules) {
      const key = `${rule.logicalId} ${rule.schedule.expression}`;
      kept.set(key, this.anchors.get(key) ?? now);
    }
    this.anchors.clear();
    for (const [key, anchor] of kept) this.anchors.set(key, anchor);
    this.rules = rules;
    for (const rule of rules) if (rule.enabled) this.arm(rule, now);
  }

  list(): readonly ScheduledRule[] {
    return this.rules;
  }

  /** Finds a rule by its name, logical ID or ARN. */
  find(name: string): ScheduledRule | undefined {
    return this.rules.find((rule) => rule.name === name || rule.logicalId === name || rule.arn === name);
  }

  /** The next scheduled time after `after`, within the rule's start and end dates. */
  private dueAfter(rule: ScheduledRule, after: number): number | undefined {
    const { startDate, endDate } = rule;
    let due: number | undefined;
    if (startDate !== undefined && after < startDate)
      // A rate's first run is its StartDate; a cron's, the first match from it on.
      due = rule.schedule.kind === 'rate' ? startDate : nextRun(rule.schedule, startDate - 1, startDate, rule.zone);
    else {
      const anchor = startDate ?? this.anchors.get(`${rule.logicalId} ${rule.schedule.expression}`) ?? after;
      due = nextRun(rule.schedule, after, anchor, rule.zone);
    }
    return due !== undefined && (endDate === undefined || due <= endDate) ? due : undefined;
  }

  private arm(rule: ScheduledRule, after: number): void {
    const due = this.dueAfter(rule, after);
    if (due === undefined) return;
    const wait = due - this.clock.now();
    const timer = this.clock.setTimeout(
      () => {
        if (wait > MAX_DELAY_MS) {
          this.arm(rule, after);
          return;
        }
        this.deliver(rule, due);
        this.arm(rule, due);
      },
      Math.max(0, Math.min(wait, MAX_DELAY_MS)),
    );
    this.timers.set(rule.logicalId, timer);
  }

  /** Fires at the scheduled time, or at a random moment of its flexible window (the next time is still counted from it). */
  private deliver(rule: ScheduledRule, due: number): void {
    const window = rule.flexibleWindowMs ?? 0;
    if (window <= 0) {
      this.fire(rule, due);
      return;
    }
    const delay = Math.floor(Math.min(Math.max(this.random(), 0), 0.999_999) * window);
    const timer = this.clock.setTimeout(() => {
      this.pending.delete(timer);
      this.fire(rule, due);
    }, delay);
    this.pending.add(timer);
  }

  private fire(rule: ScheduledRule, time: number): void {
    for (const target of rule.targets)
      this.options.dispatch(rule, target.functionId, scheduledEvent(rule, target, time, this.options.account));
  }

  stop(): void {
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
    for (const timer of this.pending) timer.cancel();
    this.pending.clear();
  }
}
