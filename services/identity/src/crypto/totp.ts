import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DomainError } from '@girok/kit/errors';

/**
 * TOTP (RFC 6238) with the parameters every authenticator app defaults to: HMAC-SHA1, 30-second
 * steps, 6 digits. Other choices are legal but silently ignored by some apps (Google
 * Authenticator ignored `digits`/`period` for years), which would lock users out.
 */

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted either side of now: covers clock skew and a code typed just as it rolled over. */
export const TOTP_WINDOW = 1;
/** RFC 4226 §4 asks for at least 128 bits and recommends 160: the size of an SHA-1 block output. */
export const TOTP_SECRET_BYTES = 20;

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const CODE = /^[0-9]{6}$/;

/** RFC 4648 §6 base32. Authenticator URIs want it without padding, hence the option. */
export function base32Encode(data: Uint8Array, options: { padding?: boolean } = {}): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of data) {
    buffer = ((buffer << 8) | byte) & 0xfff; // at most 4 leftover + 8 new bits are ever needed
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(buffer >>> bits) & 31];
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  if (options.padding ?? true) out += '='.repeat((8 - (out.length % 8)) % 8);
  return out;
}

/**
 * Decodes RFC 4648 base32, case-insensitively, with or without padding (users and other systems
 * hand secrets over either way). Throws on any other character or an impossible length.
 */
export function base32Decode(text: string): Buffer {
  const body = text.toUpperCase().replace(/=+$/, '');
  // Lengths that no whole number of bytes encodes to (RFC 4648 §6: 2, 4, 5, 7 or 8 chars per block).
  if ([1, 3, 6].includes(body.length % 8))
    throw new DomainError('INTERNAL', 'BASE32_INVALID', 'Invalid base32: impossible length');
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of body) {
    const value = BASE32_ALPHABET.indexOf(char);
    if (value < 0)
      throw new DomainError('INTERNAL', 'BASE32_INVALID', 'Invalid base32: unexpected character');
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >>> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** A fresh random TOTP secret (raw bytes; encrypt it with the key ring before storing it). */
export function generateSecret(): Buffer {
  return randomBytes(TOTP_SECRET_BYTES);
}

/**
 * The `otpauth://` URI an authenticator app scans, in Google's Key URI format. The issuer goes
 * both in the label prefix and as a parameter: older apps read the first, newer ones the second.
 */
export function provisioningUri(input: { issuer: string; accountName: string; secret: Uint8Array }): string {
  const { issuer, accountName, secret } = input;
  // Apps split the label on the first colon, escaped or not, so neither part may contain one.
  for (const [name, value] of [
    ['issuer', issuer],
    ['account name', accountName],
  ] as const) {
    if (value === '' || value.includes(':')) {
      throw new DomainError(
        'INTERNAL',
        'TOTP_LABEL_INVALID',
        `TOTP ${name} must be non-empty and contain no colon`,
      );
    }
  }
  // encodeURIComponent gives %20 for spaces; URLSearchParams would give '+', which apps show as is.
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(accountName)}`;
  const query = [
    `secret=${base32Encode(secret, { padding: false })}`,
    `issuer=${encodeURIComponent(issuer)}`,
    'algorithm=SHA1',
    `digits=${TOTP_DIGITS}`,
    `period=${TOTP_PERIOD_SECONDS}`,
  ].join('&');
  return `otpauth://totp/${label}?${query}`;
}

/** The time step (RFC 6238 T) containing `nowMs`. */
export function timeStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);
}

/** HOTP (RFC 4226 §5.3) for one counter value: HMAC-SHA1, dynamic truncation, 6 digits. */
export function hotp(secret: Uint8Array, counter: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter)); // RFC 4226 counters are 8 bytes, big-endian
  const mac = createHmac('sha1', secret).update(message).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** TOTP_DIGITS).padStart(TOTP_DIGITS, '0');
}

/** The code for the step containing `nowMs` (what an authenticator app shows at that moment). */
export function totpCode(secret: Uint8Array, nowMs: number): string {
  return hotp(secret, timeStep(nowMs));
}

/**
 * Checks `code` against the steps within ±TOTP_WINDOW of `nowMs` and returns the matched step,
 * or null. The caller stores the step and passes it back as `afterStep` next time, so a code (or
 * an older one) cannot be replayed within its window: RFC 6238 §5.2.
 */
export function verify(
  secret: Uint8Array,
  code: string,
  nowMs: number,
  options: { afterStep?: number } = {},
): number | null {
  if (!CODE.test(code)) return null;
  const given = Buffer.from(code, 'ascii');
  const now = timeStep(nowMs);
  let matched: number | null = null;
  // Check every step in the window, without stopping early, so timing says nothing about which matched.
  for (let step = now - TOTP_WINDOW; step <= now + TOTP_WINDOW; step += 1) {
    if (step < 0) continue; // only within the first 30 s of 1970
    const equal = timingSafeEqual(Buffer.from(hotp(secret, step), 'ascii'), given);
    if (equal && step > (options.afterStep ?? Number.NEGATIVE_INFINITY)) matched = step;
  }
  return matched;
}
