// Runs in headless Chromium (bundled by storage.browser.integration.test.ts): the real Amplify Storage client
// against the local S3, cross-origin, so every call goes through the browser's CORS checks.
import { Amplify } from 'aws-amplify';
import { downloadData, getUrl, list, remove, uploadData } from 'aws-amplify/storage';

interface Setup {
  endpoint: string;
  bucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
}

const run = async (setup: Setup, bucket: string): Promise<Record<string, unknown>> => {
  Amplify.configure(
    { Storage: { S3: { bucket, region: 'us-east-1' } } },
    {
      Auth: {
        credentialsProvider: {
          getCredentialsAndIdentityId: async () => ({
            credentials: setup.credentials,
            identityId: 'us-east-1:00000000-0000-0000-0000-000000000000',
          }),
          clearCredentialsAndIdentityId: () => {},
        },
      },
    },
  );
  // customEndpoint is read at runtime though Amplify's types leave it out (as in src/client/local.ts).
  const options: Record<never, never> = { customEndpoint: setup.endpoint };
  const single = await uploadData({ path: 'own/browser.txt', data: 'uploaded from a browser', options }).result;
  const big = new Uint8Array(6 * 1024 * 1024).map((_, i) => i % 251);
  const multipart = await uploadData({ path: 'own/browser-big.bin', data: big, options }).result;
  const { url } = await getUrl({ path: 'own/browser.txt', options: { ...options, validateObjectExistence: true } });
  const fetched = await (await fetch(url)).text();
  let missing = 'found';
  try {
    await getUrl({ path: 'own/none.txt', options: { ...options, validateObjectExistence: true } });
  } catch (error) {
    missing = error instanceof Error ? error.name : String(error);
  }
  const listed = await list({ path: 'own/', options });
  const folders = await list({ path: '', options: { ...options, subpathStrategy: { strategy: 'exclude' } } });
  const downloaded = await (await downloadData({ path: 'own/browser.txt', options }).result).body.text();
  await remove({ path: 'own/browser.txt', options });
  const afterRemove = await list({ path: 'own/', options });
  return {
    singleEtag: single.eTag,
    multipartEtag: multipart.eTag,
    fetched,
    missing,
    listed: listed.items.map((i) => i.path),
    folders: folders.excludedSubpaths,
    downloaded,
    afterRemove: afterRemove.items.map((i) => i.path),
  };
};

const attempt = async (setup: Setup, bucket: string): Promise<Record<string, unknown>> => {
  try {
    return await run(setup, bucket);
  } catch (error) {
    return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
};

Object.assign(globalThis, { storageTest: attempt });
