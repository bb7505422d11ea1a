import { Alert, Button, Table, TableBody, TableCell, TableHead, TableRow } from '@aws-amplify/ui-react';
import { type ReactNode, useCallback, useEffect, useState } from 'react';
import { api } from './api';

/** Loads a console API path, reloads on demand, and keeps the last error. */
export const useApi = <T,>(path: string | undefined) => {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const reload = useCallback(() => {
    if (!path) return;
    api<T>(path).then(
      (value) => {
        setData(value);
        setError(undefined);
      },
      (e: Error) => setError(e.message),
    );
  }, [path]);
  useEffect(reload, [reload]);
  return { data, error, reload, setError };
};

/** Runs an action, then reloads; an error shows in the panel. */
export const useAction = (reload: () => void, setError: (message: string | undefined) => void) =>
  useCallback(
    async (action: () => Promise<unknown>) => {
      try {
        await action();
        setError(undefined);
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e));
      }
      reload();
    },
    [reload, setError],
  );

export const Problem = ({ error }: { error?: string }) =>
  error ? (
    <Alert variation="error" marginBottom="small">
      {error}
    </Alert>
  ) : null;

export const Grid = ({ head, rows, label }: { head: string[]; rows: ReactNode[][]; label: string }) => (
  <Table size="small" variation="striped" highlightOnHover aria-label={label}>
    <TableHead>
      <TableRow>
        {head.map((h) => (
          <TableCell as="th" key={h}>
            {h}
          </TableCell>
        ))}
      </TableRow>
    </TableHead>
    <TableBody>
      {rows.length === 0 ? (
        <TableRow>
          <TableCell colSpan={head.length}>nothing yet</TableCell>
        </TableRow>
      ) : (
        rows.map((cells, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are a snapshot of the listing
          <TableRow key={i}>
            {cells.map((cell, j) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: cells are positional
              <TableCell key={j}>{cell}</TableCell>
            ))}
          </TableRow>
        ))
      )}
    </TableBody>
  </Table>
);

export const Refresh = ({ onClick }: { onClick: () => void }) => (
  <Button size="small" onClick={onClick}>
    Refresh
  </Button>
);

export const short = (value: unknown, max = 80): string => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? '' : text.length > max ? `${text.slice(0, max)}…` : text;
};
