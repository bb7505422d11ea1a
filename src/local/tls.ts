import { spawnSync } from 'node:child_process';
import 'reflect-metadata';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(crypto);

/**
 * The local certificate authority. AppSync's realtime endpoint is wss://, and
 * the Amplify clients turn any data URL into wss, so the local GraphQL server
 * speaks TLS with a certificate for 127.0.0.1 and localhost signed by a CA
 * created on first start in `<data>/tls/`. Trust `ca.pem` once (README).
 */
export interface LocalTls {
  /** PEM of the CA certificate: what clients trust. */
  ca: string;
  caFile: string;
  key: string;
  cert: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

const pemKey = async (key: CryptoKey): Promise<string> => {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
};

export const loadOrCreateTls = async (dir: string): Promise<LocalTls> => {
  const files = {
    ca: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server-key.pem'),
  };
  if (Object.values(files).every((f) => existsSync(f))) {
    const cert = new x509.X509Certificate(readFileSync(files.cert, 'utf8'));
    if (cert.notAfter.getTime() > Date.now() + 86_400_000) {
      return {
        ca: readFileSync(files.ca, 'utf8'),
        caFile: files.ca,
        key: readFileSync(files.key, 'utf8'),
        cert: readFileSync(files.cert, 'utf8'),
      };
    }
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const now = new Date();
  const caKeys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Date.now().toString(16),
    name: 'CN=Amplify mobile backend local CA',
    notBefore: now,
    notAfter: new Date(now.getTime() + 5 * 365 * 86_400_000),
    signingAlgorithm: ALGORITHM,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const serverKeys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const serverCert = await x509.X509CertificateGenerator.create({
    serialNumber: (Date.now() + 1).toString(16),
    subject: 'CN=127.0.0.1',
    issuer: caCert.subject,
    notBefore: now,
    // Apple platforms refuse server certificates valid for more than 825 days.
    notAfter: new Date(now.getTime() + 800 * 86_400_000),
    signingAlgorithm: ALGORITHM,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
    ],
  });
  const tls = {
    ca: caCert.toString('pem'),
    caFile: files.ca,
    key: await pemKey(serverKeys.privateKey),
    cert: serverCert.toString('pem'),
  };
  writeFileSync(files.ca, tls.ca);
  writeFileSync(files.caKey, await pemKey(caKeys.privateKey), { mode: 0o600 });
  writeFileSync(files.cert, tls.cert);
  writeFileSync(files.key, tls.key, { mode: 0o600 });
  return tls;
};

/**
 * Node reads NODE_EXTRA_CA_CERTS only at start: a script that talks to the
 * local servers over TLS calls this first. Unless this process already
 * trusts caFile, it runs the same script again trusting it, and exits with
 * that run's status.
 */
export const rerunTrusting = (caFile: string): void => {
  if (process.env.NODE_EXTRA_CA_CERTS === caFile) return;
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
  });
  process.exit(child.status ?? 1);
};
