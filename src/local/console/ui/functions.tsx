import { Badge, Button, Flex, SelectField, TextAreaField } from '@aws-amplify/ui-react';
import { useState } from 'react';
import { post } from './api';
import { Problem } from './common';

const WRAP = { whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' } as const;

interface InvokeResult {
  ok: boolean;
  result?: unknown;
  error?: { type: string; message: string };
  logs: string;
  ms: number;
}

/** The Lambda console's Test button: an event you write, the result and the logs of that invocation. */
export const FunctionsPanel = ({ functions }: { functions: Array<{ id: string; name: string }> }) => {
  const [name, setName] = useState(functions[0]?.name);
  const [event, setEvent] = useState('{}');
  const [result, setResult] = useState<InvokeResult>();
  const [error, setError] = useState<string>();
  const [running, setRunning] = useState(false);
  if (functions.length === 0) return <p>This backend runs no functions.</p>;
  return (
    <>
      <Problem error={error} />
      <Flex direction="column">
        <SelectField
          label="Function"
          value={name}
          onChange={(e) => setName(e.target.value)}
          options={functions.map((f) => f.name)}
        />
        <TextAreaField
          label="Event (JSON)"
          rows={8}
          value={event}
          onChange={(e) => setEvent(e.target.value)}
          fontFamily="monospace"
        />
        <Button
          variation="primary"
          isLoading={running}
          onClick={async () => {
            setRunning(true);
            setError(undefined);
            try {
              setResult(
                await post<InvokeResult>(`/functions/${encodeURIComponent(name ?? '')}/invoke`, {
                  event: JSON.parse(event),
                }),
              );
            } catch (e) {
              setError(e instanceof Error ? e.message : String(e));
            }
            setRunning(false);
          }}
        >
          Invoke
        </Button>
        {result && (
          <section data-testid="invoke-result">
            <Badge variation={result.ok ? 'success' : 'error'}>
              {result.ok ? 'succeeded' : `failed: ${result.error?.type}`} in {Math.round(result.ms)} ms
            </Badge>
            <h4>Result</h4>
            <pre style={WRAP}>{JSON.stringify(result.ok ? result.result : result.error, null, 2)}</pre>
            <h4>Logs</h4>
            <pre style={WRAP}>{result.logs || '(none)'}</pre>
          </section>
        )}
      </Flex>
    </>
  );
};
