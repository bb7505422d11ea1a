/**
 * What a rule's target receives, as EventBridge builds it from the matched
 * event: the whole event, a constant `Input`, the part an `InputPath`
 * selects, or an `InputTransformer`'s template filled from its paths.
 */

export interface TargetInput {
  /** The constant JSON text of `Input`. */
  input?: string;
  inputPath?: string;
  inputTransformer?: { inputPathsMap: Record<string, string>; inputTemplate: string };
}

/** A target whose input settings EventBridge would refuse (PutTargets' ValidationException). */
export class TargetInputError extends Error {
  override readonly name = 'TargetInputError';
}

type Segment = string | number;
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** EventBridge's JSONPath subset: `$`, `.name`, `['name']`, `[n]`. */
export const parseJsonPath = (path: string): Segment[] => {
  if (!path.startsWith('$')) throw new TargetInputError(`${path} is not a valid JSONPath: it must start with $`);
  const segments: Segment[] = [];
  const pattern = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/y;
  pattern.lastIndex = 1;
  while (pattern.lastIndex < path.length) {
    const at = pattern.lastIndex;
    const match = pattern.exec(path);
    if (!match) throw new TargetInputError(`${path} is not a valid JSONPath (at character ${at + 1})`);
    segments.push(match[2] !== undefined ? Number(match[2]) : (match[1] ?? match[3] ?? match[4] ?? ''));
  }
  return segments;
};

const select = (value: unknown, segments: Segment[]): unknown => {
  let current = value;
  for (const segment of segments) {
    if (typeof segment === 'number') current = Array.isArray(current) ? current[segment] : undefined;
    else current = isRecord(current) ? current[segment] : undefined;
    if (current === undefined) return undefined;
  }
  return current;
};

/** The value at a JSONPath of `value`, or undefined. */
export const selectPath = (value: unknown, path: string): unknown => select(value, parseJsonPath(path));

/** Checks a target's settings as PutTargets would. */
export const checkTargetInput = (target: TargetInput): void => {
  const set = [target.input, target.inputPath, target.inputTransformer].filter((v) => v !== undefined).length;
  if (set > 1) throw new TargetInputError('a target takes only one of Input, InputPath and InputTransformer');
  if (target.input !== undefined)
    try {
      JSON.parse(target.input);
    } catch {
      throw new TargetInputError('its Input is not valid JSON');
    }
  if (target.inputPath !== undefined) parseJsonPath(target.inputPath);
  if (target.inputTransformer) {
    const names = Object.keys(target.inputTransformer.inputPathsMap);
    if (names.length > 100) throw new TargetInputError('an InputPathsMap takes at most 100 paths');
    for (const name of names) {
      if (name.startsWith('aws.'))
        throw new TargetInputError(`the InputPathsMap key ${name} is reserved (aws. names are predefined)`);
      parseJsonPath(target.inputTransformer.inputPathsMap[name] ?? '');
    }
  }
};

/** The JSON text of a value as it goes into the template: inside quotes a string's characters, else its JSON. */
const placeholderText = (value: unknown, quoted: boolean): string => {
  if (value === undefined) return quoted ? '' : 'null';
  if (quoted)
    return typeof value === 'string'
      ? JSON.stringify(value).slice(1, -1)
      : JSON.stringify(JSON.stringify(value)).slice(1, -1);
  return JSON.stringify(value);
};

/** Fills an InputTemplate: `<name>` from the paths map, or a predefined `aws.events.*` variable. */
const fillTemplate = (template: string, values: (name: string) => unknown): string => {
  let out = '';
  let quoted = false;
  for (let i = 0; i < template.length; i++) {
    const char = template[i] ?? '';
    if (char === '\\' && quoted) {
      out += char + (template[i + 1] ?? '');
      i++;
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === '<') {
      const end = template.indexOf('>', i);
      const name = end > i ? template.slice(i + 1, end) : '';
      if (/^[\w.-]+$/.test(name)) {
        out += placeholderText(values(name), quoted);
        i = end;
        continue;
      }
    }
    out += char;
  }
  return out;
};

export interface RuleContext {
  ruleArn: string;
  ruleName: string;
  /** When EventBridge received the event (ms). */
  ingestionTime: number;
}

/**
 * The payload a target gets for `event`: JSON (an object, array, string,
 * ...) when the result is JSON, else the text itself, as a template that
 * yields plain text sends it.
 */
export const targetPayload = (target: TargetInput, event: unknown, rule: RuleContext): unknown => {
  if (target.input !== undefined) return JSON.parse(target.input);
  if (target.inputPath !== undefined) return selectPath(event, target.inputPath) ?? null;
  if (!target.inputTransformer) return event;
  const { inputPathsMap, inputTemplate } = target.inputTransformer;
  const predefined: Record<string, unknown> = {
    'aws.events.rule-arn': rule.ruleArn,
    'aws.events.rule-name': rule.ruleName,
    'aws.events.event.ingestion-time': new Date(rule.ingestionTime).toISOString(),
    'aws.events.event': event,
    'aws.events.event.json': event,
  };
  const text = fillTemplate(inputTemplate, (name) => {
    const path = inputPathsMap[name];
    return path !== undefined ? selectPath(event, path) : predefined[name];
  });
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};
