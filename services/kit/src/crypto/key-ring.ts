import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { DomainError } from '../errors/domain-error.ts';

/**
 * Envelope encryption for secrets at rest (TOTP secrets, the BFF's stored tokens): AES-256-GCM
 * under a ring of keys. The first key encrypts; every key decrypts, so a key can be rotated by
 * putting a new one first and keeping the old one until every row has been re-encrypted
 * (`needsRotation` tells a caller to re-encrypt on use).
 *
 * Ciphertext format: `v1.<kid>.<base64url(iv ‖ ciphertext ‖ tag)>` with a 12-byte random IV and a
 * 16-byte tag. The version and key id are bound into the AAD, so neither can be swapped without
 * the tag failing. Key ids are limited to [A-Za-z0-9_-] so they can never collide with the `.`
 * separator of the ciphertext nor the `:` and `,` of the config string.
 */

const VERSION = 'v1';
const IV_BYTES = 12; // the GCM nonce size NIST SP 800-38D recommends; random per message
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
// Standard or URL-safe base64, padding optional: operators paste keys from `openssl rand -base64 32`.
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export interface KeyRingKey {
  /** Non-secret name written into every ciphertext; [A-Za-z0-9_-], at most 32 characters. */
  readonly id: string;
  /** 32 bytes of key material. */
  readonly key: Uint8Array;
}

function configError(message: string): DomainError {
  return new DomainError('INTERNAL', 'KEY_RING_CONFIG_INVALID', `Key ring config: ${message}`);
}

function cryptoError(code: string, message: string, cause?: unknown): DomainError {
  return new DomainError('INTERNAL', code, message, cause === undefined ? {} : { cause });
}

function toBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

export class KeyRing {
  // KeyObjects rather than Buffers: they never print their material in logs or inspect output.
  readonly #keys = new Map<string, KeyObject>();
  readonly #activeId: string;

  constructor(keys: readonly KeyRingKey[]) {
    const [active] = keys;
    if (active === undefined) throw configError('at least one key is required');
    for (const [index, { id, key }] of keys.entries()) {
      // Ids are not secret, but a malformed one may be a key pasted in the wrong place: say where.
      if (!KEY_ID.test(id)) {
        throw configError(`key #${index + 1} has an invalid id (use 1-32 of A-Z a-z 0-9 _ -)`);
      }
      if (this.#keys.has(id)) throw configError(`key id '${id}' appears more than once`);
      if (key.length !== KEY_BYTES) {
        throw configError(
          `key '${id}' is ${key.length} bytes; AES-256 needs ${KEY_BYTES} (generate one with \`openssl rand -base64 32\`)`,
        );
      }
      this.#keys.set(id, createSecretKey(Buffer.from(key)));
    }
    this.#activeId = active.id;
  }

  /**
   * Parses `kid:base64key,kid2:base64key` (whitespace around entries ignored). Errors name the
   * entry by position or id and never echo key material.
   */
  static parse(config: string): KeyRing {
    const entries = config
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    if (entries.length === 0) throw configError('no keys given (expected kid:base64key[,kid:base64key...])');
    const keys = entries.map((entry, index): KeyRingKey => {
      const colon = entry.indexOf(':');
      if (colon < 0) throw configError(`entry #${index + 1} is not of the form kid:base64key`);
      const id = entry.slice(0, colon).trim();
      const encoded = entry.slice(colon + 1).trim();
      if (!KEY_ID.test(id)) {
        throw configError(`entry #${index + 1} has an invalid key id (use 1-32 of A-Z a-z 0-9 _ -)`);
      }
      if (!BASE64.test(encoded)) throw configError(`key '${id}' is not valid base64`);
      // Node's base64 decoder reads both alphabets; the length check in the constructor does the rest.
      return { id, key: Buffer.from(encoded, 'base64') };
    });
    return new KeyRing(keys);
  }

  /** The id of the key new ciphertexts are written with. */
  get activeKeyId(): string {
    return this.#activeId;
  }

  /**
   * Encrypts under the active key. `aad` binds the ciphertext to its context (e.g. the account
   * id), so a ciphertext copied to another row fails to decrypt there.
   */
  encrypt(plaintext: string | Uint8Array, aad: string | Uint8Array = ''): string {
    const key = this.#keys.get(this.#activeId) as KeyObject;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(this.#activeId, aad));
    const body = Buffer.concat([cipher.update(toBytes(plaintext)), cipher.final()]);
    const blob = Buffer.concat([iv, body, cipher.getAuthTag()]);
    return `${VERSION}.${this.#activeId}.${blob.toString('base64url')}`;
  }

  /** Decrypts with whichever ring key the ciphertext names; throws if it was altered or the AAD differs. */
  decrypt(ciphertext: string, aad: string | Uint8Array = ''): Buffer {
    const { keyId, blob } = parse(ciphertext);
    const key = this.#keys.get(keyId);
    if (key === undefined) {
      throw cryptoError(
        'KEY_RING_UNKNOWN_KEY',
        `Ciphertext was encrypted under key '${keyId}', which is not in the key ring (was it removed too early?)`,
      );
    }
    const iv = blob.subarray(0, IV_BYTES);
    const body = blob.subarray(IV_BYTES, blob.length - TAG_BYTES);
    const tag = blob.subarray(blob.length - TAG_BYTES);
    try {
      // authTagLength pins the tag size: without it a truncated tag would be accepted.
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(associatedData(keyId, aad));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch (error) {
      throw cryptoError(
        'KEY_RING_DECRYPT_FAILED',
        'Ciphertext failed authentication: it was altered, or the associated data does not match',
        error,
      );
    }
  }

  /** `decrypt` for text that was encrypted from a string. */
  decryptToString(ciphertext: string, aad: string | Uint8Array = ''): string {
    return this.decrypt(ciphertext, aad).toString('utf8');
  }

  /** True when the ciphertext was written under a key other than the active one: re-encrypt it. */
  needsRotation(ciphertext: string): boolean {
    return parse(ciphertext).keyId !== this.#activeId;
  }
}

/** Version and key id go into the AAD ahead of the caller's, so the header is authenticated too. */
function associatedData(keyId: string, aad: string | Uint8Array): Buffer {
  // No \0 can occur in the version or a key id, so the prefix is unambiguous.
  return Buffer.concat([Buffer.from(`${VERSION}\0${keyId}\0`, 'utf8'), toBytes(aad)]);
}

function parse(ciphertext: string): { keyId: string; blob: Buffer } {
  const parts = ciphertext.split('.');
  const [version, keyId, encoded] = parts;
  if (parts.length !== 3 || version === undefined || keyId === undefined || encoded === undefined) {
    throw cryptoError('KEY_RING_MALFORMED', 'Ciphertext is not of the form v1.<kid>.<base64url>');
  }
  if (version !== VERSION) {
    throw cryptoError('KEY_RING_MALFORMED', `Ciphertext has an unsupported version (expected ${VERSION})`);
  }
  if (!KEY_ID.test(keyId) || !BASE64URL.test(encoded)) {
    throw cryptoError('KEY_RING_MALFORMED', 'Ciphertext has an invalid key id or body');
  }
  const blob = Buffer.from(encoded, 'base64url');
  if (blob.length < IV_BYTES + TAG_BYTES) {
    throw cryptoError('KEY_RING_MALFORMED', 'Ciphertext is too short to hold an IV and a tag');
  }
  return { keyId, blob };
}
