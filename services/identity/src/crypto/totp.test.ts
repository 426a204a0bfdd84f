import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  base32Decode,
  base32Encode,
  generateSecret,
  hotp,
  provisioningUri,
  timeStep,
  totpCode,
  verify,
} from './totp.ts';

// RFC 6238 Appendix B and RFC 4226 Appendix D use this ASCII secret for SHA-1.
const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');

describe('base32 (RFC 4648)', () => {
  it('encodes and decodes the RFC 4648 §10 test vectors', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'MY======'],
      ['fo', 'MZXQ===='],
      ['foo', 'MZXW6==='],
      ['foob', 'MZXW6YQ='],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI======'],
    ];
    for (const [plain, encoded] of vectors) {
      expect(base32Encode(Buffer.from(plain))).toBe(encoded);
      expect(base32Decode(encoded).toString()).toBe(plain);
    }
    expect(base32Encode(Buffer.from('foobar'), { padding: false })).toBe('MZXW6YTBOI');
  });

  it('decodes lower case and unpadded input, and round-trips every length', () => {
    expect(base32Decode('mzxw6ytboi').toString()).toBe('foobar');
    for (let length = 0; length <= 41; length += 1) {
      const bytes = randomBytes(length);
      expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
      expect(base32Decode(base32Encode(bytes, { padding: false }))).toEqual(bytes);
    }
  });

  it('rejects characters outside the alphabet and impossible lengths', () => {
    for (const bad of ['MZXW1', 'MZXW0', 'MZ=XW', 'MZX W', 'M', 'MZX', 'MZXW6Y']) {
      expect(() => base32Decode(bad)).toThrow(/Invalid base32/);
    }
  });
});

describe('TOTP (RFC 6238)', () => {
  it('computes the RFC 4226 Appendix D HOTP values (dynamic truncation)', () => {
    const expected = [
      '755224',
      '287082',
      '359152',
      '969429',
      '338314',
      '254676',
      '287922',
      '162583',
      '399871',
      '520489',
    ];
    expect(expected.map((_, counter) => hotp(RFC_SECRET, counter))).toEqual(expected);
  });

  it('matches the RFC 6238 Appendix B SHA-1 vectors, truncated to 6 digits', () => {
    const vectors: [number, string][] = [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
      [20000000000, '65353130'], // past 2^32 seconds: time is never squeezed into 32 bits
    ];
    for (const [seconds, eightDigits] of vectors) {
      const code = eightDigits.slice(-6);
      expect(totpCode(RFC_SECRET, seconds * 1000)).toBe(code);
      expect(verify(RFC_SECRET, code, seconds * 1000)).toBe(Math.floor(seconds / 30));
    }
  });

  it('accepts the steps one either side of now and refuses two away', () => {
    const secret = generateSecret();
    const now = Date.UTC(2026, 10, 25, 12, 0, 15); // mid-step
    const step = timeStep(now);
    const codeAt = (offset: number) => hotp(secret, step + offset);
    expect(verify(secret, codeAt(0), now)).toBe(step);
    expect(verify(secret, codeAt(-1), now)).toBe(step - 1);
    expect(verify(secret, codeAt(1), now)).toBe(step + 1);
    expect(verify(secret, codeAt(-2), now)).toBeNull();
    expect(verify(secret, codeAt(2), now)).toBeNull();
  });

  it('places the window by step, not by seconds: the step boundaries are exact', () => {
    const secret = generateSecret();
    const stepStart = 1_800_000_000 * 1000; // a multiple of 30 s
    expect(timeStep(stepStart)).toBe(60_000_000);
    expect(timeStep(stepStart - 1)).toBe(59_999_999);
    // One millisecond before a boundary the window is still centred on the earlier step.
    expect(verify(secret, hotp(secret, 60_000_001), stepStart - 1)).toBeNull();
    expect(verify(secret, hotp(secret, 60_000_000), stepStart - 1)).toBe(60_000_000);
    expect(verify(secret, hotp(secret, 59_999_998), stepStart)).toBeNull();
  });

  it('refuses a step at or before afterStep, so a used code cannot be replayed', () => {
    const secret = generateSecret();
    const now = Date.UTC(2026, 0, 1, 0, 0, 10);
    const step = timeStep(now);
    const used = verify(secret, hotp(secret, step), now);
    expect(used).toBe(step);
    expect(verify(secret, hotp(secret, step), now, { afterStep: step })).toBeNull();
    expect(verify(secret, hotp(secret, step - 1), now, { afterStep: step })).toBeNull();
    expect(verify(secret, hotp(secret, step + 1), now, { afterStep: step })).toBe(step + 1);
  });

  it('accepts exactly six ASCII digits and nothing else', () => {
    const now = 59_000;
    expect(verify(RFC_SECRET, '287082', now)).toBe(1);
    for (const bad of ['28708', '2870820', ' 287082', '287082 ', '28708a', '２８７０８２', '', '94287082']) {
      expect(verify(RFC_SECRET, bad, now)).toBeNull();
    }
  });

  it('handles the first step of the epoch without a negative counter', () => {
    expect(verify(RFC_SECRET, hotp(RFC_SECRET, 0), 0)).toBe(0);
  });

  it('generates 20-byte random secrets', () => {
    const a = generateSecret();
    expect(a).toHaveLength(20);
    expect(a.equals(generateSecret())).toBe(false);
  });

  it('builds an escaped otpauth URI that carries the secret, issuer and parameters', () => {
    const secret = Buffer.from('12345678901234567890', 'ascii');
    const uri = provisioningUri({ issuer: 'Girok & Co', accountName: 'jane+mfa@example.com', secret });
    expect(uri).toBe(
      'otpauth://totp/Girok%20%26%20Co:jane%2Bmfa%40example.com' +
        '?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Girok%20%26%20Co&algorithm=SHA1&digits=6&period=30',
    );
    const parsed = new URL(uri);
    expect(parsed.searchParams.get('issuer')).toBe('Girok & Co');
    expect(base32Decode(parsed.searchParams.get('secret') ?? '')).toEqual(secret);
    expect(() => provisioningUri({ issuer: 'Girok:Prod', accountName: 'jane', secret })).toThrow(/colon/);
    expect(() => provisioningUri({ issuer: 'Girok', accountName: 'a:b', secret })).toThrow(/colon/);
    expect(() => provisioningUri({ issuer: '', accountName: 'jane', secret })).toThrow(/non-empty/);
  });
});
