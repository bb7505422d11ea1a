import { Alert, Button, Flex, Heading, Text, TextField } from '@aws-amplify/ui-react';
import {
  deleteUser,
  fetchMFAPreference,
  fetchUserAttributes,
  setUpTOTP,
  updateMFAPreference,
  updatePassword,
  updateUserAttributes,
  verifyTOTPSetup,
} from 'aws-amplify/auth';
import { type FormEvent, useEffect, useState } from 'react';
import { type Me, messageOf } from './amplify';

/** TOTP: a secret to put in an authenticator app, one code to prove it, then TOTP at every sign-in. */
const Totp = ({ email }: { email: string }) => {
  const [enabled, setEnabled] = useState<boolean>();
  const [secret, setSecret] = useState('');
  const [uri, setUri] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState('');
  useEffect(() => {
    fetchMFAPreference()
      .then((p) => setEnabled(p.enabled?.includes('TOTP') ?? false))
      .catch((e: unknown) => setError(messageOf(e)));
  }, []);
  const start = async () => {
    try {
      const details = await setUpTOTP();
      setSecret(details.sharedSecret);
      setUri(details.getSetupUri('Amplify demo', email).href);
      setError('');
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const verify = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await verifyTOTPSetup({ code });
      await updateMFAPreference({ totp: 'PREFERRED' });
      setEnabled(true);
      setSecret('');
      setCode('');
      setError('');
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <Flex direction="column">
      <Heading level={4}>Two-factor sign-in (TOTP)</Heading>
      <Text data-testid="totp-status">{enabled === undefined ? '…' : enabled ? 'TOTP is on' : 'TOTP is off'}</Text>
      {secret ? (
        <form onSubmit={verify}>
          <Text>
            Secret: <code data-testid="totp-secret">{secret}</code>
          </Text>
          <Text fontSize="small">{uri}</Text>
          <TextField
            label="Code from the app"
            name="totp-code"
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
          <Button type="submit" variation="primary">
            Verify and turn on
          </Button>
        </form>
      ) : enabled ? null : (
        <Button onClick={() => void start()}>Set up TOTP</Button>
      )}
      {error ? <Alert variation="error">{error}</Alert> : null}
    </Flex>
  );
};

export const Account = ({ me, onDeleted }: { me: Me; onDeleted: () => void }) => {
  const [name, setName] = useState('');
  const [oldPassword, setOldPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  useEffect(() => {
    fetchUserAttributes()
      .then((a) => setName(a.name ?? ''))
      .catch((e: unknown) => setError(messageOf(e)));
  }, []);
  const act = (what: string, run: () => Promise<unknown>) => async (event?: FormEvent) => {
    event?.preventDefault();
    try {
      await run();
      setStatus(what);
      setError('');
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <Flex direction="column">
      <Totp email={me.email} />
      <Heading level={4}>Profile</Heading>
      <form onSubmit={act('Name saved', () => updateUserAttributes({ userAttributes: { name } }))}>
        <Flex alignItems="flex-end">
          <TextField label="Name" name="name" value={name} onChange={(e) => setName(e.target.value)} />
          <Button type="submit">Save name</Button>
        </Flex>
      </form>
      <Heading level={4}>Password</Heading>
      <form
        onSubmit={act('Password changed', async () => {
          await updatePassword({ oldPassword, newPassword });
          setOldPassword('');
          setNewPassword('');
        })}
      >
        <Flex direction="column">
          <TextField
            label="Current password"
            name="old-password"
            type="password"
            value={oldPassword}
            onChange={(e) => setOldPassword(e.target.value)}
          />
          <TextField
            label="New password"
            name="new-password"
            type="password"
            value={newPassword}
            onChange={(e) => setNewPassword(e.target.value)}
          />
          <Button type="submit">Change password</Button>
        </Flex>
      </form>
      {status ? <Text data-testid="account-status">{status}</Text> : null}
      {error ? <Alert variation="error">{error}</Alert> : null}
      <Heading level={4}>Delete account</Heading>
      <Button
        variation="destructive"
        onClick={() => {
          if (!window.confirm('Delete your account and sign out?')) return;
          void act('Account deleted', async () => {
            await deleteUser();
            onDeleted();
          })();
        }}
      >
        Delete my account
      </Button>
    </Flex>
  );
};
