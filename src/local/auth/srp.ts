import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The server side of Cognito's SRP-6a (USER_SRP_AUTH), the default sign-in
 * flow of every Amplify client. It mirrors the client's arithmetic exactly:
 * the 3072-bit group of RFC 3526 with g = 2, SHA-256 over padded hex, and the
 * "Caldera Derived Key" HKDF that keys the password-claim signature.
 */

const N_HEX =
  'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF';

export const N = BigInt(`0x${N_HEX}`);
export const g = 2n;

/** Hex of a positive integer, even-length, with a leading 00 when the top bit is set (the client's getPaddedHex). */
export const padHex = (value: bigint): string => {
  let hex = value.toString(16);
  if (hex.length % 2 !== 0) hex = `0${hex}`;
  return /^[89a-f]/i.test(hex) ? `00${hex}` : hex;
};

const sha256Hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const hashHex = (hex: string): string => sha256Hex(Buffer.from(hex, 'hex'));
const hashUtf8 = (text: string): string => sha256Hex(Buffer.from(text, 'utf8'));
const toBig = (hex: string): bigint => BigInt(`0x${hex}`);

export const modPow = (base: bigint, exponent: bigint, modulus: bigint): bigint => {
  let result = 1n;
  let b = ((base % modulus) + modulus) % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
};

export const k = toBig(hashHex(`${padHex(N)}${padHex(g)}`));

/** What the server keeps for a password: never the password itself. */
export interface PasswordVerifier {
  /** Hex, as sent to the client in the challenge's SALT. */
  salt: string;
  /** Hex of v = g^x mod N. */
  verifier: string;
}

const privateX = (poolName: string, userId: string, password: string, saltHex: string): bigint =>
  toBig(hashHex(`${padHex(toBig(saltHex))}${hashUtf8(`${poolName}${userId}:${password}`)}`));

/** The verifier for a password, as Cognito derives it from the pool name and the user's internal id. */
export const createVerifier = (
  poolName: string,
  userId: string,
  password: string,
  salt: string = padHex(toBig(randomBytes(16).toString('hex'))),
): PasswordVerifier => ({ salt, verifier: modPow(g, privateX(poolName, userId, password, salt), N).toString(16) });

/** Whether a password is the one behind a verifier (ChangePassword sends the previous password itself). */
export const passwordMatches = (
  poolName: string,
  userId: string,
  password: string,
  kept: PasswordVerifier,
): boolean => {
  const computed = Buffer.from(createVerifier(poolName, userId, password, kept.salt).verifier);
  const stored = Buffer.from(kept.verifier);
  return computed.length === stored.length && timingSafeEqual(computed, stored);
};

/** The server's ephemeral pair for one sign-in: b stays here, B goes to the client as SRP_B. */
export const createServerEphemeral = (verifier: PasswordVerifier): { b: string; B: string } => {
  const v = toBig(verifier.verifier);
  for (;;) {
    const b = toBig(randomBytes(32).toString('hex'));
    const B = (k * v + modPow(g, b, N)) % N;
    if (B !== 0n) return { b: b.toString(16), B: B.toString(16) };
  }
};

const hkdf = (ikm: Buffer, salt: Buffer): Buffer => {
  const prk = createHmac('sha256', salt).update(ikm).digest();
  const info = Buffer.concat([Buffer.from('Caldera Derived Key', 'utf8'), Buffer.from([1])]);
  return createHmac('sha256', prk).update(info).digest().subarray(0, 16);
};

/** HMAC over pool name, user id, secret block and timestamp, keyed by the HKDF of S and u: PASSWORD_CLAIM_SIGNATURE. */
const claimSignature = (
  S: bigint,
  u: bigint,
  parts: { poolName: string; userId: string; secretBlock: string; timestamp: string },
): Buffer => {
  const key = hkdf(Buffer.from(padHex(S), 'hex'), Buffer.from(padHex(u), 'hex'));
  const message = Buffer.concat([
    Buffer.from(parts.poolName, 'utf8'),
    Buffer.from(parts.userId, 'utf8'),
    Buffer.from(parts.secretBlock, 'base64'),
    Buffer.from(parts.timestamp, 'utf8'),
  ]);
  return createHmac('sha256', key).update(message).digest();
};

export interface PasswordClaim {
  poolName: string;
  userId: string;
  /** The client's SRP_A, hex. */
  A: string;
  B: string;
  b: string;
  verifier: PasswordVerifier;
  /** PASSWORD_CLAIM_SECRET_BLOCK, base64. */
  secretBlock: string;
  /** TIMESTAMP as the client sent it, e.g. "Sat Nov 21 06:05:03 UTC 2026". */
  timestamp: string;
  /** PASSWORD_CLAIM_SIGNATURE, base64. */
  signature: string;
}

/** Whether the client's password claim proves it knows the password behind the verifier. */
export const verifyPasswordClaim = (claim: PasswordClaim): boolean => {
  const A = toBig(claim.A);
  if (A % N === 0n) return false;
  const B = toBig(claim.B);
  const u = toBig(hashHex(`${padHex(A)}${padHex(B)}`));
  if (u === 0n) return false;
  const v = toBig(claim.verifier.verifier);
  const S = modPow((A * modPow(v, u, N)) % N, toBig(claim.b), N);
  const expected = claimSignature(S, u, claim);
  const given = Buffer.from(claim.signature, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
};

/**
 * The client's side of the same exchange, from its secret `a`. The local
 * backend never uses it; the unit tests check the server against it and the
 * benchmark signs in with it.
 */
export const signatureFor = (input: {
  poolName: string;
  userId: string;
  password: string;
  salt: string;
  B: string;
  secretBlock: string;
  timestamp: string;
  a: bigint;
}): string => {
  const A = modPow(g, input.a, N);
  const B = toBig(input.B);
  const u = toBig(hashHex(`${padHex(A)}${padHex(B)}`));
  const x = privateX(input.poolName, input.userId, input.password, input.salt);
  const base = (((B - k * modPow(g, x, N)) % N) + N) % N;
  const S = modPow(base, input.a + u * x, N);
  return claimSignature(S, u, input).toString('base64');
};

/** A fresh client secret and its public A = g^a. */
export const clientEphemeral = (): { a: bigint; A: string } => {
  const a = toBig(randomBytes(32).toString('hex'));
  return { a, A: modPow(g, a, N).toString(16) };
};

/** The client's A and signature for one exchange with a fresh secret. */
export const clientProof = (input: Omit<Parameters<typeof signatureFor>[0], 'a'>): { A: string; signature: string } => {
  const { a, A } = clientEphemeral();
  return { A, signature: signatureFor({ ...input, a }) };
};
