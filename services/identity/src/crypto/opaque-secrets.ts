import { createHash, createHmac, randomBytes } from 'node:crypto';
import { DomainError } from '@girok/kit/errors';

/**
 * Opaque secrets handed to clients and stored only as hashes: a database leak yields nothing
 * that can be presented back.
 */

const REFRESH_TOKEN_BYTES = 32;
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/; // 32 bytes in unpadded base64url

/** A new refresh token: 32 random bytes, base64url (43 characters). */
export function generateRefreshToken(): string {
  return randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
}

/** Cheap shape check before hashing and looking up whatever a client sent. */
export function isRefreshToken(value: string): boolean {
  return REFRESH_TOKEN.test(value);
}

/**
 * Storage hash of a refresh token (hex SHA-256). A plain fast hash is enough: with 256 bits of
 * entropy there is nothing to brute-force, and lookups by hash stay a single index probe.
 */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Backup codes use Crockford's base32 alphabet in lower case: no i, l, o or u, so nothing reads
 * as another character, and 32 symbols make each byte's low 5 bits an unbiased pick.
 * 8 symbols x 5 bits = 40 bits per code, shown as `xxxx-xxxx`.
 */
const BACKUP_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const BACKUP_CODE_SYMBOLS = 8;
export const BACKUP_CODE_COUNT = 10;

function backupCode(): string {
  const bytes = randomBytes(BACKUP_CODE_SYMBOLS);
  let code = '';
  for (const byte of bytes) code += BACKUP_ALPHABET[byte & 31];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** A fresh set of distinct backup codes, to be shown once and stored only as hashes. */
export function generateBackupCodes(count: number = BACKUP_CODE_COUNT): string[] {
  const codes = new Set<string>();
  while (codes.size < count) codes.add(backupCode());
  return [...codes];
}

/**
 * The canonical form users' typing is reduced to before hashing: case, dashes and spaces
 * dropped, and the look-alikes Crockford maps (o -> 0, i/l -> 1) folded. Null when the input
 * cannot be a backup code, so callers can refuse it without a lookup.
 */
export function normalizeBackupCode(input: string): string | null {
  const folded = input.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1');
  if (folded.length !== BACKUP_CODE_SYMBOLS) return null;
  for (const char of folded) if (!BACKUP_ALPHABET.includes(char)) return null;
  return folded;
}

/**
 * Hashes backup codes with HMAC-SHA256 under a server pepper. 40 bits can be brute-forced from a
 * plain hash in hours; with the pepper kept outside the database a leaked table alone is useless.
 */
export class BackupCodeHasher {
  readonly #pepper: Buffer;

  constructor(pepper: Uint8Array) {
    if (pepper.length < 32) {
      throw new DomainError(
        'INTERNAL',
        'BACKUP_CODE_PEPPER_INVALID',
        'Backup code pepper must be at least 32 bytes',
      );
    }
    this.#pepper = Buffer.from(pepper);
  }

  /** Hex HMAC of the normalised code, or null when the input is not a well-formed backup code. */
  hash(code: string): string | null {
    const normalized = normalizeBackupCode(code);
    if (normalized === null) return null;
    return createHmac('sha256', this.#pepper).update(normalized, 'utf8').digest('hex');
  }
}
