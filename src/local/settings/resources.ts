import type { CloudAssembly, FoundResource, Stack } from '../cloud/assembly';
import { isRecord } from './names';

/** The assembly has several resources of a kind where the local backend runs one, and nothing says which. */
export class AmbiguousResourceError extends Error {
  override readonly name = 'AmbiguousResourceError';
}

/**
 * The resource a root stack output refers to, following `Fn::GetAtt` on a
 * nested stack's `Outputs.<name>` down to a `Ref`: how Gen 2's outputs
 * (`userPoolId`, `identityPoolId`, …) name the backend's own resources.
 */
export const resourceOfOutput = (assembly: CloudAssembly, output: string): FoundResource | undefined => {
  const outputs = assembly.root.template.Outputs;
  let value: unknown = isRecord(outputs) && isRecord(outputs[output]) ? outputs[output].Value : undefined;
  let stack: Stack = assembly.root;
  for (let depth = 0; depth < 10 && isRecord(value); depth++) {
    if (typeof value.Ref === 'string') {
      const resource = stack.resources[value.Ref];
      if (!resource) return undefined;
      const logicalId = value.Ref;
      return assembly
        .resources(String(resource.Type))
        .find((found) => found.logicalId === logicalId && found.stack.path === stack.path);
    }
    const getAtt = value['Fn::GetAtt'];
    const [id, attribute] = Array.isArray(getAtt) ? getAtt.map(String) : [];
    if (!id || !attribute?.startsWith('Outputs.')) return undefined;
    stack = stack.nested(id);
    const nestedOutputs = stack.template.Outputs;
    const name = attribute.slice('Outputs.'.length);
    value = isRecord(nestedOutputs) && isRecord(nestedOutputs[name]) ? nestedOutputs[name].Value : undefined;
  }
  return undefined;
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
