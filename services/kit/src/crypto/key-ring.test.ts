import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors/domain-error.ts';
import { KeyRing } from './key-ring.ts';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const entry = (id: string, key: Buffer) => `${id}:${key.toString('base64')}`;

function errorOf(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error('expected a DomainError, nothing was thrown');
}

/** Flips one bit of the base64url body at byte `index` (negative counts from the end). */
function flipBit(ciphertext: string, index: number): string {
  const [version, kid, body] = ciphertext.split('.') as [string, string, string];
  const blob = Buffer.from(body, 'base64url');
  const at = index < 0 ? blob.length + index : index;
  blob[at] = (blob[at] ?? 0) ^ 0x01;
  return `${version}.${kid}.${blob.toString('base64url')}`;
}

describe('KeyRing', () => {
  it('round-trips bytes and strings through a self-describing ciphertext', () => {
    const ring = KeyRing.parse(entry('k1', keyA));
    const secret = randomBytes(20);
    const ciphertext = ring.encrypt(secret, 'account-1');
    expect(ciphertext).toMatch(/^v1\.k1\.[A-Za-z0-9_-]+$/);
    // 12-byte IV + 20-byte body + 16-byte tag
    expect(Buffer.from(ciphertext.split('.')[2] as string, 'base64url')).toHaveLength(12 + 20 + 16);
    expect(ring.decrypt(ciphertext, 'account-1')).toEqual(secret);
    expect(ring.decryptToString(ring.encrypt('refresh-token-ü'), '')).toBe('refresh-token-ü');
  });

  it('uses a fresh IV per message, so equal plaintexts give different ciphertexts', () => {
    const ring = KeyRing.parse(entry('k1', keyA));
    expect(ring.encrypt('same', 'a')).not.toBe(ring.encrypt('same', 'a'));
  });

  it('refuses to decrypt under a different AAD (a secret copied to another account row)', () => {
    const ring = KeyRing.parse(entry('k1', keyA));
    const ciphertext = ring.encrypt('totp-secret', 'account-1');
    expect(errorOf(() => ring.decrypt(ciphertext, 'account-2')).code).toBe('KEY_RING_DECRYPT_FAILED');
    expect(errorOf(() => ring.decrypt(ciphertext)).code).toBe('KEY_RING_DECRYPT_FAILED');
  });

  it('detects tampering with the IV, the body, the tag or a truncated tag', () => {
    const ring = KeyRing.parse(entry('k1', keyA));
    const ciphertext = ring.encrypt('totp-secret', 'acc');
    for (const index of [0, 12, -1]) {
      const error = errorOf(() => ring.decrypt(flipBit(ciphertext, index), 'acc'));
      expect(error.code).toBe('KEY_RING_DECRYPT_FAILED');
      expect(error.message).toMatch(/altered/);
    }
    const [v, kid, body] = ciphertext.split('.') as [string, string, string];
    const truncated = `${v}.${kid}.${Buffer.from(body, 'base64url').subarray(0, -4).toString('base64url')}`;
    expect(errorOf(() => ring.decrypt(truncated, 'acc')).code).toBe('KEY_RING_DECRYPT_FAILED');
  });

  it('authenticates the key id: relabelling a ciphertext with another ring key fails', () => {
    // Both keys are the same material, so only the header binding in the AAD can catch this.
    const ring = KeyRing.parse(`${entry('k2', keyA)},${entry('k1', keyA)}`);
    const relabelled = ring.encrypt('secret').replace(/^v1\.k2\./, 'v1.k1.');
    expect(errorOf(() => ring.decrypt(relabelled)).code).toBe('KEY_RING_DECRYPT_FAILED');
  });

  it('after rotation writes under the new key, still reads the old one and flags it for re-encryption', () => {
    const before = KeyRing.parse(entry('k1', keyA));
    const old = before.encrypt('secret', 'acc');
    const after = KeyRing.parse(` ${entry('k2', keyB)} , ${entry('k1', keyA)} `);
    expect(after.activeKeyId).toBe('k2');
    expect(after.decryptToString(old, 'acc')).toBe('secret');
    expect(after.needsRotation(old)).toBe(true);
    const fresh = after.encrypt('secret', 'acc');
    expect(fresh.startsWith('v1.k2.')).toBe(true);
    expect(after.needsRotation(fresh)).toBe(false);
    // The retired key can no longer read what the new key wrote.
    expect(errorOf(() => before.decrypt(fresh, 'acc')).code).toBe('KEY_RING_UNKNOWN_KEY');
  });

  it('names an unknown key id and rejects malformed ciphertexts with a clear error', () => {
    const ring = KeyRing.parse(entry('k1', keyA));
    const foreign = KeyRing.parse(entry('gone', keyB)).encrypt('x');
    expect(errorOf(() => ring.decrypt(foreign)).message).toMatch(/'gone'.*not in the key ring/);
    for (const bad of ['', 'v1.k1', 'v2.k1.AAAA', 'v1.k 1.AAAA', 'v1.k1.AAAA', 'v1.k1.not+base64url']) {
      expect(errorOf(() => ring.decrypt(bad)).code).toBe('KEY_RING_MALFORMED');
    }
    expect(errorOf(() => ring.needsRotation('garbage')).code).toBe('KEY_RING_MALFORMED');
  });

  it('accepts standard and URL-safe base64 keys, padded or not', () => {
    const url = keyA.toString('base64url');
    const ring = KeyRing.parse(`k1:${url}`);
    expect(KeyRing.parse(entry('k1', keyA)).decrypt(ring.encrypt('x')).toString()).toBe('x');
  });

  it('rejects bad config strings without echoing key material', () => {
    const material = keyA.toString('base64');
    const cases: [string, RegExp][] = [
      ['', /no keys given/],
      [' , ', /no keys given/],
      [material, /entry #1 is not of the form kid:base64key/],
      [`k1:${material},${material}`, /entry #2 is not of the form/],
      [`bad id:${material}`, /entry #1 has an invalid key id/],
      [`:${material}`, /entry #1 has an invalid key id/],
      ['k1:not base64!', /key 'k1' is not valid base64/],
      [`k1:${randomBytes(16).toString('base64')}`, /key 'k1' is 16 bytes; AES-256 needs 32/],
      [`k1:${keyA.toString('hex')}`, /key 'k1' is 48 bytes/],
      [`k1:${material},k1:${keyB.toString('base64')}`, /key id 'k1' appears more than once/],
    ];
    for (const [config, message] of cases) {
      const error = errorOf(() => KeyRing.parse(config));
      expect(error.code).toBe('KEY_RING_CONFIG_INVALID');
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain(material);
      expect(error.message).not.toContain(keyA.toString('hex'));
    }
  });

  it('does not reveal key material when the ring is logged', () => {
    const ring = KeyRing.parse(entry('k1', keyA));
    const printed = `${inspect(ring, { showHidden: true, depth: 5 })}${JSON.stringify(ring)}`;
    expect(printed).not.toContain(keyA.toString('base64'));
    expect(printed).not.toContain(keyA.toString('hex'));
  });
});
