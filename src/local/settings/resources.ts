import type { CloudAssembly, FoundResource, Stack } from '../cloud/assembly';
import { isRecord } from './names';

/** The assembly has several resources of a kind where the local backend runs one, and nothing says which. */
export class AmbiguousResourceError extends Error {
  override readonly name = 'AmbiguousResourceError';
}

/** The stack that deploys `stack` as a nested stack, and its logical ID there. */
const parentOf = (assembly: CloudAssembly, stack: Stack): { parent: Stack; id: string } | undefined => {
  for (const found of assembly.resources('AWS::CloudFormation::Stack'))
    if (found.stack.nested(found.logicalId) === stack) return { parent: found.stack, id: found.logicalId };
  return undefined;
};

/**
 * The resource a value in a stack refers to, following a `Ref` to a
 * parameter up to what the parent passes, and `Fn::GetAtt` on a nested
 * stack's `Outputs.<name>` down to that output: how Gen 2 passes the auth
 * stack's pool to the data stack and to the root outputs.
 */
export const resourceOf = (assembly: CloudAssembly, from: Stack, expression: unknown): FoundResource | undefined => {
  let value = expression;
  let stack = from;
  for (let depth = 0; depth < 20 && isRecord(value); depth++) {
    if (typeof value.Ref === 'string') {
      const logicalId = value.Ref;
      const resource = stack.resources[logicalId];
      if (resource) {
        const here = stack;
        return assembly
          .resources(String(resource.Type))
          .find((found) => found.logicalId === logicalId && found.stack === here);
      }
      const up = parentOf(assembly, stack);
      const props = up?.parent.resources[up.id]?.Properties;
      const parameters = isRecord(props) && isRecord(props.Parameters) ? props.Parameters : undefined;
      if (!up || !parameters || !(logicalId in parameters)) return undefined;
      value = parameters[logicalId];
      stack = up.parent;
      continue;
    }
    const getAtt = value['Fn::GetAtt'];
    const [id, attribute] = Array.isArray(getAtt) ? getAtt.map(String) : [];
    if (!id || !attribute?.startsWith('Outputs.')) return undefined;
    stack = stack.nested(id);
    const outputs = stack.template.Outputs;
    const name = attribute.slice('Outputs.'.length);
    value = isRecord(outputs) && isRecord(outputs[name]) ? outputs[name].Value : undefined;
  }
  return undefined;
};

/** The resource a root stack output refers to (`userPoolId`, `identityPoolId`, …), as ampx's outputs name them. */
export const resourceOfOutput = (assembly: CloudAssembly, output: string): FoundResource | undefined => {
  const outputs = assembly.root.template.Outputs;
  const value = isRecord(outputs) && isRecord(outputs[output]) ? outputs[output].Value : undefined;
  return resourceOf(assembly, assembly.root, value);
};

/**
 * The one resource of a type the local backend runs: the one the named root
 * output refers to (as ampx's outputs pick it), else the only one; several
 * and no output → `AmbiguousResourceError` naming them all.
 */
export const theResource = (assembly: CloudAssembly, type: string, output: string): FoundResource | undefined => {
  const all = assembly.resources(type);
  const named = resourceOfOutput(assembly, output);
  if (named?.type === type) return named;
  if (all.length <= 1) return all[0];
  throw new AmbiguousResourceError(
    `the assembly defines ${all.length} ${type} resources (${all.map((r) => `${r.stack.path}/${r.logicalId}`).join(', ')}) and its "${output}" output names none of them: the local backend runs one; give it the "${output}" output that Gen 2's defineAuth writes`,
  );
};

/** Whether a property refers to a resource in its own stack (`Ref`, or `Fn::GetAtt` on it). */
export const refersTo = (value: unknown, target: FoundResource): boolean => {
  if (!isRecord(value)) return false;
  if (value.Ref === target.logicalId) return true;
  const getAtt = value['Fn::GetAtt'];
  return Array.isArray(getAtt) && getAtt[0] === target.logicalId;
};
