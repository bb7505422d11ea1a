import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../amplify/data/resource';
import { generateAllModels, writeModels } from './codegen';

/**
 * `npm run codegen` on this project's model schema (the text the synthesis
 * writes to model-schema.graphql: the a.schema's transform output). Each
 * platform's output is checked against the schema: every model, field and enum.
 */

const modelSchema = schema.transform().schema;

/** Models, their fields, and enums, as the schema declares them. */
const declared = () => {
  const models = new Map<string, string[]>();
  for (const match of modelSchema.matchAll(/^type (\w+) @model[\s\S]*?^\{$([\s\S]*?)^\}$/gm)) {
    const fields = [...(match[2] ?? '').matchAll(/^\s+(\w+):/gm)].map((f) => f[1] ?? '');
    // Every model also has the timestamps the transformer adds.
    models.set(match[1] ?? '', [...new Set([...fields, 'createdAt', 'updatedAt'])]);
  }
  const enums = new Map<string, string[]>();
  for (const match of modelSchema.matchAll(/^enum (\w+) \{([^}]*)\}/gm)) {
    enums.set(match[1] ?? '', (match[2] ?? '').split(/\s+/).filter(Boolean));
  }
  return { models, enums };
};

let files: Map<string, string>;
let outDir: string;

beforeAll(() => {
  files = generateAllModels(modelSchema);
  outDir = mkdtempSync(join(resolve('.amplify'), 'codegen-test-'));
  writeModels(files, outDir);
});

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

const file = (path: string): string => {
  const content = files.get(path);
  if (content === undefined) throw new Error(`codegen wrote no ${path}; it wrote ${[...files.keys()].join(', ')}`);
  return content;
};

describe('offline model codegen', () => {
  it('declares what the schema declares: the models, their fields and the enums', () => {
    const { models, enums } = declared();
    expect([...models.keys()].sort()).toEqual(['Device', 'Message', 'Note', 'UserProfile']);
    expect(enums.get('DevicePlatform')).toEqual(['APNS', 'APNS_SANDBOX', 'FCM']);
  });

  it('writes Swift models with every model, field and enum case', () => {
    const { models, enums } = declared();
    for (const [model, fields] of models) {
      const struct = file(`swift/${model}.swift`);
      expect(struct, model).toMatch(new RegExp(`public struct ${model}: Model`));
      const schemaFile = file(`swift/${model}+Schema.swift`);
      for (const field of fields) {
        expect(struct, `${model}.${field}`).toMatch(new RegExp(`public (var|let) ${field}: `));
        expect(schemaFile, `${model}.${field}`).toMatch(new RegExp(`case ${field}\\b`));
      }
      expect(file('swift/AmplifyModels.swift')).toContain(`ModelRegistry.register(modelType: ${model}.self)`);
    }
    for (const [name, cases] of enums) {
      const swiftEnum = file(`swift/${name}.swift`);
      for (const value of cases)
        expect(swiftEnum, `${name}.${value}`).toMatch(
          new RegExp(
            `case ${value.toLowerCase().replace(/_(\w)/g, (_m, c: string) => c.toUpperCase())}\\b|case ${value}\\b`,
          ),
        );
    }
  });

  it('writes Android (Java) models with every model, field and enum constant', () => {
    const { models, enums } = declared();
    const base = 'android/com/amplifyframework/datastore/generated/model';
    for (const [model, fields] of models) {
      const java = file(`${base}/${model}.java`);
      expect(java, model).toMatch(new RegExp(`@ModelConfig\\(pluralName = "${model}s"`));
      expect(java, model).toMatch(new RegExp(`public final class ${model} implements Model`));
      for (const field of fields) {
        expect(java, `${model}.${field}`).toMatch(new RegExp(`private (final )?[^;]*\\s${field};`));
      }
      expect(file(`${base}/AmplifyModelProvider.java`)).toContain(`${model}.class`);
    }
    for (const [name, cases] of enums) {
      const java = file(`${base}/${name}.java`);
      for (const value of cases) expect(java, `${name}.${value}`).toMatch(new RegExp(`\\b${value}\\b`));
    }
  });

  it('writes Flutter (Dart) models with every model, field and enum value', () => {
    const { models, enums } = declared();
    for (const [model, fields] of models) {
      const dart = file(`flutter/${model}.dart`);
      expect(dart, model).toMatch(new RegExp(`class ${model} extends amplify_core\\.Model`));
      for (const field of fields) expect(dart, `${model}.${field}`).toMatch(new RegExp(`final \\S+ _?${field};`));
      expect(file('flutter/ModelProvider.dart')).toContain(`${model}.schema`);
    }
    for (const [name, cases] of enums) {
      const dart = file(`flutter/${name}.dart`);
      for (const value of cases) expect(dart, `${name}.${value}`).toMatch(new RegExp(`\\b${value}\\b`));
    }
  });

  it('writes JavaScript models that load in DataStore initSchema, and an introspection that does too', () => {
    // @aws-amplify/datastore has no exports map; required, it shares this process's @aws-amplify/core.
    const require = createRequire(import.meta.url);
    const datastore: { initSchema(schema: unknown): Record<string, unknown> } = require('@aws-amplify/datastore');
    const schemaJs = file('javascript/schema.js');
    const generated: unknown = JSON.parse(schemaJs.slice(schemaJs.indexOf('{'), schemaJs.lastIndexOf('}') + 1));
    const classes = datastore.initSchema(generated);
    const { models } = declared();
    for (const model of models.keys()) expect(typeof classes[model], model).toBe('function');
    const introspection: unknown = JSON.parse(file('model-introspection.json'));
    expect(introspection).toMatchObject({ codegenVersion: expect.stringMatching(/^3\.\d+\.\d+$/) });
  });

  it('writes type declarations that type-check, and that type-check a use of them', () => {
    const usage = join(outDir, 'javascript', 'usage.ts');
    writeFileSync(
      usage,
      [
        "import { Device, DevicePlatform, Note } from './index';",
        "const note: Note = new Note({ headline: 'Typed', text: null });",
        "const device = new Device({ token: 't', platform: DevicePlatform.FCM });",
        '// @ts-expect-error headline is required',
        'new Note({});',
        'export const used = [note.headline, device.platform];',
        '',
      ].join('\n'),
    );
    const roots = [usage, join(outDir, 'javascript', 'index.d.ts'), join(outDir, 'javascript', 'schema.d.ts')];
    const program = ts.createProgram(roots, {
      strict: true,
      noEmit: true,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: ['node'],
    });
    // Only the generated files and their use: the dependencies' own declarations are not ours to check.
    const ours = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName.startsWith(outDir) === true)
      .map((d) => `${d.file?.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(ours).toEqual([]);
  }, 180_000);
});
