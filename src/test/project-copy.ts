import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PROJECT_ROOT } from '../local/cloud/synth';

/**
 * A copy of this project's amplify/ that a test or benchmark may edit while
 * a backend runs it. It lives under .amplify/ in the repository, so that
 * its imports resolve to the repository's node_modules, as amplify/ does.
 */
export const copyProject = (
  name: string,
): { dir: string; edit: (file: string, change: (text: string) => string) => void } => {
  const dir = resolve(PROJECT_ROOT, '.amplify', 'projects', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(PROJECT_ROOT, 'amplify'), join(dir, 'amplify'), {
    recursive: true,
    filter: (source) => !/\.(unit|template|integration|e2e)\.test\.ts$/.test(source) && !source.endsWith('/tests'),
  });
  return {
    dir,
    edit: (file, change) => {
      const path = join(dir, file);
      const before = existsSync(path) ? readFileSync(path, 'utf8') : '';
      const after = change(before);
      if (after === before) throw new Error(`the edit of ${file} changed nothing`);
      writeFileSync(path, after);
    },
  };
};
