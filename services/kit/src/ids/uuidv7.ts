import { randomFillSync } from 'node:crypto';

const bytes = new Uint8Array(16);
let lastMs = 0;
let counter = 0;

/**
 * UUIDv7 (RFC 9562 §5.7): 48-bit Unix milliseconds, then a 12-bit counter seeded randomly each
 * millisecond (method 1 of §6.2), then random bits. Ids from one process sort by creation order,
 * which keeps B-tree inserts at the right edge of the index.
 */
export function uuidv7(now: number = Date.now()): string {
  randomFillSync(bytes);
  if (now > lastMs) {
    lastMs = now;
    counter = ((bytes[6] ?? 0) & 0x07) * 256 + (bytes[7] ?? 0); // top bit clear leaves room
  } else {
    counter += 1;
    if (counter > 0xfff) {
      // Counter exhausted within one millisecond: borrow the next millisecond (§6.2).
      lastMs += 1;
      counter = 0;
    }
  }
  const ms = lastMs;
  bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
  bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
  bytes[2] = (ms >>> 24) & 0xff;
  bytes[3] = (ms >>> 16) & 0xff;
  bytes[4] = (ms >>> 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | (counter >>> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
