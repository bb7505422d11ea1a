import '@aws-amplify/ui-react/styles.css';
import 'graphiql/graphiql.css';
import { Alert, Flex, Heading, Tabs, ThemeProvider, View } from '@aws-amplify/ui-react';
import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { api } from './api';
import { DataPanel } from './data';
import { ExplorerPanel } from './explorer';
import { FunctionsPanel } from './functions';
import { RequestsPanel } from './requests';
import { DeadLettersPanel, FilesPanel, OutboxPanel, SearchPanel } from './state';
import { UsersPanel } from './users';

export interface Overview {
  region: string;
  userPoolId: string;
  models: string[];
  buckets: string[];
  functions: Array<{ id: string; name: string }>;
  graphql: boolean;
}

const PANELS = ['users', 'data', 'files', 'outbox', 'dead-letters', 'search', 'requests', 'graphql', 'functions'];
const LABELS: Record<string, string> = {
  users: 'Users',
  data: 'Data',
  files: 'Files',
  outbox: 'Outbox',
  'dead-letters': 'Dead letters',
  search: 'Search index',
  requests: 'Requests',
  graphql: 'GraphQL',
  functions: 'Functions',
};

const fromHash = () => {
  const name = window.location.hash.replace(/^#/, '');
  return PANELS.includes(name) ? name : 'users';
};

const App = () => {
  const [panel, setPanel] = useState(fromHash);
  const [overview, setOverview] = useState<Overview>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    api<Overview>('/overview').then(setOverview, (e: Error) => setError(e.message));
    const onHash = () => setPanel(fromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const content = (name: string) => {
    if (!overview) return null;
    switch (name) {
      case 'users':
        return <UsersPanel />;
      case 'data':
        return <DataPanel />;
      case 'files':
        return <FilesPanel />;
      case 'outbox':
        return <OutboxPanel />;
      case 'dead-letters':
        return <DeadLettersPanel />;
      case 'search':
        return <SearchPanel />;
      case 'requests':
        return <RequestsPanel />;
      case 'graphql':
        return <ExplorerPanel />;
      default:
        return <FunctionsPanel functions={overview.functions} />;
    }
  };
  return (
    <ThemeProvider>
      <View padding="medium">
        <Flex justifyContent="space-between" alignItems="baseline">
          <Heading level={3}>Local console</Heading>
          {overview && (
            <span data-testid="pool">
              {overview.userPoolId} · {overview.region}
            </span>
          )}
        </Flex>
        {error && <Alert variation="error">{error}</Alert>}
        <Tabs
          value={panel}
          onValueChange={(value) => {
            window.location.hash = value;
            setPanel(value);
          }}
          items={PANELS.map((name) => ({
            label: LABELS[name],
            value: name,
            // Only the open panel is mounted: each loads its state when shown.
            content: panel === name ? <View paddingTop="medium">{content(name)}</View> : null,
          }))}
        />
      </View>
    </ThemeProvider>
  );
};

const root = document.getElementById('root');
if (root) createRoot(root).render(<App />);
