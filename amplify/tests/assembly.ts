import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { outDirOf, type VariantName } from './variants';

export type Json = Record<string, unknown>;

export interface CfnResource {
  Type: string;
  Properties?: Json;
  [key: string]: unknown;
}

export interface FoundResource {
  file: string;
  logicalId: string;
  resource: CfnResource;
}

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const readJson = (path: string): Json => {
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!isRecord(parsed)) throw new Error(`${path} is not a JSON object`);
  return parsed;
};

/** One synthesized cloud assembly: the root template, its nested stacks and its file assets. */
export class Assembly {
  readonly dir: string;
  readonly templates: Map<string, Json>;

  constructor(variant: VariantName) {
    this.dir = resolve(outDirOf(variant));
    if (!existsSync(this.dir))
      throw new Error(`${this.dir} is missing: run the template tests through vitest (globalSetup synthesizes).`);
    this.templates = new Map(
      readdirSync(this.dir)
        .filter((file) => file.endsWith('.template.json'))
        .map((file) => [file, readJson(join(this.dir, file))]),
    );
  }

  /** The root stack's template. */
  get root(): Json {
    const file = [...this.templates.keys()].find((name) => !name.includes('.nested.'));
    return this.template(file);
  }

  /** A nested stack by Amplify resource-group name: 'auth', 'data', 'storage', 'push', 'monitoring', or 'data/Note'. */
  stack(name: string): Json {
    const suffix = name.replace('/', 'amplifyData');
    const pattern = new RegExp(`[a-z0-9]${suffix}[0-9A-F]{8}\\.nested\\.template\\.json$`);
    const files = [...this.templates.keys()].filter((file) => pattern.test(file));
    if (files.length !== 1) throw new Error(`expected one nested stack named ${name}, found ${files.length}`);
    return this.template(files[0]);
  }

  /** An aws-cdk-lib assertions Template for a nested stack. */
  assert(name: string): Template {
    return Template.fromJSON(this.stack(name), { skipCyclicalDependenciesCheck: true });
  }

  private template(file: string | undefined): Json {
    const found = file ? this.templates.get(file) : undefined;
    if (!found) throw new Error(`no template ${file}`);
    return found;
  }

  /** Every resource of a type, across all stacks. */
  resources(type: string): FoundResource[] {
    const found: FoundResource[] = [];
    for (const [file, template] of this.templates) {
      const resources = template.Resources;
      if (!isRecord(resources)) continue;
      for (const [logicalId, resource] of Object.entries(resources)) {
        if (isRecord(resource) && resource.Type === type) {
          found.push({ file, logicalId, resource: { ...resource, Type: type } });
        }
      }
    }
    return found;
  }

  /** The text of a file asset named by an S3 location such as `{ "Fn::Sub": "s3://.../<hash>.vtl" }`. */
  asset(location: unknown): string {
    const url = isRecord(location) ? location['Fn::Sub'] : location;
    if (typeof url !== 'string') throw new Error(`not an asset location: ${JSON.stringify(location)}`);
    return readFileSync(join(this.dir, `asset.${basename(url)}`), 'utf8');
  }

  /** The full SDL the API is deployed with. */
  graphqlSchema(): string {
    const file = readdirSync(this.dir).find((name) => name.endsWith('.graphql'));
    if (!file) throw new Error('no .graphql asset in the assembly');
    return readFileSync(join(this.dir, file), 'utf8');
  }

  /** Whatever cdk-nag findings were suppressed (written by amplify/custom/nag.ts). */
  nagSuppressed(): Array<{ finding: string; path: string; reason: string }> {
    const parsed: unknown = JSON.parse(readFileSync(join(this.dir, 'nag-suppressed.json'), 'utf8'));
    if (!Array.isArray(parsed)) throw new Error('nag-suppressed.json is not a list');
    return parsed.filter(isRecord).map((entry) => ({
      finding: String(entry.finding),
      path: String(entry.path),
      reason: String(entry.reason),
    }));
  }
}

/** Properties of a resource, checked to be an object. */
export const props = (found: FoundResource | undefined): Json => {
  if (!found) throw new Error('resource not found');
  const properties = found.resource.Properties;
  if (!isRecord(properties)) throw new Error(`${found.logicalId} has no properties`);
  return properties;
};

export { isRecord };
