import { describe, expect, it } from 'vitest';
import { type NotificationSpec, type ObjectEvent, s3Event, wants } from './notifications';

const upload: ObjectEvent = {
  bucket: 'files.local',
  key: 'public/My photo ü.jpg',
  eventName: 'ObjectCreated:Put',
  size: 6,
  eTag: '"abc123"',
  principalId: 'AWS:AKIALOCAL',
  sourceIp: '127.0.0.1',
};

describe('S3 event notifications', () => {
  it('matches event types with wildcards, and key prefix and suffix filters', () => {
    const spec: NotificationSpec = { bucket: 'files.local', functionId: 'fn', events: ['s3:ObjectCreated:*'] };
    expect(wants(spec, upload)).toBe(true);
    expect(wants(spec, { ...upload, eventName: 'ObjectCreated:CompleteMultipartUpload' })).toBe(true);
    expect(wants(spec, { ...upload, eventName: 'ObjectRemoved:Delete' })).toBe(false);
    expect(wants(spec, { ...upload, bucket: 'other.local' })).toBe(false);
    expect(
      wants({ ...spec, events: ['s3:ObjectRemoved:Delete'] }, { ...upload, eventName: 'ObjectRemoved:Delete' }),
    ).toBe(true);
    expect(wants({ ...spec, prefix: 'public/', suffix: '.jpg' }, upload)).toBe(true);
    expect(wants({ ...spec, prefix: 'private/' }, upload)).toBe(false);
    expect(wants({ ...spec, suffix: '.png' }, upload)).toBe(false);
  });

  it("builds S3's event message: URL-encoded key with + for spaces, unquoted ETag, the principal", () => {
    const { Records } = s3Event(upload, 'us-east-1', new Date('2026-12-01T10:00:00.000Z'));
    expect(Records).toEqual([
      expect.objectContaining({
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: '2026-12-01T10:00:00.000Z',
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:AKIALOCAL' },
        s3: expect.objectContaining({
          bucket: expect.objectContaining({ name: 'files.local', arn: 'arn:aws:s3:::files.local' }),
          object: expect.objectContaining({ key: 'public/My+photo+%C3%BC.jpg', size: 6, eTag: 'abc123' }),
        }),
      }),
    ]);
    // What handlers (the fixture's, AWS's examples) do to read the key back.
    expect(decodeURIComponent('public/My+photo+%C3%BC.jpg'.replace(/\+/g, ' '))).toBe(upload.key);
  });
});
