import { join } from 'node:path';
import { dynamoDbGuard } from '../dynamodb/access';
import { startEmbeddedDynamoDb } from '../dynamodb/embedded';
import { LOCAL_AWS, type LocalDynamoDb, startDynamoDbLocal } from '../dynamodb/local';
import { startSignedFront } from '../dynamodb/signed-front';
import { NAMES } from '../settings/names';
import type { ServiceContext } from './context';
import { serviceOf } from './registry';

export type DynamoDbKind = 'embedded' | 'local';

export interface RunningDynamoDb {
  db: LocalDynamoDb;
  /** The signed endpoint functions, tools and stream mappings call. */
  front: string;
}

/** The tables' DynamoDB: the embedded store, or DynamoDB Local behind a signature-checking front. */
export const dynamoDbService = (context: ServiceContext, kind: DynamoDbKind) => {
  const { dataDir, ports, credentials } = context;
  let stopFront: (() => Promise<void>) | undefined;
  return serviceOf<RunningDynamoDb>(
    'dynamodb',
    async () => {
      const guard = dynamoDbGuard(credentials, NAMES);
      if (kind === 'embedded') {
        const db = await startEmbeddedDynamoDb({
          dbPath: join(dataDir, 'dynamodb'),
          port: ports.dynamodb,
          guard,
          credentials: credentials.admin,
        });
        return { db, front: db.endpoint };
      }
      const db = await startDynamoDbLocal({ dbPath: join(dataDir, 'dynamodb') });
      try {
        // DynamoDB Local checks no signature and keeps a database per key: a front checks, then uses the local account's.
        const front = await startSignedFront({
          target: db.endpoint,
          guard,
          account: { accessKeyId: LOCAL_AWS.credentials.accessKeyId, region: LOCAL_AWS.region },
          port: ports.dynamodb,
        });
        stopFront = front.stop;
        return { db, front: front.endpoint };
      } catch (error) {
        await db.stop();
        throw error;
      }
    },
    {
      stop: async ({ db }) => {
        await stopFront?.();
        await db.stop();
      },
      info: ({ front }) => ({ url: front }),
    },
  );
};
