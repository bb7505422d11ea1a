import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDbCaller, DynamoDbWire } from './wire';

/** Credentials and region the local backend and its clients use; DynamoDB Local accepts any. */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

export interface LocalDynamoDb {
  endpoint: string;
  client: DynamoDBClient;
  /** DynamoDB's JSON protocol without the SDK, for the resolvers' data path. */
  wire: DynamoDbCaller;
  /** The Java process, for benchmarks and crash tests. */
  pid: number | undefined;
  /** SQLite's journal mode for the data folder ('wal'), or undefined in memory. */
  journal: string | undefined;
  stop(): Promise<void>;
}

export class DynamoDbLocalError extends Error {
  override readonly name = 'DynamoDbLocalError';
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

/**
 * Starts the official DynamoDB Local (the jar shipped inside the
 * amplify-dynamodb-simulator package) on 127.0.0.1, through the small Java
 * launcher beside this file. Data lives in `dbPath`, or in memory without one.
 * On disk, the database of the local account (the only one the backend and
 * its functions use) is switched to SQLite's write-ahead log: see the launcher.
 */
export const startDynamoDbLocal = async (options: { dbPath?: string; port?: number } = {}): Promise<LocalDynamoDb> => {
  const require = createRequire(import.meta.url);
  const emulator = join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
  const launcher = join(dirname(fileURLToPath(import.meta.url)), 'LoopbackDynamoDB.java');
  const port = options.port ?? (await freePort());
  if (options.dbPath) mkdirSync(options.dbPath, { recursive: true });
  const args = [
    `-Djava.library.path=${join(emulator, 'DynamoDBLocal_lib')}`,
    '-cp',
    `${join(emulator, 'DynamoDBLocal.jar')}:${join(emulator, 'DynamoDBLocal_lib', '*')}`,
    launcher,
    '-port',
    String(port),
    '-disableTelemetry',
    ...(options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory']),
    ...(options.dbPath ? ['-journal', `${LOCAL_AWS.credentials.accessKeyId}:${LOCAL_AWS.region}`] : []),
  ];
  let child: ChildProcess;
  try {
    // DynamoDB Local writes a metadata file into its working directory.
    // Its own process group: Ctrl-C reaches only us, and we stop it after the parts that use it.
    child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.dbPath ?? tmpdir(), detached: true });
  } catch (error) {
    throw new DynamoDbLocalError(
      `Could not start Java for DynamoDB Local: ${String(error)}. Install Java 17 or later.`,
    );
  }
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new DynamoDbLocalError(`DynamoDB Local did not start within 60 s:\n${output}`)),
      60_000,
    );
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(
        new DynamoDbLocalError(`Could not run java (${error.message}). DynamoDB Local needs Java 17 or later on PATH.`),
      );
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new DynamoDbLocalError(`DynamoDB Local exited with code ${code}:\n${output}`));
    });
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('DynamoDB Local ready on 127.0.0.1')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
  child.removeAllListeners('exit');
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  const wire = new DynamoDbWire(endpoint, { accessKeyId: LOCAL_AWS.credentials.accessKeyId, region: LOCAL_AWS.region });
  return {
    endpoint,
    client,
    wire,
    pid: child.pid,
    journal: /SQLite journal: (\w+)/.exec(output)?.[1],
    stop: async () => {
      process.removeListener('exit', killOnExit);
      client.destroy();
      wire.destroy();
      // A process killed by a signal has no exit code, only a signal code.
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      });
    },
  };
};
