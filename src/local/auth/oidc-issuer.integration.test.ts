import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyOidcToken } from '../graphql/oidc';
import { type LocalAuth, startLocalAuth } from './server';

/**
 * The local OIDC issuer on the real auth server: discovery names the
 * template's issuer, the JWKS served over HTTP verifies the tokens it mints,
 * its key survives a restart, and bad requests get OAuth-style 4xx answers.
 */

const TEMPLATE_ISSUER = 'https://idp.example.test';
const SECRET = 'local-admin-secret-for-this-test';
const start = (dataDir: string) =>
  startLocalAuth({
    userPoolId: 'us-east-1_oidctest',
    clientId: 'client',
    passwordPolicy: {
      minimumLength: 8,
      requireLowercase: false,
      requireUppercase: false,
      requireNumbers: false,
      requireSymbols: false,
    },
    dataDir,
    oidcIssuer: TEMPLATE_ISSUER,
    codesSecret: () => SECRET,
  });

describe('the local OIDC issuer on the auth server', () => {
  let auth: LocalAuth;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'oidc-issuer-'));
    auth = await start(dataDir);
  });
  afterAll(async () => {
    await auth?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const base = () => `${auth.url}/oidc`;
  const mint = (body: unknown) =>
    fetch(`${base()}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify(body),
    });
  /** A raw POST /oidc/token, so that the Host and Origin headers are exactly what the test says. */
  const rawMint = (headers: Record<string, string>) =>
    new Promise<{ status: number; cors: string | undefined }>((resolve, reject) => {
      const url = new URL(`${base()}/token`);
      const req = request(
        {
          host: '127.0.0.1',
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { host: url.host, ...headers },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, cors: res.headers['access-control-allow-origin']?.toString() }),
          );
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ sub: 'intruder' }));
    });

  it("publishes discovery for the template's issuer, and its JWKS verifies what it mints", async () => {
    // Act
    const discovery = await (await fetch(`${base()}/.well-known/openid-configuration`)).json();
    const answer = await mint({ sub: 'u1', clientId: 'app', claims: { groups: ['G'] } });
    const { id_token } = await answer.json();
    // Assess
    expect(discovery).toMatchObject({ issuer: TEMPLATE_ISSUER, jwks_uri: `${base()}/.well-known/jwks.json` });
    const keys = createRemoteJWKSet(new URL(discovery.jwks_uri));
    const claims = await verifyOidcToken(id_token, { issuer: TEMPLATE_ISSUER, clientId: 'app' }, keys);
    expect(claims).toMatchObject({ iss: TEMPLATE_ISSUER, sub: 'u1', aud: 'app', groups: ['G'] });
    expect(typeof claims.auth_time).toBe('number');
  });

  it('answers 400 to a token request without a sub and 404 to other paths, and keeps serving', async () => {
    expect((await mint({ clientId: 'app' })).status).toBe(400);
    expect(
      (
        await fetch(`${base()}/token`, {
          method: 'POST',
          body: 'not json',
          headers: { 'content-type': 'text/plain', authorization: `Bearer ${SECRET}` },
        })
      ).status,
    ).toBe(400);
    expect((await fetch(`${base()}/authorize`)).status).toBe(404);
    // Minting is signing in as anyone: only a bearer of the admin secret, on the loopback Host, never from a page.
    const bearer = { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' };
    expect(await rawMint({ 'content-type': 'application/json' })).toEqual({ status: 401, cors: undefined });
    expect(await rawMint({ ...bearer, authorization: 'Bearer wrong' })).toEqual({ status: 401, cors: undefined });
    expect(await rawMint({ ...bearer, origin: 'https://evil.example' })).toEqual({ status: 403, cors: undefined });
    expect(await rawMint({ ...bearer, host: 'evil.example' })).toEqual({ status: 403, cors: undefined });
    expect(await rawMint(bearer)).toEqual({ status: 200, cors: undefined });
    expect((await mint({ sub: 'u2' })).status).toBe(200);
  });

  it('keeps its signing key across a restart, so tokens minted before still verify', async () => {
    const { id_token } = await (await mint({ sub: 'u3' })).json();
    await auth.close();
    auth = await start(dataDir);
    const keys = createRemoteJWKSet(new URL(`${base()}/.well-known/jwks.json`));
    await expect(verifyOidcToken(id_token, { issuer: TEMPLATE_ISSUER }, keys)).resolves.toMatchObject({ sub: 'u3' });
  });
});
