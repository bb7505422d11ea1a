import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { CloudAssembly } from '../cloud/assembly';
import { NAMES } from './names';

type Template = Record<string, unknown>;

/**
 * A cloud assembly on disk from small synthetic templates, for unit tests of
 * the settings: `root`, and nested stacks by logical ID (the root gets an
 * `AWS::CloudFormation::Stack` resource for each). Call `remove` after.
 */
export const syntheticAssembly = (
  root: Template,
  nested: Record<string, Template> = {},
  /** What the root passes each nested stack as its Parameters. */
  parameters: Record<string, Template> = {},
): { assembly: CloudAssembly; remove(): void } => {
  const dir = mkdtempSync(join(tmpdir(), 'local-settings-'));
  const files: Record<string, { source: { path: string } }> = {};
  const resources = { ...(root.Resources as Record<string, unknown> | undefined) };
  for (const [id, template] of Object.entries(nested)) {
    const hash = `nested${id.toLowerCase()}`;
    writeFileSync(join(dir, `${hash}.json`), JSON.stringify(template));
    files[hash] = { source: { path: `${hash}.json` } };
    resources[id] = {
      Type: 'AWS::CloudFormation::Stack',
      Properties: { TemplateURL: `https://s3.local/assets/${hash}.json`, Parameters: parameters[id] ?? {} },
    };
  }
  writeFileSync(join(dir, 'root.template.json'), JSON.stringify({ ...root, Resources: resources }));
  writeFileSync(join(dir, 'root.assets.json'), JSON.stringify({ files }));
  return {
    assembly: new CloudAssembly(dir, { ...NAMES, graphqlUrl: 'https://127.0.0.1/graphql' }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
};

/**
 * For a describe block: `assemblyOf(resources)` builds a root-only synthetic
 * assembly, and each one is removed after the test that built it.
 */
export const rootAssemblies = (): ((resources: Record<string, unknown>) => CloudAssembly) => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });
  return (resources) => {
    const { assembly, remove } = syntheticAssembly({ Resources: resources });
    cleanups.push(remove);
    return assembly;
  };
};
