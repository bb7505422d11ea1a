import { Flex, SelectField } from '@aws-amplify/ui-react';
import { GraphiQL } from 'graphiql';
import { getOperationAST, parse } from 'graphql';
import { useMemo, useState } from 'react';
import { post } from './api';
import { Problem, useApi } from './common';

interface Params {
  query: string;
  variables?: unknown;
  operationName?: string | null;
}

const isSubscription = ({ query, operationName }: Params): boolean => {
  try {
    return getOperationAST(parse(query), operationName ?? undefined)?.operation === 'subscription';
  } catch {
    return false; // the server answers a malformed query with its own error
  }
};

/**
 * A subscription's results as GraphiQL reads them (an async iterable): the
 * console relays the API's realtime events as server-sent events, one GraphQL
 * result each; GraphiQL's stop button ends the iteration, which closes the
 * stream and the realtime subscription behind it.
 */
async function* subscription(params: Params & { as: string }): AsyncGenerator<unknown> {
  const abort = new AbortController();
  try {
    const response = await fetch('/api/graphql/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params),
      signal: abort.signal,
    });
    if (!response.ok || !response.body) {
      yield { errors: [{ message: `${response.status}: ${await response.text()}` }] };
      return;
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffered += value;
      let end = buffered.indexOf('\n\n');
      while (end >= 0) {
        const lines = buffered.slice(0, end).split('\n');
        buffered = buffered.slice(end + 2);
        end = buffered.indexOf('\n\n');
        const name = lines.find((l) => l.startsWith('event: '))?.slice(7);
        const data = lines.find((l) => l.startsWith('data: '))?.slice(6) ?? '{}';
        if (name === 'complete') return;
        if (name === 'next') yield JSON.parse(data);
      }
    }
  } finally {
    abort.abort();
  }
}

/**
 * GraphiQL, signed in as a user: the console's server obtains that user's
 * tokens from the local user pool and sends each request to the GraphQL
 * server with them, so the owner rules apply as they do for the app;
 * subscriptions go over the realtime endpoint, relayed by the console.
 */
export const ExplorerPanel = () => {
  const { data, error } = useApi<{
    users: Array<{ username: string; enabled: boolean; status: string; attributes?: Record<string, string> }>;
  }>('/users');
  const users = (data?.users ?? []).filter((u) => u.enabled && u.status === 'CONFIRMED');
  const [as, setAs] = useState<string>();
  const user = as ?? users[0]?.username;
  const fetcher = useMemo(
    () => (params: Params) => {
      if (!user) return Promise.resolve({ errors: [{ message: 'Pick a confirmed user first.' }] });
      return isSubscription(params) ? subscription({ ...params, as: user }) : post('/graphql', { ...params, as: user });
    },
    [user],
  );
  return (
    <>
      <Problem error={error} />
      <Flex alignItems="flex-end" marginBottom="small">
        <SelectField
          label="Signed in as"
          value={user ?? ''}
          onChange={(e) => setAs(e.target.value)}
          placeholder={users.length === 0 ? 'no confirmed users' : undefined}
        >
          {users.map((u) => (
            <option key={u.username} value={u.username}>
              {u.attributes?.email ? `${u.attributes.email} (${u.username})` : u.username}
            </option>
          ))}
        </SelectField>
      </Flex>
      <div style={{ height: '70vh', border: '1px solid #ddd' }}>
        {user ? <GraphiQL key={user} fetcher={fetcher} /> : <p>Create and confirm a user on the Users tab first.</p>}
      </div>
    </>
  );
};
