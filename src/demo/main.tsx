import '@aws-amplify/ui-react/styles.css';
import { Authenticator, Button, Flex, Heading, Text, View } from '@aws-amplify/ui-react';
import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Account } from './account';
import { loadOutputs, type Me, messageOf, whoAmI } from './amplify';
import { Messages } from './messages';
import { Notes, Search } from './notes';

const TABS = ['Notes', 'Search', 'Messages', 'Account'] as const;
type Tab = (typeof TABS)[number];

/** The signed-in app. Every tab stays mounted, so its live subscriptions keep running while another shows. */
const SignedIn = ({ signOut }: { signOut: () => void }) => {
  const [me, setMe] = useState<Me>();
  const [tab, setTab] = useState<Tab>('Notes');
  const [error, setError] = useState('');
  useEffect(() => {
    whoAmI()
      .then(setMe)
      .catch((e: unknown) => setError(messageOf(e)));
  }, []);
  if (error) return <Text color="font.error">{error}</Text>;
  if (!me) return <Text>Loading…</Text>;
  return (
    <View padding="medium" maxWidth="52rem" margin="0 auto">
      <Flex justifyContent="space-between" alignItems="center">
        <Heading level={3}>Notes demo</Heading>
        <Flex alignItems="center">
          <Text data-testid="signed-in-as">{me.email}</Text>
          <Button size="small" onClick={signOut}>
            Sign out
          </Button>
        </Flex>
      </Flex>
      <Flex as="nav" margin="small 0" role="tablist">
        {TABS.map((name) => (
          <Button
            key={name}
            role="tab"
            aria-selected={tab === name}
            variation={tab === name ? 'primary' : undefined}
            onClick={() => setTab(name)}
          >
            {name}
          </Button>
        ))}
      </Flex>
      <View display={tab === 'Notes' ? 'block' : 'none'}>
        <Notes me={me} />
      </View>
      <View display={tab === 'Search' ? 'block' : 'none'}>
        <Search />
      </View>
      <View display={tab === 'Messages' ? 'block' : 'none'}>
        <Messages me={me} />
      </View>
      <View display={tab === 'Account' ? 'block' : 'none'}>
        <Account me={me} onDeleted={signOut} />
      </View>
    </View>
  );
};

const App = () => (
  <Authenticator loginMechanisms={['email']} signUpAttributes={['email']}>
    {({ signOut, user }) => <SignedIn key={user?.userId} signOut={() => signOut?.()} />}
  </Authenticator>
);

const root = document.getElementById('root');
if (!root) throw new Error('no #root element');
loadOutputs()
  .then(() => createRoot(root).render(<App />))
  .catch((e: unknown) => {
    root.textContent = `Could not load amplify_outputs.json: ${messageOf(e)}`;
  });
