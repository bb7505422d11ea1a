import type { TableSpec } from '../dynamodb/tables';

/** A model as the console shows it: from the outputs' model introspection and the assembly's tables. */
export interface ConsoleModel {
  name: string;
  table: string;
  /** The table's key attributes (partition, then sort). */
  keys: string[];
  fields: Array<{ name: string; type: string; required: boolean }>;
  /** The fields owner rules name (`owner` by default), shown beside each record. */
  ownerFields: string[];
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const typeName = (type: unknown): string => {
  if (typeof type === 'string') return type;
  if (isRecord(type)) {
    const named = type.model ?? type.enum ?? type.nonModel;
    if (typeof named === 'string') return named;
  }
  return 'unknown';
};

/**
 * The models of `data.model_introspection` that have a table: a model table is
 * Amplify's `<Model>Table` resource (its label is the model's name).
 */
export const consoleModels = (outputs: unknown, tables: TableSpec[]): ConsoleModel[] => {
  const data = isRecord(outputs) && isRecord(outputs.data) ? outputs.data : {};
  const introspection = isRecord(data.model_introspection) ? data.model_introspection : {};
  const models = isRecord(introspection.models) ? introspection.models : {};
  return Object.values(models)
    .filter(isRecord)
    .flatMap((model) => {
      const name = String(model.name);
      const table = tables.find((t) => t.label === name);
      if (!table) return [];
      const fields = isRecord(model.fields) ? Object.values(model.fields).filter(isRecord) : [];
      const attributes = Array.isArray(model.attributes) ? model.attributes.filter(isRecord) : [];
      const ownerFields = new Set<string>();
      for (const attribute of attributes) {
        const rules = attribute.type === 'auth' && isRecord(attribute.properties) ? attribute.properties.rules : [];
        for (const rule of Array.isArray(rules) ? rules.filter(isRecord) : [])
          if (rule.allow === 'owner') ownerFields.add(typeof rule.ownerField === 'string' ? rule.ownerField : 'owner');
      }
      return [
        {
          name,
          table: table.name,
          keys: [...table.keySchema]
            .sort((a, b) => (a.KeyType === 'HASH' ? -1 : b.KeyType === 'HASH' ? 1 : 0))
            .map((k) => String(k.AttributeName)),
          fields: fields.map((f) => ({
            name: String(f.name),
            type: `${typeName(f.type)}${f.isArray === true ? '[]' : ''}`,
            required: f.isRequired === true,
          })),
          ownerFields: [...ownerFields],
        },
      ];
    });
};
