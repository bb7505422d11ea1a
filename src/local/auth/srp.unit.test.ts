import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { clientProof, createServerEphemeral, createVerifier, N, padHex, verifyPasswordClaim } from './srp';

const exchange = (password: string, attempt: string) => {
  // Prepare
  const poolName = 'EXAMPLE00';
  const userId = '6b1f9d1e-0000-4000-8000-000000000001';
  const verifier = createVerifier(poolName, userId, password);
  const { b, B } = createServerEphemeral(verifier);
  const secretBlock = randomBytes(64).toString('base64');
  const timestamp = 'Sat Nov 21 06:05:03 UTC 2026';
  // Act
  const { A, signature } = clientProof({
    poolName,
    userId,
    password: attempt,
    salt: verifier.salt,
    B,
    secretBlock,
    timestamp,
  });
  return verifyPasswordClaim({ poolName, userId, A, B, b, verifier, secretBlock, timestamp, signature });
};

describe('SRP password verification', () => {
  it('accepts the right password', () => {
    expect(exchange('Correct-Horse-9', 'Correct-Horse-9')).toBe(true);
  });

  it('rejects a wrong password', () => {
    expect(exchange('Correct-Horse-9', 'Correct-Horse-8')).toBe(false);
  });

  it('rejects A = 0 mod N, which would force a known key', () => {
    const verifier = createVerifier('P', 'u', 'pw');
    const { b, B } = createServerEphemeral(verifier);
    const claim = {
      poolName: 'P',
      userId: 'u',
      B,
      b,
      verifier,
      secretBlock: 'AA==',
      timestamp: 't',
      signature: 'AA==',
    };
    expect(verifyPasswordClaim({ ...claim, A: N.toString(16) })).toBe(false);
    expect(verifyPasswordClaim({ ...claim, A: '0' })).toBe(false);
  });

  it('pads hex the way the Amplify client does', () => {
    expect(padHex(0x0fn)).toBe('0f');
    expect(padHex(0x80n)).toBe('0080');
    expect(padHex(0x7fffn)).toBe('7fff');
  });
});
