import { Alert, Button, Card, Flex, Heading, Text, TextAreaField, TextField } from '@aws-amplify/ui-react';
import { getUrl, uploadData } from 'aws-amplify/storage';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import type { Schema } from '../../amplify/data/resource';
import { data, type Me, messageOf, orThrow, storageOptions } from './amplify';

type Note = Schema['Note']['type'];

const newestFirst = (a: Note, b: Note) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '');

const upsert = (notes: Note[], note: Note): Note[] =>
  [note, ...notes.filter((n) => n.id !== note.id)].sort(newestFirst);

/** A photo by its storage path, through a presigned URL that first checks the object exists. */
const Photo = ({ path }: { path: string }) => {
  const [src, setSrc] = useState<string>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    getUrl({ path, options: { ...storageOptions(), validateObjectExistence: true, expiresIn: 900 } })
      .then(({ url }) => live && setSrc(url.href))
      .catch((e: unknown) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [path]);
  if (error) return <Text color="font.error">photo: {error}</Text>;
  return src ? <img className="photo" data-testid="photo" src={src} alt={path} /> : <Text>loading photo…</Text>;
};

const NoteCard = ({ note, onError }: { note: Note; onError: (message: string) => void }) => {
  const [editing, setEditing] = useState(false);
  const [headline, setHeadline] = useState(note.headline);
  const [text, setText] = useState(note.text ?? '');
  const save = async (event: FormEvent) => {
    event.preventDefault();
    try {
      orThrow(await data().models.Note.update({ id: note.id, headline, text }));
      setEditing(false);
    } catch (e) {
      onError(messageOf(e));
    }
  };
  const remove = async () => {
    try {
      orThrow(await data().models.Note.delete({ id: note.id }));
    } catch (e) {
      onError(messageOf(e));
    }
  };
  return (
    <Card variation="outlined" className="note" data-testid="note" data-headline={note.headline}>
      {editing ? (
        <form onSubmit={save}>
          <TextField label="Headline" value={headline} onChange={(e) => setHeadline(e.target.value)} />
          <TextAreaField label="Text" value={text} onChange={(e) => setText(e.target.value)} />
          <Flex>
            <Button type="submit" variation="primary">
              Save
            </Button>
            <Button onClick={() => setEditing(false)}>Cancel</Button>
          </Flex>
        </form>
      ) : (
        <>
          <Heading level={4}>{note.headline}</Heading>
          {note.text ? <Text className="note-text">{note.text}</Text> : null}
          {note.photoKey ? <Photo path={note.photoKey} /> : null}
          <Flex>
            <Button size="small" onClick={() => setEditing(true)}>
              Edit
            </Button>
            <Button size="small" onClick={() => void remove()}>
              Delete
            </Button>
          </Flex>
        </>
      )}
    </Card>
  );
};

/** The signed-in user's notes: created, edited and deleted here or anywhere else, live. */
export const Notes = ({ me }: { me: Me }) => {
  const [notes, setNotes] = useState<Note[]>([]);
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  const [headline, setHeadline] = useState('');
  const [text, setText] = useState('');
  const [file, setFile] = useState<File>();
  const [progress, setProgress] = useState('');
  const [fileInput, setFileInput] = useState(0);

  const refresh = useCallback(async () => {
    try {
      const items = orThrow(await data().models.Note.listNotesByOwner({ owner: me.owner }, { limit: 100 }));
      setNotes([...items].sort(newestFirst));
      setStatus(`${items.length} note${items.length === 1 ? '' : 's'} loaded at ${new Date().toLocaleTimeString()}`);
      setError('');
    } catch (e) {
      setError(messageOf(e));
    }
  }, [me.owner]);

  useEffect(() => {
    void refresh();
    const report = (e: unknown) => setError(`live updates: ${messageOf(e)}`);
    const subscriptions = [
      data()
        .models.Note.onCreate()
        .subscribe({ next: (note) => setNotes((all) => upsert(all, note)), error: report }),
      data()
        .models.Note.onUpdate()
        .subscribe({ next: (note) => setNotes((all) => upsert(all, note)), error: report }),
      data()
        .models.Note.onDelete()
        .subscribe({ next: (note) => setNotes((all) => all.filter((n) => n.id !== note.id)), error: report }),
    ];
    return () => {
      for (const s of subscriptions) s.unsubscribe();
    };
  }, [refresh]);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    try {
      let photoKey: string | undefined;
      if (file) {
        // Files above 5 MB go up in parts (multipart upload); smaller ones in one PUT.
        const upload = uploadData({
          path: ({ identityId }) => `media/${identityId}/${Date.now()}-${file.name.replace(/[^\w.-]/g, '_')}`,
          data: file,
          options: {
            ...storageOptions(),
            contentType: file.type || 'application/octet-stream',
            onProgress: ({ transferredBytes, totalBytes }) =>
              setProgress(totalBytes ? `${Math.round((100 * transferredBytes) / totalBytes)} %` : ''),
          },
        });
        photoKey = (await upload.result).path;
      }
      const note = orThrow(await data().models.Note.create({ headline, text: text || undefined, photoKey }));
      if (note) setNotes((all) => upsert(all, note));
      setHeadline('');
      setText('');
      setFile(undefined);
      setProgress('');
      setFileInput((n) => n + 1);
      setError('');
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <Flex direction="column">
      <form onSubmit={create} data-testid="new-note">
        <Flex direction="column">
          <TextField
            label="Headline"
            name="headline"
            value={headline}
            onChange={(e) => setHeadline(e.target.value)}
            isRequired
          />
          <TextAreaField label="Text" name="text" value={text} onChange={(e) => setText(e.target.value)} />
          <label>
            Photo{' '}
            <input
              key={fileInput}
              type="file"
              name="photo"
              accept="image/*"
              onChange={(e) => setFile(e.target.files?.[0])}
            />
          </label>
          {progress ? <Text data-testid="progress">uploading {progress}</Text> : null}
          <Flex>
            <Button type="submit" variation="primary">
              Add note
            </Button>
            <Button onClick={() => void refresh()}>Refresh</Button>
          </Flex>
        </Flex>
      </form>
      {error ? (
        <Alert variation="error" data-testid="error">
          {error}
        </Alert>
      ) : null}
      <Text data-testid="notes-status">{status}</Text>
      {notes.map((note) => (
        <NoteCard key={note.id} note={note} onError={setError} />
      ))}
    </Flex>
  );
};

type Hit = { id: string; headline: string; text?: string | null; score?: number | null };

/** Full-text search over the caller's own notes (searchNotes: the stream indexes them within seconds). */
export const Search = () => {
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<Hit[]>();
  const [error, setError] = useState('');
  const search = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const page = orThrow(await data().queries.searchNotes({ query, limit: 20 }));
      setHits(page?.items ?? []);
      setError('');
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <Flex direction="column">
      <form onSubmit={search}>
        <Flex alignItems="flex-end">
          <TextField label="Search my notes" name="query" value={query} onChange={(e) => setQuery(e.target.value)} />
          <Button type="submit">Search</Button>
        </Flex>
      </form>
      {error ? <Alert variation="error">{error}</Alert> : null}
      {hits === undefined ? null : <Text data-testid="hit-count">{hits.length} found</Text>}
      {hits?.map((hit) => (
        <Card key={hit.id} variation="outlined" data-testid="hit">
          <Heading level={5}>{hit.headline}</Heading>
          {hit.text ? <Text>{hit.text}</Text> : null}
        </Card>
      ))}
    </Flex>
  );
};
