import { Badge, CheckboxField, Flex } from '@aws-amplify/ui-react';
import { useEffect, useState } from 'react';
import { Grid } from './common';

interface RequestEvent {
  id: number;
  at: string;
  service: string;
  operation: string;
  status: number;
  ms: number;
  caller?: string;
  error?: string;
  notable?: string;
}

/** The live request log: server-sent events from the backend's request bus. */
export const RequestsPanel = () => {
  const [events, setEvents] = useState<RequestEvent[]>([]);
  const [onlyNotable, setOnlyNotable] = useState(false);
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    const source = new EventSource('/api/requests/stream');
    source.onopen = () => setConnected(true);
    source.onerror = () => setConnected(false);
    source.onmessage = (message) => {
      const event: RequestEvent = JSON.parse(message.data);
      setEvents((list) => [event, ...list].slice(0, 300));
    };
    return () => source.close();
  }, []);
  const shown = onlyNotable ? events.filter((e) => e.notable) : events;
  return (
    <>
      <Flex alignItems="center" marginBottom="small">
        <Badge variation={connected ? 'success' : 'warning'}>{connected ? 'live' : 'connecting'}</Badge>
        <CheckboxField
          label="only refused and unimplemented"
          name="notable"
          checked={onlyNotable}
          onChange={(e) => setOnlyNotable(e.target.checked)}
        />
      </Flex>
      <Grid
        label="requests"
        head={['Time', 'Service', 'Operation', 'Status', 'ms', 'Caller']}
        rows={shown.map((e) => [
          e.at.slice(11, 23),
          e.service,
          e.operation,
          <span key="status">
            {e.status} {e.error ?? ''} {e.notable && <Badge variation="error">{e.notable}</Badge>}
          </span>,
          String(Math.round(e.ms)),
          e.caller ?? '',
        ])}
      />
    </>
  );
};
