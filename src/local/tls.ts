import { spawnSync } from 'node:child_process';
import 'reflect-metadata';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { makePrivate, privateDir, writePrivateFile } from './private-files';

x509.cryptoProvider.set(crypto);

/**
 * The local certificate authority. AppSync's realtime endpoint is wss://, and
 * the Amplify clients turn any data URL into wss, so the local GraphQL server
 * speaks TLS with a certificate for 127.0.0.1 and localhost signed by a CA
 * created on first start in `<data>/tls/`. Trust `ca.pem` once (README).
 * The CA is name-constrained (critical NameConstraints: DNS `localhost`, IP
 * 127.0.0.0/8 and ::1), so trusting it lets it vouch for nothing but this
 * machine's loopback names, even if its key leaks.
 */
export interface LocalTls {
  /** PEM of the CA certificate: what clients trust. */
  ca: string;
  caFile: string;
  key: string;
  cert: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A DER element: tag, definite length, content. */
const der = (tag: number, content: Buffer): Buffer => {
  const n = content.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), content]);
};

export const NAME_CONSTRAINTS_OID = '2.5.29.30';

/**
 * RFC 5280 NameConstraints with permittedSubtrees only: dNSName [2] and
 * iPAddress [7] (address then mask) as GeneralSubtrees [0], built by hand
 * because the ASN.1 schema's IP converter takes addresses, not masks.
 */
export const loopbackNameConstraints = (): x509.Extension => {
  const subtree = (tag: number, value: Buffer): Buffer => der(0x30, der(tag, value));
  const ipv6Loopback = Buffer.alloc(16);
  ipv6Loopback[15] = 1;
  const permitted = Buffer.concat([
    subtree(0x82, Buffer.from('localhost', 'ascii')),
    subtree(0x87, Buffer.from([127, 0, 0, 0, 255, 0, 0, 0])),
    subtree(0x87, Buffer.concat([ipv6Loopback, Buffer.alloc(16, 0xff)])),
  ]);
  return new x509.Extension(NAME_CONSTRAINTS_OID, true, Uint8Array.from(der(0x30, der(0xa0, permitted))));
};

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
  privateDir(dir);
  if (Object.values(files).every((f) => existsSync(f))) {
    makePrivate(files.caKey);
    makePrivate(files.key);
    const cert = new x509.X509Certificate(readFileSync(files.cert, 'utf8'));
    const ca = new x509.X509Certificate(readFileSync(files.ca, 'utf8'));
    const constrained = ca.getExtension(NAME_CONSTRAINTS_OID)?.critical === true;
    if (!constrained) {
      console.warn(
        `local CA ${files.ca} has no name constraints: replacing it with a CA limited to localhost, 127.0.0.0/8 and ::1 (trust the new ca.pem where you trusted the old one, and remove the old one)`,
      );
    } else if (cert.notAfter.getTime() > Date.now() + 86_400_000) {
      return {
        ca: readFileSync(files.ca, 'utf8'),
        caFile: files.ca,
        key: readFileSync(files.key, 'utf8'),
        cert: readFileSync(files.cert, 'utf8'),
      };
    }
  }
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
      loopbackNameConstraints(),
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
  // Keys first: a kill before the certificates are written leaves a set that is made again on the next start.
  writePrivateFile(files.caKey, await pemKey(caKeys.privateKey));
  writePrivateFile(files.key, tls.key);
  for (const [file, pem] of [
    [files.cert, tls.cert],
    [files.ca, tls.ca],
  ] as const) {
    writePrivateFile(file, pem);
    // Certificates are public: other tools (simulators, certutil) read them.
    chmodSync(file, 0o644);
  }
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
