import { Badge, Button, Flex, SelectField, TextAreaField } from '@aws-amplify/ui-react';
import { useState } from 'react';
import { post } from './api';
import { Grid, Problem, Refresh, short, useAction, useApi } from './common';

interface Model {
  name: string;
  table: string;
  keys: string[];
  fields: Array<{ name: string; type: string }>;
  ownerFields: string[];
}

export const DataPanel = () => {
  const models = useApi<{ models: Model[] }>('/models');
  const [name, setName] = useState<string>();
  const model = models.data?.models.find((m) => m.name === name) ?? models.data?.models[0];
  const records = useApi<{ records: Record<string, unknown>[]; next?: string }>(
    model ? `/models/${encodeURIComponent(model.name)}/records?limit=100` : undefined,
  );
  const act = useAction(records.reload, records.setError);
  const [editing, setEditing] = useState<string>();
  if (!model) return <Problem error={models.error ?? (models.data ? 'No models.' : undefined)} />;
  const path = `/models/${encodeURIComponent(model.name)}/records`;
  const columns = model.fields.map((f) => f.name).filter((f) => !model.ownerFields.includes(f));
  return (
    <>
      <Problem error={models.error ?? records.error} />
      <Flex alignItems="flex-end" marginBottom="small">
        <SelectField
          label="Model"
          value={model.name}
          onChange={(e) => {
            setName(e.target.value);
            setEditing(undefined);
          }}
          options={models.data?.models.map((m) => m.name) ?? []}
        />
        <span>
          table <code>{model.table}</code>, key {model.keys.join(' + ')}
        </span>
        <Button
          size="small"
          onClick={() => setEditing(JSON.stringify(Object.fromEntries(model.keys.map((k) => [k, ''])), null, 2))}
        >
          New record
        </Button>
        <Refresh onClick={records.reload} />
      </Flex>
      {editing !== undefined && (
        <Flex direction="column" marginBottom="small">
          <TextAreaField
            label="Record (JSON, written as the API writes this table: a new version DataStore syncs; no subscription events)"
            rows={10}
            value={editing}
            onChange={(e) => setEditing(e.target.value)}
            fontFamily="monospace"
          />
          <Flex>
            <Button
              variation="primary"
              onClick={() =>
                act(async () => {
                  await post(path, { item: JSON.parse(editing) }, 'PUT');
                  setEditing(undefined);
                })
              }
            >
              Save
            </Button>
            <Button onClick={() => setEditing(undefined)}>Cancel</Button>
          </Flex>
        </Flex>
      )}
      <Grid
        label={`${model.name} records`}
        head={['Owner', ...columns, '']}
        rows={(records.data?.records ?? []).map((r) => [
          <Flex key="owner" gap="xs" direction="column">
            {/* Whole: a Cognito owner is `<sub>::<username>` (74+ characters), and the username comes last. */}
            {model.ownerFields.map((f) => (r[f] === undefined ? null : <Badge key={f}>{short(r[f], 200)}</Badge>))}
          </Flex>,
          ...columns.map((c) => short(r[c])),
          <Flex key="actions" gap="xs" alignItems="center">
            {/* Conflict detection deletes softly: the record stays in the table, hidden from the app's queries. */}
            {r._deleted === true && (
              <Badge variation="warning" data-testid="deleted">
                deleted
              </Badge>
            )}
            <Button size="small" onClick={() => setEditing(JSON.stringify(r, null, 2))}>
              Edit
            </Button>
            <Button
              size="small"
              variation="warning"
              onClick={() =>
                window.confirm('Delete this record?') &&
                act(() => post(path, { key: Object.fromEntries(model.keys.map((k) => [k, r[k]])) }, 'DELETE'))
              }
            >
              Delete
            </Button>
          </Flex>,
        ])}
      />
    </>
  );
};
