import { describe, expect, it } from 'vitest';
import { type ConflictEvent, type Item, isVersionless, resolveConflict } from './core';

const stored: Item = {
  id: 'n-1',
  headline: 'On the server',
  text: 'server text',
  tags: ['a'],
  owner: 'sub::ada',
  _version: 3,
  _lastChangedAt: 1000,
};

/** An update conflict as AppSync passes it: newItem is the stored item with the mutation applied. */
const updateEvent = (input: Item, existingItem: Item | null = stored): ConflictEvent => {
  const next: Item = { ...(existingItem ?? {}) };
  for (const [key, value] of Object.entries(input)) {
    if (value === null) delete next[key];
    else if (key !== '_version') next[key] = value;
  }
  return {
    newItem: { ...next, updatedAt: '2026-12-01T10:00:00.000Z' },
    existingItem,
    arguments: { input },
    resolver: { field: 'updateNote', parentType: 'Mutation', tableName: 'Note', outputType: 'Note' },
    identity: { sub: 'sub', username: 'ada' },
  };
};

const deleteEvent = (input: Item, existingItem: Item | null = stored): ConflictEvent => ({
  newItem: null,
  existingItem,
  arguments: { input },
  resolver: { field: 'deleteNote', parentType: 'Mutation' },
});

describe('resolveConflict', () => {
  it('applies a versionless update over the stored item (last writer wins), keeping what it does not name', () => {
    // Prepare
    const event = updateEvent({ id: 'n-1', headline: 'From client.models' });
    // Act
    const resolution = resolveConflict(event);
    // Assess
    expect(resolution).toEqual({
      action: 'RESOLVE',
      item: {
        id: 'n-1',
        headline: 'From client.models',
        text: 'server text',
        tags: ['a'],
        owner: 'sub::ada',
        updatedAt: '2026-12-01T10:00:00.000Z',
        _version: 3,
      },
    });
  });

  it('removes a field a versionless update sets to null', () => {
    const resolution = resolveConflict(updateEvent({ id: 'n-1', text: null }));
    expect(resolution.action).toBe('RESOLVE');
    expect(resolution.action === 'RESOLVE' && 'text' in resolution.item).toBe(false);
  });

  it('merges a stale versioned update as AUTOMERGE does: server scalars win, lists concatenate, new fields are taken', () => {
    const resolution = resolveConflict(
      updateEvent({ id: 'n-1', headline: 'Offline edit', tags: ['b'], photoKey: 'media/p.jpg', _version: 2 }),
    );
    expect(resolution).toEqual({
      action: 'RESOLVE',
      item: expect.objectContaining({
        headline: 'On the server',
        tags: ['a', 'b'],
        photoKey: 'media/p.jpg',
        _version: 3,
      }),
    });
  });

  it('removes the item on a versionless delete and rejects a stale versioned one (DataStore retries with the server version)', () => {
    expect(resolveConflict(deleteEvent({ id: 'n-1' }))).toEqual({ action: 'REMOVE' });
    expect(resolveConflict(deleteEvent({ id: 'n-1', _version: 1 }))).toEqual({ action: 'REJECT' });
  });

  it('never writes over a soft-deleted item or resolves without a stored one', () => {
    const deleted = { ...stored, _deleted: true };
    expect(resolveConflict(updateEvent({ id: 'n-1', headline: 'Resurrect' }, deleted))).toEqual({ action: 'REJECT' });
    expect(resolveConflict(deleteEvent({ id: 'n-1' }, deleted))).toEqual({ action: 'REJECT' });
    expect(resolveConflict(updateEvent({ id: 'n-1', headline: 'x' }, null))).toEqual({ action: 'REJECT' });
  });

  it('never lets the resolution set the sync fields itself', () => {
    const resolution = resolveConflict(updateEvent({ id: 'n-1', headline: 'x', _deleted: true }));
    expect(resolution.action === 'RESOLVE' && resolution.item).not.toHaveProperty('_deleted');
    expect(resolution.action === 'RESOLVE' && resolution.item._version).toBe(3);
  });
});

describe('isVersionless', () => {
  it('reads _version from the mutation input', () => {
    expect(isVersionless({ arguments: { input: { id: 'x' } } })).toBe(true);
    expect(isVersionless({ arguments: { input: { id: 'x', _version: null } } })).toBe(true);
    expect(isVersionless({ arguments: { input: { id: 'x', _version: 0 } } })).toBe(false);
  });
});
