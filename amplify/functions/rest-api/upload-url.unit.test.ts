import { describe, expect, it } from 'vitest';
import { verifySigV4 } from '../../../src/local/storage/sigv4';
import { presignPut } from './upload-url';

const credentials = { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session' };
const settings = { region: 'us-east-1', bucketName: 'media.local', expiresInSeconds: 900 };

describe('presignPut', () => {
  it('signs a PUT that an S3 signature check accepts, the identity id encoded once', async () => {
    // Prepare
    const now = new Date();
    // Act
    const url = new URL(
      await presignPut(
        { ...settings, s3Endpoint: 'https://127.0.0.1:9999' },
        credentials,
        'media/us-east-1:ab-12/c d.jpg',
        now,
      ),
    );
    // Assess
    expect(url.pathname).toBe('/media.local/media/us-east-1%3Aab-12/c%20d.jpg');
    const verified = verifySigV4(
      { method: 'PUT', path: url.pathname, query: url.search.slice(1), headers: { host: url.host } },
      (key) => (key === credentials.accessKeyId ? credentials : undefined),
      { region: 'us-east-1', service: 's3' },
      now.getTime(),
    );
    expect(verified.accessKeyId).toBe(credentials.accessKeyId);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('session');
  });

  it('addresses the bucket by host in the cloud', async () => {
    const url = new URL(await presignPut(settings, credentials, 'media/x/a.jpg', new Date()));
    expect(url.host).toBe('media.local.s3.us-east-1.amazonaws.com');
    expect(url.pathname).toBe('/media/x/a.jpg');
  });
});
