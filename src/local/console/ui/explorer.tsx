import { Flex, SelectField } from '@aws-amplify/ui-react';
import { GraphiQL } from 'graphiql';
import { useMemo, useState } from 'react';
import { post } from './api';
import { Problem, useApi } from './common';

/**
 * GraphiQL, signed in as a user: the console's server obtains that user's
 * tokens from the local user pool and sends each request to the GraphQL
 * server with them, so the owner rules apply as they do for the app.
 */
export const ExplorerPanel = () => {
  const { data, error } = useApi<{
    users: Array<{ username: string; enabled: boolean; status: string; attributes?: Record<string, string> }>;
  }>('/users');
  const users = (data?.users ?? []).filter((u) => u.enabled && u.status === 'CONFIRMED');
  const [as, setAs] = useState<string>();
  const user = as ?? users[0]?.username;
  const fetcher = useMemo(
    () => async (params: { query: string; variables?: unknown; operationName?: string | null }) =>
      user ? post('/graphql', { ...params, as: user }) : { errors: [{ message: 'Pick a confirmed user first.' }] },
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
