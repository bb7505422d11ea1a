import type { Item, Value } from '../values';
import type { Path, PathElement } from './ast';
import { resolvePath } from './evaluate';
import { clone } from './update';

/** The parts of an item a projection names, nested as in the item; list elements keep their order. */
export const project = (item: Item, paths: Path[]): Item => {
  const result: Item = {};
  for (const path of paths) {
    const value = resolvePath(item, path);
    if (value === undefined) continue;
    let target: Record<string, Value> | Value[] = result;
    for (const [i, element] of path.entries()) {
      const last = i === path.length - 1;
      if (last) {
        if (Array.isArray(target)) target.push(clone(value));
        else target[(element as { name: string }).name] = clone(value);
        break;
      }
      const nextIsIndex = 'index' in (path[i + 1] as PathElement);
      const key = 'name' in element ? element.name : undefined;
      if (Array.isArray(target)) {
        const container: Value = nextIsIndex ? { L: [] } : { M: {} };
        target.push(container);
        target = nextIsIndex ? (container.L as Value[]) : (container.M as Record<string, Value>);
      } else if (key !== undefined) {
        const container: Value = target[key] ?? (nextIsIndex ? { L: [] } : { M: {} });
        target[key] = container;
        target = nextIsIndex ? (container.L as Value[]) : (container.M as Record<string, Value>);
      }
    }
  }
  return result;
};
