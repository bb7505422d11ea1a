import { Alert, Button, Card, Flex, Text, TextField } from '@aws-amplify/ui-react';
import { type FormEvent, useEffect, useState } from 'react';
import { data, type Me, messageOf, orThrow } from './amplify';

interface Received {
  id: string;
  sender: string;
  body: string;
  createdAt?: string | null;
}

/**
 * Messages: sendMessage to a user id (the recipient's sub), and the inbox,
 * which onMessageReceived keeps live (the server filters it to the caller).
 */
export const Messages = ({ me }: { me: Me }) => {
  const [inbox, setInbox] = useState<Received[]>([]);
  const [to, setTo] = useState('');
  const [body, setBody] = useState('');
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');

  useEffect(() => {
    data()
      .models.Message.listMessagesByRecipient({ recipient: me.owner }, { limit: 50 })
      .then((result) =>
        setInbox((live) => [...live, ...orThrow(result).filter((m) => !live.some((l) => l.id === m.id))]),
      )
      .catch((e: unknown) => setError(messageOf(e)));
    const subscription = data()
      .subscriptions.onMessageReceived()
      .subscribe({
        next: (message) => {
          if (message) setInbox((all) => [message, ...all.filter((m) => m.id !== message.id)]);
        },
        error: (e: unknown) => setError(`live messages: ${messageOf(e)}`),
      });
    return () => subscription.unsubscribe();
  }, [me.owner]);

  const send = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const sent = orThrow(await data().mutations.sendMessage({ recipientId: to.trim(), body }));
      setStatus(`sent at ${sent?.createdAt ?? new Date().toISOString()}`);
      setBody('');
      setError('');
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <Flex direction="column">
      <Text>
        Your user id (give it to whoever writes to you): <code data-testid="my-id">{me.sub}</code>
      </Text>
      <form onSubmit={send}>
        <Flex direction="column">
          <TextField label="To (user id)" name="to" value={to} onChange={(e) => setTo(e.target.value)} isRequired />
          <TextField label="Message" name="body" value={body} onChange={(e) => setBody(e.target.value)} isRequired />
          <Button type="submit" variation="primary">
            Send
          </Button>
        </Flex>
      </form>
      {status ? <Text data-testid="sent">{status}</Text> : null}
      {error ? <Alert variation="error">{error}</Alert> : null}
      <Text>Inbox</Text>
      {inbox.map((m) => (
        <Card key={m.id} variation="outlined" data-testid="message">
          <Text>{m.body}</Text>
          <Text fontSize="small">from {m.sender}</Text>
        </Card>
      ))}
    </Flex>
  );
};
