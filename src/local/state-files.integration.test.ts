import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect } from 'node:tls';
import { CloudSearchDomainClient, UploadDocumentsCommand } from '@aws-sdk/client-cloudsearch-domain';
import { CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserStore } from './auth/users';
import { startEmbeddedDynamoDb } from './dynamodb/embedded';
import type { LocalDynamoDb } from './dynamodb/local';
import { LocalFunction } from './functions/runner';
import { LocalCredentials } from './iam/credentials';
import { Outbox } from './outbox';
import { readJsonLines } from './private-files';
import { startLocalSearch } from './search/server';
import { DeadLetterQueue, StreamMapping } from './streams';
import { loadOrCreateTls, NAME_CONSTRAINTS_OID } from './tls';

const dir = mkdtempSync(join(tmpdir(), 'state-files-'));
const modeOf = (path: string): number => statSync(path).mode & 0o777;

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('JSON-lines state files', () => {
  it('drops a torn last line of the outbox, keeps the rest, and appends on a clean line, owner-only', () => {
    // Prepare: two messages, then a kill in the middle of the third, in a file an older version made 0644.
    const file = join(dir, 'outbox', 'outbox.jsonl');
    const first = new Outbox(file);
    first.add({ channel: 'email', to: 'ada@example.com', kind: 'verification', code: '111111', body: {} });
    first.add({ channel: 'email', to: 'bob@example.com', kind: 'verification', code: '222222', body: {} });
    appendFileSync(file, '{"id":3,"at":"2026-12-01T00:00:00.000Z","channel":"em');
    chmodSync(file, 0o644);
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (message: string) => warnings.push(message);
    // Act
    let outbox: Outbox;
    try {
      outbox = new Outbox(file);
    } finally {
      console.warn = warn;
    }
    outbox.add({ channel: 'email', to: 'eve@example.com', kind: 'verification', code: '333333', body: {} });
    // Assess
    expect(outbox.list().map((m) => m.to)).toEqual(['ada@example.com', 'bob@example.com', 'eve@example.com']);
    expect(outbox.latestCode('eve@example.com')).toBe('333333');
    expect(warnings.join('\n')).toContain('cut short');
    expect(
      readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line).id),
    ).toEqual([1, 2, 3]);
    expect(modeOf(file)).toBe(0o600);
    expect(modeOf(join(dir, 'outbox'))).toBe(0o700);
    expect(new Outbox(file).list()).toHaveLength(3);
  });

  it('keeps a last line that is whole but lacks its newline, and skips a damaged line before it', () => {
    const file = join(dir, 'lines.jsonl');
    writeFileSync(file, '{"a":1}\nnot json\n{"a":3}');
    const warnings: string[] = [];
    expect(readJsonLines(file, (m) => warnings.push(m))).toEqual([{ a: 1 }, { a: 3 }]);
    expect(warnings).toHaveLength(1);
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\nnot json\n{"a":3}\n');
  });

  it('writes dead letters owner-only', () => {
    const file = join(dir, 'dead-letters.jsonl');
    writeFileSync(file, '', { mode: 0o644 });
    chmodSync(file, 0o644);
    const warn = console.warn;
    console.warn = () => {};
    try {
      new DeadLetterQueue(file).add({ mapping: 'm', at: 'now', reason: 'r', sequenceNumbers: ['1'], keys: [] });
    } finally {
      console.warn = warn;
    }
    expect(modeOf(file)).toBe(0o600);
    expect(readJsonLines(file)).toHaveLength(1);
  });
});

describe('replaced state files', () => {
  it('keeps the search documents and the users owner-only, existing files too', async () => {
    const documents = join(dir, 'search', 'documents.json');
    // The search endpoint takes only signed requests: the local admin signs these.
    const credentials = new LocalCredentials({
      file: join(dir, 'admin-credentials.json'),
      region: 'us-east-1',
      accountId: '000000000000',
      policies: () => new Map(),
    });
    const access = {
      domainArn: 'arn:aws:cloudsearch:us-east-1:000000000000:domain/notes',
      verify: credentials.verify,
      authorize: credentials.authorize,
      arnOf: credentials.arnOf.bind(credentials),
    };
    const search = await startLocalSearch({ textFields: ['text'], file: documents, access });
    const client = new CloudSearchDomainClient({
      endpoint: search.url,
      region: 'us-east-1',
      credentials: credentials.admin,
    });
    const upload = await client.send(
      new UploadDocumentsCommand({
        contentType: 'application/json',
        documents: JSON.stringify([{ type: 'add', id: 'n1', fields: { text: 'private note' } }]),
      }),
    );
    expect(upload.status).toBe('success');
    client.destroy();
    await search.close();
    expect(modeOf(documents)).toBe(0o600);
    chmodSync(documents, 0o644);
    const reopened = await startLocalSearch({ textFields: ['text'], file: documents, access });
    expect(reopened.count()).toBe(1);
    await reopened.close();
    expect(modeOf(documents)).toBe(0o600);

    const users = join(dir, 'auth', 'state.json');
    mkdirSync(join(dir, 'auth'), { mode: 0o755 });
    chmodSync(join(dir, 'auth'), 0o755);
    new UserStore(users).putRefresh('t', { username: 'u', clientId: 'c', authTime: 0, originJti: 'j' });
    expect(modeOf(users)).toBe(0o600);
    expect(modeOf(join(dir, 'auth'))).toBe(0o700);
    chmodSync(users, 0o644);
    expect(new UserStore(users).getRefresh('t')?.username).toBe('u');
    expect(modeOf(users)).toBe(0o600);
  });
});

describe('stream checkpoints', () => {
  let dynamodb: LocalDynamoDb;
  let fn: LocalFunction;
  const logFile = join(dir, 'invocations.jsonl');

  beforeAll(async () => {
    dynamodb = await startEmbeddedDynamoDb();
    fn = new LocalFunction({
      name: 'stream-handler',
      entry: resolve('src/local/test-fixtures/stream-handler.mjs'),
      handler: 'index.handler',
      timeoutSeconds: 5,
      env: { LOG_FILE: logFile },
    });
  });

  afterAll(async () => {
    await fn.stop();
    await dynamodb.stop();
  });

  it('starts from the oldest record when the checkpoint file is empty or damaged, and writes a whole one', async () => {
    // Prepare
    await dynamodb.client.send(
      new CreateTableCommand({
        TableName: 'Checkpointed',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
    for (const id of ['a', 'b', 'c'])
      await dynamodb.client.send(new PutItemCommand({ TableName: 'Checkpointed', Item: { id: { S: id } } }));
    const checkpoint = join(dir, 'streams', 'checkpointed.json');
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (message: string) => warnings.push(message);
    try {
      for (const damaged of ['', '{"shardId-1":']) {
        writeFileSync(logFile, '');
        rmSync(checkpoint, { force: true });
        // Act
        mkdirSync(join(dir, 'streams'), { recursive: true });
        writeFileSync(checkpoint, damaged, { mode: 0o644 });
        const mapping = new StreamMapping(
          {
            id: 'checkpointed',
            tableName: 'Checkpointed',
            fn,
            batchSize: 10,
            batchingWindowMs: 0,
            reportBatchItemFailures: true,
            bisectOnError: false,
            maxRetries: 0,
            filters: [],
          },
          dynamodb.client,
          dynamodb.endpoint,
          'us-east-1',
          checkpoint,
          new DeadLetterQueue().add,
        );
        mapping.start();
        for (let i = 0; i < 100 && mapping.processed < 3; i += 1) await new Promise((r) => setTimeout(r, 50));
        await mapping.stop();
        // Assess: every record delivered, and the checkpoint is a whole, owner-only file.
        expect(mapping.processed).toBe(3);
        expect(readJsonLines(logFile).flat()).toEqual(['a', 'b', 'c']);
        const saved: unknown = JSON.parse(readFileSync(checkpoint, 'utf8'));
        expect(Object.values(saved ?? {}).length).toBeGreaterThan(0);
        expect(modeOf(checkpoint)).toBe(0o600);
      }
    } finally {
      console.warn = warn;
    }
    expect(warnings.filter((w) => w.includes('empty or damaged'))).toHaveLength(2);
  });
});

/** The permitted subtrees of a DER NameConstraints value, as [tag, bytes] pairs. */
const permittedSubtrees = (value: ArrayBuffer): Array<[number, Buffer]> => {
  const bytes = Buffer.from(value);
  const read = (at: number): { tag: number; start: number; end: number } => {
    const tag = bytes[at] ?? 0;
    const first = bytes[at + 1] ?? 0;
    const lengthBytes = first & 0x80 ? first & 0x7f : 0;
    let length = first & 0x80 ? 0 : first;
    for (let i = 0; i < lengthBytes; i += 1) length = length * 256 + (bytes[at + 2 + i] ?? 0);
    const start = at + 2 + lengthBytes;
    return { tag, start, end: start + length };
  };
  const outer = read(0);
  expect(outer.tag).toBe(0x30);
  const permitted = read(outer.start);
  expect(permitted.tag).toBe(0xa0);
  const names: Array<[number, Buffer]> = [];
  for (let at = permitted.start; at < permitted.end; ) {
    const subtree = read(at);
    const name = read(subtree.start);
    names.push([name.tag, bytes.subarray(name.start, name.end)]);
    at = subtree.end;
  }
  return names;
};

describe('the local CA', () => {
  it('is name-constrained to localhost, 127.0.0.0/8 and ::1, critically', async () => {
    const tls = await loadOrCreateTls(join(dir, 'tls'));
    const ca = new x509.X509Certificate(tls.ca);
    const extension = ca.getExtension(NAME_CONSTRAINTS_OID);
    expect(extension?.critical).toBe(true);
    const names = permittedSubtrees(extension?.value ?? new ArrayBuffer(0));
    expect(names.map(([tag, value]) => [tag, tag === 0x82 ? value.toString('ascii') : value.toString('hex')])).toEqual([
      [0x82, 'localhost'],
      [0x87, '7f000000ff000000'],
      [0x87, `${'00'.repeat(15)}01${'ff'.repeat(16)}`],
    ]);
    expect(modeOf(join(dir, 'tls', 'ca-key.pem'))).toBe(0o600);
    expect(modeOf(join(dir, 'tls', 'server-key.pem'))).toBe(0o600);
    expect(modeOf(join(dir, 'tls'))).toBe(0o700);
    expect(new X509Certificate(tls.cert).checkIssued(new X509Certificate(tls.ca))).toBe(true);
  });

  it('is replaced, with a new server certificate, when an older version made it without constraints', async () => {
    // Prepare: the files an older version wrote, a CA without NameConstraints.
    const tlsDir = join(dir, 'old-tls');
    const current = await loadOrCreateTls(tlsDir);
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const unconstrained = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=Amplify mobile backend local CA',
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86_400_000 * 365),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      keys,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
    });
    writeFileSync(join(tlsDir, 'ca.pem'), unconstrained.toString('pem'));
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (message: string) => warnings.push(message);
    // Act
    let replaced: Awaited<ReturnType<typeof loadOrCreateTls>>;
    try {
      replaced = await loadOrCreateTls(tlsDir);
    } finally {
      console.warn = warn;
    }
    // Assess
    expect(warnings.join('\n')).toContain('no name constraints');
    expect(new x509.X509Certificate(replaced.ca).getExtension(NAME_CONSTRAINTS_OID)?.critical).toBe(true);
    expect(replaced.cert).not.toBe(current.cert);
    expect(new X509Certificate(replaced.cert).checkIssued(new X509Certificate(replaced.ca))).toBe(true);
    expect((await loadOrCreateTls(tlsDir)).ca).toBe(replaced.ca);
  });

  it('makes TLS clients refuse a certificate it signs for a name outside the constraints', async () => {
    // Prepare: a certificate for example.com signed with the CA's own key, as a leaked key could.
    const tlsDir = join(dir, 'tls');
    const tls = await loadOrCreateTls(tlsDir);
    const pkcs8 = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const caKey = await crypto.subtle.importKey(
      'pkcs8',
      pkcs8(readFileSync(join(tlsDir, 'ca-key.pem'), 'utf8')),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign'],
    );
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const ca = new x509.X509Certificate(tls.ca);
    const forged = await x509.X509CertificateGenerator.create({
      serialNumber: '02',
      subject: 'CN=example.com',
      issuer: ca.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      publicKey: keys.publicKey,
      signingKey: caKey,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'example.com' }])],
    });
    const forgedKey = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
    const handshake = async (cert: string, key: string, servername: string): Promise<string> => {
      const server = createServer({ cert, key });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      try {
        return await new Promise<string>((done) => {
          const socket = connect({ host: '127.0.0.1', port, ca: tls.ca, servername }, () => {
            socket.end();
            done('trusted');
          });
          socket.on('error', (error) => done(error.message));
        });
      } finally {
        server.close();
      }
    };
    const forgedPem = `-----BEGIN PRIVATE KEY-----\n${forgedKey.toString('base64')}\n-----END PRIVATE KEY-----\n`;
    // Act and assess
    expect(await handshake(tls.cert, tls.key, 'localhost')).toBe('trusted');
    expect(await handshake(forged.toString('pem'), forgedPem, 'example.com')).toBe('permitted subtree violation');
  });
});
