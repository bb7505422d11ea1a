/**
 * DynamoDB's expression language: condition and filter expressions, key
 * conditions, update expressions and projections, parsed once into a tree
 * (`parse.ts`, `ast.ts`), checked before the item is read (`validate.ts`),
 * then evaluated against items in DynamoDB JSON (`evaluate.ts`), applied
 * (`update.ts`) or projected (`project.ts`). Errors are DynamoDB's
 * ValidationException. Checked against DynamoDB Local by
 * `../expressions.integration.test.ts`.
 */
export { ValidationError } from '../errors';
export {
  type Condition,
  formatPath,
  type Operand,
  type Path,
  type PathElement,
  Placeholders,
  type UpdateActions,
} from './ast';
export { evaluate, resolvePath } from './evaluate';
export { parseCondition, parseProjection, parseUpdate } from './parse';
export { project } from './project';
export { addNumbers, applyUpdate } from './update';
export { validateCondition } from './validate';
