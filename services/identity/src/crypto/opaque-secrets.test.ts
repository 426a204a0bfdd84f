import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BackupCodeHasher,
  generateBackupCodes,
  generateRefreshToken,
  hashRefreshToken,
  isRefreshToken,
  normalizeBackupCode,
} from './opaque-secrets.ts';

const PEPPER = Buffer.alloc(32, 7);

describe('refresh tokens', () => {
  it('are 32 random bytes in unpadded base64url and never repeat', () => {
    const tokens = Array.from({ length: 1000 }, generateRefreshToken);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      expect(isRefreshToken(token)).toBe(true);
    }
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('are recognised by shape only', () => {
    expect(isRefreshToken('')).toBe(false);
    expect(isRefreshToken(`${generateRefreshToken()}=`)).toBe(false);
    expect(isRefreshToken('a'.repeat(42))).toBe(false);
    expect(isRefreshToken(`${'a'.repeat(42)}+`)).toBe(false);
  });

  it('hash to a stable hex SHA-256 of the token text, different per token', () => {
    expect(hashRefreshToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const token = generateRefreshToken();
    expect(hashRefreshToken(token)).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashRefreshToken(token)).toBe(hashRefreshToken(token));
    expect(hashRefreshToken(token)).not.toBe(hashRefreshToken(generateRefreshToken()));
  });
});

describe('backup codes', () => {
  it('come ten at a time, distinct, as xxxx-xxxx from the unambiguous alphabet', () => {
    const codes = generateBackupCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) {
      // Crockford base32, lower case: 8 symbols x 5 bits = 40 bits.
      expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/);
      expect(code).not.toMatch(/[ilou]/);
    }
  });

  it('use every symbol of the alphabet with roughly equal frequency (no modulo bias)', () => {
    const counts = new Map<string, number>();
    const codes = generateBackupCodes(4000);
    for (const char of codes.join('').replaceAll('-', '')) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect(counts.size).toBe(32);
    const expected = (4000 * 8) / 32; // 1000 each, standard deviation about 31: ±200 never flakes
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(expected - 200);
      expect(count).toBeLessThan(expected + 200);
    }
  });

  it('normalise case, dashes, spaces and look-alike letters to one canonical form', () => {
    expect(normalizeBackupCode('ab12-cd34')).toBe('ab12cd34');
    expect(normalizeBackupCode(' AB12 cd34 ')).toBe('ab12cd34');
    expect(normalizeBackupCode('ab12cd34')).toBe('ab12cd34');
    expect(normalizeBackupCode('Oo1I-lL0o')).toBe('00111100');
    expect(normalizeBackupCode('ab12-cd3')).toBeNull(); // too short
    expect(normalizeBackupCode('ab12-cd345')).toBeNull(); // too long
    expect(normalizeBackupCode('ab12-cd3u')).toBeNull(); // u is not in the alphabet
    expect(normalizeBackupCode('ab12_cd34')).toBeNull();
  });

  it('hash as HMAC-SHA256 of the normalised code under the pepper, stable across spellings', () => {
    const hasher = new BackupCodeHasher(PEPPER);
    const expected = createHmac('sha256', PEPPER).update('ab12cd34').digest('hex');
    expect(hasher.hash('ab12-cd34')).toBe(expected);
    expect(hasher.hash('AB12CD34')).toBe(expected);
    expect(hasher.hash(' ab12 - cd34 ')).toBe(expected);
    expect(hasher.hash('ab12-cd35')).not.toBe(expected);
    expect(hasher.hash('not-a-code!')).toBeNull();
    for (const code of generateBackupCodes()) expect(hasher.hash(code)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('depend on the pepper, which must be at least 32 bytes', () => {
    const other = new BackupCodeHasher(Buffer.alloc(32, 8));
    expect(other.hash('ab12-cd34')).not.toBe(new BackupCodeHasher(PEPPER).hash('ab12-cd34'));
    expect(() => new BackupCodeHasher(Buffer.alloc(31))).toThrow(/at least 32 bytes/);
  });
});
