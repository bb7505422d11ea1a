import { join } from 'node:path';
import type { CloudAssembly } from '../cloud/assembly';
import { NAMES } from '../settings/names';
import { bucketCorsOf, bucketDeploymentsOf } from '../settings/storage';
import { type LocalStorageOptions, startLocalStorage } from '../storage/server';
import type { ServiceContext } from './context';
import { serviceOf } from './registry';

/**
 * S3 for the buckets of the storage outputs and those BucketDeployments fill
 * (with their files), with the templates' CORS rules and each signer's policies.
 */
export const storageService = (
  context: ServiceContext,
  assembly: CloudAssembly,
  buckets: string[],
  hooks: Pick<LocalStorageOptions, 'authorize' | 'onObjectEvent'>,
) =>
  serviceOf(
    'storage',
    () =>
      startLocalStorage({
        port: context.ports.storage,
        buckets: [...new Set([...buckets, ...bucketDeploymentsOf(assembly).map((o) => o.bucket)])],
        deployed: bucketDeploymentsOf(assembly),
        cors: bucketCorsOf(assembly),
        region: NAMES.region,
        dir: join(context.dataDir, 'storage'),
        tls: context.tls,
        // Identities, functions and the admin, each as its role's policies allow.
        lookup: (accessKeyId) => context.credentials.lookup(accessKeyId)?.secret,
        ...hooks,
      }),
    { stop: (storage) => storage.close(), info: ({ url, endpoint }) => ({ url, endpoint }) },
  );
