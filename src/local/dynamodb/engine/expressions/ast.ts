import { ValidationError } from '../errors';
import type { Value } from '../values';

/** The trees the parser builds, and the request's placeholders that they refer to. */

export type PathElement = { name: string } | { index: number };
export type Path = PathElement[];

export type Operand =
  | { kind: 'path'; path: Path }
  | { kind: 'value'; placeholder: string }
  | { kind: 'size'; subject: Operand }
  | { kind: 'if_not_exists'; path: Path; fallback: Operand }
  | { kind: 'list_append'; left: Operand; right: Operand }
  | { kind: 'arithmetic'; op: '+' | '-'; left: Operand; right: Operand };

export type Condition =
  | { kind: 'compare'; op: '=' | '<>' | '<' | '<=' | '>' | '>='; left: Operand; right: Operand }
  | { kind: 'between'; operand: Operand; low: Operand; high: Operand }
  | { kind: 'in'; operand: Operand; list: Operand[] }
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; condition: Condition }
  | { kind: 'exists' | 'not_exists'; path: Path }
  // DynamoDB takes a value as well as a path where these take their subject: `contains(:v, a)`.
  | { kind: 'type'; subject: Operand; type: Operand }
  | { kind: 'begins_with'; subject: Operand; prefix: Operand }
  | { kind: 'contains'; subject: Operand; operand: Operand };

export interface UpdateActions {
  set: Array<{ path: Path; value: Operand }>;
  remove: Path[];
  add: Array<{ path: Path; value: Operand }>;
  delete: Array<{ path: Path; value: Operand }>;
}

/** The placeholders of a request, and which of them its expressions used. */
export class Placeholders {
  readonly usedNames = new Set<string>();
  readonly usedValues = new Set<string>();

  constructor(
    readonly names: Record<string, string> = {},
    readonly values: Record<string, Value> = {},
  ) {}

  name(placeholder: string, kind: string): string {
    const name = this.names[placeholder];
    if (name === undefined)
      throw new ValidationError(
        `Invalid ${kind}: An expression attribute name used in the document path is not defined; attribute name: ${placeholder}`,
      );
    this.usedNames.add(placeholder);
    return name;
  }

  value(placeholder: string, kind = 'Expression'): Value {
    const value = this.values[placeholder];
    if (value === undefined)
      throw new ValidationError(
        `Invalid ${kind}: An expression attribute value used in expression is not defined; attribute value: ${placeholder}`,
      );
    this.usedValues.add(placeholder);
    return value;
  }

  /** DynamoDB refuses placeholders that no expression of the request uses. */
  checkAllUsed(): void {
    const unusedNames = Object.keys(this.names).filter((n) => !this.usedNames.has(n));
    if (unusedNames.length > 0)
      throw new ValidationError(
        `Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`,
      );
    const unusedValues = Object.keys(this.values).filter((v) => !this.usedValues.has(v));
    if (unusedValues.length > 0)
      throw new ValidationError(
        `Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`,
      );
  }
}

export const formatPath = (path: Path): string =>
  `[${path.map((e) => ('name' in e ? e.name : `[${e.index}]`)).join(', ')}]`;
