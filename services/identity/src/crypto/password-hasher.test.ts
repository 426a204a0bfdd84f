import { DomainError } from '@girok/kit/errors';
import { describe, expect, it } from 'vitest';
import { type Argon2Params, OWASP_ARGON2ID, PasswordHasher } from './password-hasher.ts';

// Cheap parameters keep most tests fast; the OWASP set is exercised by the known-answer test.
const CHEAP: Argon2Params = { memoryKiB: 64, passes: 1, parallelism: 1, saltBytes: 16, hashBytes: 32 };

/**
 * Reference hashes made by argon2-cffi 25.1.0 (the libargon2 reference implementation) with
 * `argon2.low_level.hash_secret(..., type=Type.ID)`, so our PHC encoding and node:crypto's
 * derivation are checked against an independent implementation, not against themselves.
 */
const REFERENCE = {
  owasp: {
    password: 'correct horse battery staple',
    phc: '$argon2id$v=19$m=19456,t=2,p=1$Z2lyb2sta25vd24tc2FsdA$/YqBbPWep0ZFAEY+xVs4PrMjfTBELo2EQBpizmyB1Gs',
  },
  weak: {
    password: 'correct horse battery staple',
    phc: '$argon2id$v=19$m=64,t=1,p=1$Z2lyb2sta25vd24tc2FsdA$VZwAMJHHZGKfPujXWOXY1oz5wTvBAPr4wK5mI7oZ6ic',
  },
  // Two lanes, three passes, non-ASCII UTF-8 (NFC) password.
  lanes: {
    password: 'p\u00e4ssw\u00f6rd\u{1F511}',
    phc: '$argon2id$v=19$m=256,t=3,p=2$MDEyMzQ1Njc4OWFiY2RlZg$Rf3pHsnJs+lciehgTsXOEJMPmnOS6W0j+bsX87G4JnM',
  },
  // 8-byte salt and 16-byte tag (argon2-cffi PasswordHasher(hash_len=16, salt_len=8)).
  short: { password: 'short-tag', phc: '$argon2id$v=19$m=64,t=2,p=1$Tb1EbOkNxvg$y9Y6ObmL3rBxsHdq6geRXw' },
} as const;

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher(CHEAP);

  it('hashes to an argon2id PHC string with unpadded base64 and verifies the same password', async () => {
    const phc = await hasher.hash('hunter2-but-longer');
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    await expect(hasher.verify(phc, 'hunter2-but-longer')).resolves.toBe(true);
  });

  it('salts every hash, so equal passwords give different strings', async () => {
    expect(await hasher.hash('same password')).not.toBe(await hasher.hash('same password'));
  });

  it('rejects a wrong password, including one differing only in case or by a trailing space', async () => {
    const phc = await hasher.hash('Tr0ub4dor&3');
    await expect(hasher.verify(phc, 'tr0ub4dor&3')).resolves.toBe(false);
    await expect(hasher.verify(phc, 'Tr0ub4dor&3 ')).resolves.toBe(false);
    await expect(hasher.verify(phc, '')).resolves.toBe(false);
  });

  it('writes the OWASP parameters by default', async () => {
    expect(OWASP_ARGON2ID).toEqual({
      memoryKiB: 19456,
      passes: 2,
      parallelism: 1,
      saltBytes: 16,
      hashBytes: 32,
    });
    const phc = await new PasswordHasher().hash('x');
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  });

  it('matches independent reference hashes (known answers from argon2-cffi)', async () => {
    const owasp = new PasswordHasher();
    for (const { password, phc } of Object.values(REFERENCE)) {
      await expect(owasp.verify(phc, password)).resolves.toBe(true);
      await expect(owasp.verify(phc, `${password}!`)).resolves.toBe(false);
    }
    expect(owasp.needsRehash(REFERENCE.owasp.phc)).toBe(false);
  });

  it('verifies a hash made with older, weaker parameters and flags it for rehash', async () => {
    const owasp = new PasswordHasher();
    await expect(owasp.verify(REFERENCE.weak.phc, REFERENCE.weak.password)).resolves.toBe(true);
    expect(owasp.needsRehash(REFERENCE.weak.phc)).toBe(true);
    expect(owasp.needsRehash(REFERENCE.short.phc)).toBe(true); // same m/t/p would still differ in sizes
    const old = await new PasswordHasher({ ...CHEAP, passes: 2 }).hash('pw');
    expect(hasher.needsRehash(old)).toBe(true);
    expect(hasher.needsRehash(await hasher.hash('pw'))).toBe(false);
  });

  it('treats canonically equivalent Unicode input as the same password (NFKC)', async () => {
    const decomposed = 'pa\u0308ssw\u006f\u0308rd\u{1F511}'; // ä and ö as base letter + combining diaeresis
    expect(decomposed).not.toBe(REFERENCE.lanes.password);
    await expect(hasher.verify(REFERENCE.lanes.phc, decomposed)).resolves.toBe(true);
  });

  it('verifyDummy is always false', async () => {
    // That it costs what a real verify costs is measured where it matters, at the service: the
    // paired timing suites of identity's integration tests (unknown account vs wrong password).
    const costly = new PasswordHasher({ ...CHEAP, memoryKiB: 8192, passes: 2 });
    await expect(costly.verifyDummy('secret')).resolves.toBe(false);
    await expect(costly.verifyDummy('')).resolves.toBe(false);
  });

  it('rejects malformed stored hashes with PASSWORD_HASH_MALFORMED, never a crash or a raw error', async () => {
    // Built from a known-good reference (m=64,t=1,p=1) so every case is deterministic.
    const good = REFERENCE.weak.phc;
    const salt = 'Z2lyb2sta25vd24tc2FsdA';
    const hash = 'VZwAMJHHZGKfPujXWOXY1oz5wTvBAPr4wK5mI7oZ6ic';
    const swap = (from: string, to: string) => good.split(from).join(to);
    const bad: [string, RegExp][] = [
      ['', /expected \$argon2id/],
      ['not a hash', /expected \$argon2id/],
      [swap('$argon2id$', '$argon2i$'), /expected \$argon2id/],
      [swap('$v=19', ''), /expected \$argon2id/],
      [swap('v=19', 'v=16'), /unsupported argon2 version/],
      [swap('m=64', 'm=064'), /memoryKiB is not a canonical decimal/],
      [swap('m=64', 'm=4294967295'), /memoryKiB is outside/], // would allocate 4 TiB
      [swap('t=1', 't=0'), /passes is outside/],
      [swap('p=1', 'p=9'), /below 8 KiB per lane/],
      [swap('m=64,t=1,p=1', 't=1,m=64,p=1'), /expected \$argon2id/],
      [swap(`$${salt}$`, `$${salt}==$`), /expected \$argon2id/], // padding is not PHC
      [swap(`$${salt}$`, '$c2FsdA$'), /saltBytes is outside/], // 4-byte salt
      [swap(`$${hash}`, `$${hash.slice(0, -1)}t`), /hash is not canonical/], // stray low bits
      [`${good}$extra`, /expected \$argon2id/],
    ];
    for (const [phc, reason] of bad) {
      const error = await rejection(hasher.verify(phc, REFERENCE.weak.password));
      expect(error.code).toBe('PASSWORD_HASH_MALFORMED');
      expect(error.message).toMatch(reason);
      expect(error.message).not.toContain(hash.slice(0, 20));
      expect(() => hasher.needsRehash(phc)).toThrow(DomainError);
    }
    await expect(hasher.verify(good, REFERENCE.weak.password)).resolves.toBe(true);
  });

  it('refuses unusable injected parameters at construction', () => {
    for (const params of [
      { ...CHEAP, memoryKiB: 4 },
      { ...CHEAP, saltBytes: 4 },
      { ...CHEAP, hashBytes: 8 },
      { ...CHEAP, passes: 1.5 },
    ]) {
      expect(() => new PasswordHasher(params)).toThrow(/argon2id parameters/);
    }
  });
});
