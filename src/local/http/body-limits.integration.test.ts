import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCredentials } from '../iam/credentials';
import type { PolicyDocument } from '../iam/policy';
import { type LocalOpenSearch, startLocalOpenSearch } from '../search/opensearch';
import { type LocalSsm, startLocalSsm } from '../ssm/server';

/**
 * The one body reader (http/json-server.ts) behind the local SSM and
 * OpenSearch: a body past each service's limit is read to its end and
 * answered with that service's own 413, in its own error format, and the
 * server keeps serving.
 */
const ROLE = 'arn:aws:iam::000000000000:role/readerRole';
const POLICIES = new Map<string, PolicyDocument[]>([
  [ROLE, [{ Statement: { Effect: 'Allow', Action: 'ssm:GetParameter', Resource: '*' } }]],
]);

let dir: string;
let credentials: LocalCredentials;
let ssm: LocalSsm;
let search: LocalOpenSearch;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'local-body-limits-'));
  credentials = new LocalCredentials({
    file: join(dir, 'admin-credentials.json'),
    region: 'us-east-1',
    accountId: '000000000000',
    policies: () => POLICIES,
  });
  ssm = await startLocalSsm({
    parameters: () => new Map([['/app/greeting', { name: '/app/greeting', value: 'hello', type: 'String' }]]),
    region: 'us-east-1',
    accountId: '000000000000',
    verify: credentials.verify,
    authorize: credentials.authorize,
    deniedMessage: (principal, action, resource) =>
      credentials.deniedMessage(principal, action, resource, 'ImplicitDeny'),
  });
  search = await startLocalOpenSearch({
    file: join(dir, 'opensearch.json'),
    access: {
      domainArn: 'arn:aws:es:us-east-1:000000000000:domain/notes-local',
      verify: credentials.verify,
      authorize: credentials.authorize,
      arnOf: (p) => credentials.arnOf(p),
    },
  });
});

afterAll(async () => {
  await ssm?.close();
  await search?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('request bodies past a service limit', () => {
  it("get SSM's own 413 ValidationException in JSON 1.1, and SSM keeps serving", async () => {
    const response = await fetch(ssm.url, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonSSM.GetParameter', 'content-type': 'application/x-amz-json-1.1' },
      body: `{"Name":"${'x'.repeat(1024 * 1024 + 1)}"}`,
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ __type: 'ValidationException', message: 'Request body exceeds 1 MB.' });

    const creds = credentials.forFunction('readerRole', ROLE);
    const client = new SSMClient({ endpoint: ssm.url, region: 'us-east-1', credentials: creds });
    const read = await client.send(new GetParameterCommand({ Name: '/app/greeting' }));
    expect(read.Parameter?.Value).toBe('hello');
    client.destroy();
  });

  it("get OpenSearch's own 413 content_too_long_exception, and OpenSearch keeps serving", async () => {
    const response = await fetch(`${search.url}/notes/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: 'x'.repeat(10 * 1024 * 1024 + 1),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      error: { type: 'content_too_long_exception', reason: `Request body exceeds ${10 * 1024 * 1024} bytes` },
      status: 413,
    });
    // Within the limit the same request reaches the signature check, in OpenSearch's format.
    const small = await fetch(`${search.url}/notes/_bulk`, { method: 'POST', body: '{}\n' });
    expect(small.status).toBe(403);
    expect(await small.json()).toMatchObject({ error: { type: 'security_exception' } });
  });
});
