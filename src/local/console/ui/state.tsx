import { Button, Flex, Heading, TextField } from '@aws-amplify/ui-react';
import { useState } from 'react';
import { api, post } from './api';
import { Grid, Problem, Refresh, short, useAction, useApi } from './common';

interface Bucket {
  bucket: string;
  objects: Array<{ key: string; size: number; modified: string }>;
}

export const FilesPanel = () => {
  const { data, error, reload, setError } = useApi<{ buckets: Bucket[] }>('/files');
  const act = useAction(reload, setError);
  const [prefix, setPrefix] = useState('');
  const object = (bucket: string, key: string) =>
    `/files/object?bucket=${encodeURIComponent(bucket)}&key=${encodeURIComponent(key)}`;
  return (
    <>
      <Problem error={error} />
      {(data?.buckets ?? []).map((b) => (
        <section key={b.bucket}>
          <Flex alignItems="flex-end" marginBottom="small">
            <Heading level={5}>{b.bucket}</Heading>
            <TextField
              label="Upload under"
              size="small"
              value={prefix}
              onChange={(e) => setPrefix(e.target.value)}
              placeholder="folder/"
            />
            <input
              type="file"
              aria-label={`upload to ${b.bucket}`}
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file)
                  void act(() =>
                    api(object(b.bucket, `${prefix}${file.name}`), {
                      method: 'PUT',
                      body: file,
                      headers: { 'content-type': file.type || 'application/octet-stream' },
                    }),
                  );
              }}
            />
            <Refresh onClick={reload} />
          </Flex>
          <Grid
            label={`files in ${b.bucket}`}
            head={['Key', 'Size', 'Modified', '']}
            rows={b.objects.map((o) => [
              <a key="key" href={`/api${object(b.bucket, o.key)}`}>
                {o.key}
              </a>,
              String(o.size),
              o.modified,
              <Button
                key="delete"
                size="small"
                variation="warning"
                onClick={() =>
                  window.confirm(`Delete ${o.key}?`) && act(() => post(object(b.bucket, o.key), {}, 'DELETE'))
                }
              >
                Delete
              </Button>,
            ])}
          />
        </section>
      ))}
      {data && data.buckets.length === 0 && <p>This backend has no buckets.</p>}
    </>
  );
};

interface Message {
  id: number;
  at: string;
  channel: string;
  to: string;
  kind: string;
  code?: string;
  body: unknown;
}

export const OutboxPanel = () => {
  const { data, error, reload } = useApi<{ messages: Message[] }>('/outbox');
  return (
    <>
      <Problem error={error} />
      <Refresh onClick={reload} />
      <Grid
        label="outbox"
        head={['At', 'Channel', 'To', 'Kind', 'Code', 'Body']}
        rows={[...(data?.messages ?? [])]
          .reverse()
          .map((m) => [m.at, m.channel, m.to, m.kind, m.code ?? '', short(m.body, 120)])}
      />
    </>
  );
};

const WRAP = { whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' } as const;

interface Letter {
  index: number;
  mapping: string;
  at: string;
  reason: string;
  keys: unknown[];
  replayed?: { at: string; ok: boolean };
}

export const DeadLettersPanel = () => {
  const { data, error, reload, setError } = useApi<{ letters: Letter[] }>('/dead-letters');
  const [result, setResult] = useState<string>();
  const act = useAction(reload, setError);
  return (
    <>
      <Problem error={error} />
      <Refresh onClick={reload} />
      {result && (
        <pre data-testid="replay-result" style={WRAP}>
          {result}
        </pre>
      )}
      <Grid
        label="dead letters"
        head={['At', 'Source', 'Reason', 'Records', 'Replayed', '']}
        rows={(data?.letters ?? []).map((l) => [
          l.at,
          l.mapping,
          short(l.reason, 120),
          short(l.keys, 120),
          l.replayed ? `${l.replayed.ok ? 'ok' : 'failed'} at ${l.replayed.at}` : '',
          <Button
            key="replay"
            size="small"
            onClick={() =>
              act(async () => setResult(JSON.stringify(await post(`/dead-letters/${l.index}/replay`), null, 2)))
            }
          >
            Replay
          </Button>,
        ])}
      />
    </>
  );
};

export const SearchPanel = () => {
  const { data, error, reload } = useApi<{
    documents: Array<{ engine: string; index: string; id: string; fields: unknown }>;
  }>('/search');
  return (
    <>
      <Problem error={error} />
      <Refresh onClick={reload} />
      <Grid
        label="search documents"
        head={['Engine', 'Index', 'Id', 'Fields']}
        rows={(data?.documents ?? []).map((d) => [d.engine, d.index, d.id, short(d.fields, 200)])}
      />
    </>
  );
};
