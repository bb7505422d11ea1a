import { describe, expect, it } from 'vitest';
import {
  deltaSyncEntry,
  firstVersion,
  type SyncSettings,
  softDeleteUpdate,
  syncSettingsFrom,
} from './versioned-writes';

const settings: SyncSettings = {
  deltaSyncTableName: 'AmplifyDataStore-x-NONE',
  deltaSyncTableTtlMinutes: 30,
  baseTableTtlMinutes: 43200,
};
const NOW = new Date('2026-12-01T09:15:42.123Z');

describe('versioned writes', () => {
  it('keys a DeltaSync entry by table and day, then time, id and version, with the DeltaSync TTL', () => {
    // Prepare
    const item = firstVersion({ id: 'u-1', displayName: 'Ada' }, NOW);
    // Act
    const entry = deltaSyncEntry('UserProfile-x-NONE', item, settings);
    // Assess
    expect(entry).toEqual({
      id: 'u-1',
      displayName: 'Ada',
      _version: 1,
      _lastChangedAt: NOW.getTime(),
      ds_pk: 'UserProfile-x-NONE:2026-12-01',
      ds_sk: '09:15:42.123:u-1:1',
      _ttl: Math.floor(NOW.getTime() / 1000) + 30 * 60,
    });
  });

  it('refuses an item without _lastChangedAt', () => {
    expect(() => deltaSyncEntry('T', { id: 'x', _version: 1, _lastChangedAt: undefined }, settings)).toThrow(
      /_lastChangedAt/,
    );
  });

  it('soft-deletes only the version it saw, leaving a tombstone for the base table TTL', () => {
    const update = softDeleteUpdate('Device-x-NONE', 'd-1', 4, NOW, settings);
    expect(update.ConditionExpression).toBe('attribute_exists(id) AND #version = :seen');
    expect(update.ExpressionAttributeValues).toMatchObject({
      ':true': true,
      ':seen': 4,
      ':now': NOW.getTime(),
      ':ttl': Math.floor(NOW.getTime() / 1000) + 43200 * 60,
    });
    expect(update.UpdateExpression).toContain('#version = #version + :one');
  });

  it('reads the TTLs from the environment and names a missing one', () => {
    expect(syncSettingsFrom({ DELTASYNC_TABLE_TTL_MINUTES: '30', BASE_TABLE_TTL_MINUTES: '43200' }, 'Delta')).toEqual({
      deltaSyncTableName: 'Delta',
      deltaSyncTableTtlMinutes: 30,
      baseTableTtlMinutes: 43200,
    });
    expect(() => syncSettingsFrom({ DELTASYNC_TABLE_TTL_MINUTES: '30' }, 'Delta')).toThrow(/BASE_TABLE_TTL_MINUTES/);
  });
});
