import { Badge, Button, Flex, SelectField, TextField } from '@aws-amplify/ui-react';
import { useState } from 'react';
import { post } from './api';
import { Grid, Problem, Refresh, useAction, useApi } from './common';

interface User {
  username: string;
  status: string;
  enabled: boolean;
  attributes: Record<string, string>;
  groups: string[];
}

export const UsersPanel = () => {
  const { data, error, reload, setError } = useApi<{ users: User[]; groups: string[] }>('/users');
  const act = useAction(reload, setError);
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [group, setGroup] = useState<Record<string, string>>({});
  const groups = data?.groups ?? [];
  const user = (name: string) => `/users/${encodeURIComponent(name)}`;
  return (
    <>
      <Problem error={error} />
      <Flex
        as="form"
        alignItems="flex-end"
        wrap="wrap"
        marginBottom="medium"
        onSubmit={(e) => {
          e.preventDefault();
          void act(() =>
            post('/users', {
              username,
              attributes: email ? { email, email_verified: 'true' } : {},
              ...(password ? { password } : {}),
            }),
          ).then(() => {
            setUsername('');
            setEmail('');
            setPassword('');
          });
        }}
      >
        <TextField label="Username" name="username" value={username} onChange={(e) => setUsername(e.target.value)} />
        <TextField label="Email" name="email" value={email} onChange={(e) => setEmail(e.target.value)} />
        <TextField
          label="Password (permanent; empty: a temporary one)"
          name="password"
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <Button type="submit" variation="primary">
          Create user
        </Button>
        <Refresh onClick={reload} />
      </Flex>
      <Grid
        label="users"
        head={['Username', 'Email', 'Status', 'Enabled', 'Groups', 'Actions']}
        rows={(data?.users ?? []).map((u) => [
          u.username,
          u.attributes.email ?? '',
          u.status,
          u.enabled ? 'yes' : 'no',
          <Flex key="groups" gap="xs" wrap="wrap">
            {u.groups.map((g) => (
              <Badge
                key={g}
                title="remove from group"
                onClick={() => act(() => post(`${user(u.username)}/groups/${encodeURIComponent(g)}`, {}, 'DELETE'))}
              >
                {g} ✕
              </Badge>
            ))}
          </Flex>,
          <Flex key="actions" gap="xs" wrap="wrap" alignItems="flex-end">
            {u.status === 'UNCONFIRMED' && (
              <Button size="small" onClick={() => act(() => post(`${user(u.username)}/confirm`))}>
                Confirm
              </Button>
            )}
            <Button
              size="small"
              onClick={() => act(() => post(`${user(u.username)}/${u.enabled ? 'disable' : 'enable'}`))}
            >
              {u.enabled ? 'Disable' : 'Enable'}
            </Button>
            {groups.length > 0 && (
              <>
                <SelectField
                  label="group"
                  labelHidden
                  size="small"
                  value={group[u.username] ?? groups[0]}
                  onChange={(e) => setGroup({ ...group, [u.username]: e.target.value })}
                  options={groups}
                />
                <Button
                  size="small"
                  onClick={() =>
                    act(() => post(`${user(u.username)}/groups`, { group: group[u.username] ?? groups[0] }))
                  }
                >
                  Add to group
                </Button>
              </>
            )}
            <Button
              size="small"
              variation="warning"
              onClick={() => window.confirm(`Delete ${u.username}?`) && act(() => post(user(u.username), {}, 'DELETE'))}
            >
              Delete
            </Button>
          </Flex>,
        ])}
      />
    </>
  );
};
