import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalBackend } from './backend';
import { syntheticAssembly } from './settings/test-assembly';
import { UnsupportedFeatureError } from './settings/unsupported';

/** True when nothing listens on the port (the start left no server behind). */
const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

describe('a start on an assembly with features the local backend lacks', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('stops before any service starts, naming each feature and the resource that uses it', async () => {
    // Prepare: SNS mobile push (a platform application) and a relational database data source (a.sql), beside a user pool the backend could run
    const { assembly, remove } = syntheticAssembly({
      Resources: {
        Pool: { Type: 'AWS::Cognito::UserPool', Properties: {} },
        Push: { Type: 'AWS::SNS::PlatformApplication', Properties: {} },
        Sql: { Type: 'AWS::AppSync::DataSource', Properties: { Type: 'RELATIONAL_DATABASE', Name: 'sql' } },
      },
    });
    cleanups.push(remove);
    const dataDir = mkdtempSync(join(tmpdir(), 'local-unsupported-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const graphqlPort = 20_000 + Math.floor(Math.random() * 20_000);
    // Act
    const started = createLocalBackend({
      assemblyDir: assembly.dir,
      dataDir,
      tlsDir: join(dataDir, 'tls'),
      outputsFile: false,
      ports: { graphql: graphqlPort },
    });
    // Assess
    const error = await started.then(
      (backend) => backend.dispose().then(() => undefined),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnsupportedFeatureError);
    const message = error instanceof Error ? error.message : '';
    expect(message).toMatch(/these 2 features/);
    expect(message).toContain('AWS::SNS::PlatformApplication root/Push');
    expect(message).toContain('an AppSync data source of type RELATIONAL_DATABASE: AWS::AppSync::DataSource root/Sql');
    // Nothing started: no DynamoDB files, no TLS material, the port is free.
    expect(readdirSync(dataDir).filter((f) => f !== 'admin-credentials.json')).toEqual([]);
    expect(await portFree(graphqlPort)).toBe(true);
  });
});
