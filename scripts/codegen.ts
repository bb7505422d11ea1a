/**
 * Offline model codegen: DataStore and model-based API models for every
 * platform, from the synthesized `model-schema.graphql`, with no AWS account
 * (what `ampx generate graphql-client-code --format modelgen` does after
 * downloading that schema from a deployed stack).
 *
 *   npm run codegen                     # synthesizes if amplify/ changed, writes generated/models
 *   npm run codegen -- --out src/models --assembly .amplify/synth/sandbox
 *
 * Output, one folder per platform:
 *   javascript/  DataStore models for JavaScript and TypeScript (index.js, schema.js and their .d.ts;
 *                the generator's own 'typescript' target emits files that do not compile, so it is not used)
 *   swift/       Amplify Swift models (DataStore and the API category's ModelQueries)
 *   android/     Amplify Android models (Java; Kotlin apps use these, the generator has no Kotlin target)
 *   flutter/     Amplify Flutter models (Dart, ModelProvider.dart)
 *   model-introspection.json  for client.models and DataStore's initSchema (codegenVersion added)
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { synthesizeCached } from '../src/local/cloud/synth';

/** The generator's targets, by the folder each one's files go to. */
export const TARGETS = {
  javascript: 'javascript',
  swift: 'swift',
  android: 'java',
  flutter: 'dart',
} as const;

export type Platform = keyof typeof TARGETS;

interface Generator {
  generateModelsSync(options: { schema: string; target: string }): Record<string, string>;
}

// CommonJS with its own graphql copy: load it through Node's require, whatever loader runs this.
const loadGenerator = (): Generator => {
  const loaded: unknown = createRequire(import.meta.url)('@aws-amplify/graphql-generator');
  if (typeof loaded !== 'object' || loaded === null || !('generateModelsSync' in loaded)) {
    throw new Error('@aws-amplify/graphql-generator has no generateModelsSync');
  }
  const generate = loaded.generateModelsSync;
  if (typeof generate !== 'function') throw new Error('@aws-amplify/graphql-generator has no generateModelsSync');
  return { generateModelsSync: (options) => generate(options) };
};

/** The DataStore codegen version the generator stamps on the JavaScript models. */
export const codegenVersionOf = (javascriptFiles: Record<string, string>): string => {
  const version = /"codegenVersion": "([^"]+)"/.exec(javascriptFiles['schema.js'] ?? '')?.[1];
  if (!version) throw new Error('the generated schema.js names no codegenVersion');
  return version;
};

/** Every platform's files, by path relative to the output folder. */
export const generateAllModels = (schema: string): Map<string, string> => {
  const generator = loadGenerator();
  const files = new Map<string, string>();
  let codegenVersion = '';
  for (const [platform, target] of Object.entries(TARGETS)) {
    const out = generator.generateModelsSync({ schema, target });
    if (target === 'javascript') codegenVersion = codegenVersionOf(out);
    for (const [path, content] of Object.entries(out)) files.set(join(platform, path), content);
  }
  const introspection: unknown = JSON.parse(
    generator.generateModelsSync({ schema, target: 'introspection' })['model-introspection.json'] ?? 'null',
  );
  if (typeof introspection !== 'object' || introspection === null) throw new Error('no model introspection');
  // DataStore's initSchema refuses models without a codegen version it supports.
  files.set('model-introspection.json', `${JSON.stringify({ ...introspection, codegenVersion }, null, 2)}\n`);
  return files;
};

/** The model schema a synthesized assembly carries next to the full SDL (a hashed asset folder). */
export const findModelSchema = (assemblyDir: string): string => {
  for (const entry of readdirSync(assemblyDir)) {
    const candidate = join(assemblyDir, entry, 'model-schema.graphql');
    if (existsSync(candidate)) return readFileSync(candidate, 'utf8');
  }
  throw new Error(`${assemblyDir} has no model-schema.graphql: is it a synthesized Amplify backend (npm run synth)?`);
};

/** Writes the files into outDir, replacing what an earlier run wrote there. */
export const writeModels = (files: Map<string, string>, outDir: string): void => {
  rmSync(outDir, { recursive: true, force: true });
  for (const [path, content] of files) {
    const target = join(outDir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
};

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: { out: { type: 'string', default: 'generated/models' }, assembly: { type: 'string' } },
  });
  let assemblyDir = values.assembly;
  if (!assemblyDir) {
    assemblyDir = '.amplify/synth/codegen';
    console.log(`synthesizing the sandbox backend into ${assemblyDir} (skipped if amplify/ is unchanged) ...`);
    await synthesizeCached({ type: 'sandbox', outDir: assemblyDir, quiet: true });
  }
  const files = generateAllModels(findModelSchema(resolve(assemblyDir)));
  writeModels(files, resolve(values.out));
  const platforms = Object.keys(TARGETS).map(
    (p) => `${p} (${[...files.keys()].filter((f) => f.startsWith(`${p}/`)).length})`,
  );
  console.log(`wrote ${files.size} files into ${values.out}: ${platforms.join(', ')}, model-introspection.json`);
};

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
