import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';
import { DomainError } from '@girok/kit/errors';

/**
 * argon2id password hashing through node:crypto (OpenSSL), stored as PHC strings:
 * `$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>`, base64 without padding as the PHC
 * format specifies. The parameters live in the string, so old hashes keep verifying after the
 * defaults change and `needsRehash` tells the login flow to upgrade them.
 */

export interface Argon2Params {
  /** Memory cost in KiB. */
  readonly memoryKiB: number;
  /** Number of passes over memory (t). */
  readonly passes: number;
  /** Lanes (p). */
  readonly parallelism: number;
  readonly saltBytes: number;
  readonly hashBytes: number;
}

/** OWASP Password Storage Cheat Sheet, argon2id option "m=19456 (19 MiB), t=2, p=1". */
export const OWASP_ARGON2ID: Argon2Params = {
  memoryKiB: 19_456,
  passes: 2,
  parallelism: 1,
  saltBytes: 16,
  hashBytes: 32,
};

/**
 * Bounds on parameters read back from storage. Stored hashes are ours, but a corrupted or
 * injected row must not make one login allocate gigabytes or spin for minutes.
 */
const LIMITS = {
  memoryKiB: { min: 8, max: 1_048_576 }, // 1 GiB
  passes: { min: 1, max: 64 },
  parallelism: { min: 1, max: 16 },
  saltBytes: { min: 8, max: 64 },
  hashBytes: { min: 16, max: 64 },
} as const;

const ARGON2_VERSION = 19; // 0x13, the only version node:crypto computes
const PHC =
  /^\$argon2id\$v=(\d{1,10})\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,10})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

interface ParsedHash {
  readonly params: Argon2Params;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

function malformed(reason: string): DomainError {
  // The stored string is never echoed: it is credential material.
  return new DomainError(
    'INTERNAL',
    'PASSWORD_HASH_MALFORMED',
    `Stored password hash is not a usable argon2id PHC string: ${reason}`,
  );
}

type Limited = keyof typeof LIMITS;

/** Why a parameter is unusable, or undefined when it is fine. */
function paramProblem(params: Argon2Params): string | undefined {
  for (const name of Object.keys(LIMITS) as Limited[]) {
    const value = params[name];
    const { min, max } = LIMITS[name];
    if (!Number.isInteger(value) || value < min || value > max) return `${name} is outside ${min}..${max}`;
  }
  // argon2 needs at least 8 KiB per lane; node:crypto would throw a RangeError otherwise.
  if (params.memoryKiB < 8 * params.parallelism) return 'memoryKiB is below 8 KiB per lane';
  return undefined;
}

/** PHC decimals have no sign and no leading zeros; anything else is not a hash we wrote. */
function decimal(text: string, name: Limited): number {
  const value = Number(text);
  if (String(value) !== text) throw malformed(`${name} is not a canonical decimal`);
  return value;
}

/** Unpadded standard base64; re-encoding must give the same text, so stray bits are refused. */
function b64(text: string, name: 'salt' | 'hash'): Buffer {
  const bytes = Buffer.from(text, 'base64');
  if (unpadded(bytes) !== text) throw malformed(`${name} is not canonical unpadded base64`);
  return bytes;
}

function parsePhc(phc: string): ParsedHash {
  const match = PHC.exec(phc);
  if (match === null) throw malformed('expected $argon2id$v=19$m=..,t=..,p=..$<salt>$<hash>');
  const [, version, m, t, p, salt64, hash64] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (version !== String(ARGON2_VERSION))
    throw malformed(`unsupported argon2 version (only v=${ARGON2_VERSION})`);
  const salt = b64(salt64, 'salt');
  const hash = b64(hash64, 'hash');
  const params: Argon2Params = {
    memoryKiB: decimal(m, 'memoryKiB'),
    passes: decimal(t, 'passes'),
    parallelism: decimal(p, 'parallelism'),
    saltBytes: salt.length,
    hashBytes: hash.length,
  };
  const problem = paramProblem(params);
  if (problem !== undefined) throw malformed(problem);
  return { params, salt, hash };
}

function unpadded(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}

/**
 * NFKC so that the same password typed on keyboards that compose characters differently (NFC vs
 * NFD "é") hashes the same, as NIST SP 800-63B §5.1.1.2 advises; then UTF-8.
 */
function passwordBytes(password: string): Buffer {
  return Buffer.from(password.normalize('NFKC'), 'utf8');
}

/** The async API runs on the libuv thread pool, so a 19 MiB hash never blocks the event loop. */
function derive(password: string, salt: Buffer, params: Argon2Params): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    argon2(
      'argon2id',
      {
        message: passwordBytes(password),
        nonce: salt,
        memory: params.memoryKiB,
        passes: params.passes,
        parallelism: params.parallelism,
        tagLength: params.hashBytes,
      },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

export class PasswordHasher {
  readonly #params: Argon2Params;
  // A hash no password matches, at the current parameters: unknown accounts pay the same cost.
  readonly #dummy: ParsedHash;

  /** `params` is injectable so tests can use cheap ones; production keeps the OWASP default. */
  constructor(params: Argon2Params = OWASP_ARGON2ID) {
    // Bad injected parameters fail at start-up, not at the first login.
    const problem = paramProblem(params);
    if (problem !== undefined) {
      throw new DomainError('INTERNAL', 'PASSWORD_HASHER_CONFIG_INVALID', `argon2id parameters: ${problem}`);
    }
    this.#params = { ...params };
    this.#dummy = {
      params: this.#params,
      salt: randomBytes(params.saltBytes),
      hash: randomBytes(params.hashBytes),
    };
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(this.#params.saltBytes);
    return format(this.#params, salt, await derive(password, salt, this.#params));
  }

  /**
   * Verifies against whatever parameters the stored string carries. Throws
   * PASSWORD_HASH_MALFORMED (never a raw crypto error) when the stored string is unusable.
   */
  async verify(phc: string, password: string): Promise<boolean> {
    return this.#verifyParsed(parsePhc(phc), password);
  }

  /** Same work as `verify` on a current hash, always false: use it when the account does not exist. */
  async verifyDummy(password: string): Promise<false> {
    await this.#verifyParsed(this.#dummy, password);
    return false;
  }

  /** True when the stored hash was made with parameters other than the current ones. */
  needsRehash(phc: string): boolean {
    const { params } = parsePhc(phc);
    const current = this.#params;
    return (
      params.memoryKiB !== current.memoryKiB ||
      params.passes !== current.passes ||
      params.parallelism !== current.parallelism ||
      params.saltBytes !== current.saltBytes ||
      params.hashBytes !== current.hashBytes
    );
  }

  async #verifyParsed(stored: ParsedHash, password: string): Promise<boolean> {
    const candidate = await derive(password, stored.salt, stored.params);
    // Same length by construction (tagLength = stored hash length); compare in constant time.
    return timingSafeEqual(candidate, stored.hash);
  }
}

function format(params: Argon2Params, salt: Buffer, hash: Buffer): string {
  return `$argon2id$v=${ARGON2_VERSION}$m=${params.memoryKiB},t=${params.passes},p=${params.parallelism}$${unpadded(salt)}$${unpadded(hash)}`;
}
