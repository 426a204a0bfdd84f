import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  client,
  failure,
  newAccount,
  pairedTimingGap,
  startTestIdentity,
  type TestIdentity,
  TimedHasher,
} from './support.ts';

const SAMPLES = 60;

describe('login timing', () => {
  let identity: TestIdentity;
  const hasher = new TimedHasher();
  beforeAll(async () => {
    identity = await startTestIdentity({}, { passwordHasher: hasher });
  });
  afterAll(async () => {
    await identity?.close();
  });

  it('an unknown email and a wrong password do the same work besides the hash: the median of 60 paired differences is under 1 ms (or its noise)', async () => {
    // Four wrong passwords per account, so none of them locks during the run.
    const accounts = await Promise.all(
      Array.from({ length: Math.ceil(SAMPLES / 4) }, async () => {
        const input = newAccount();
        await identity.grpc.createAccount(input);
        return input;
      }),
    );
    const time = async (identifier: string) => {
      const started = performance.now();
      const hashing = hasher.spentMs;
      const error = await failure(
        identity.grpc.authenticate({ identifier, password: 'not the password at all', client: client() }),
      );
      const elapsed = performance.now() - started - (hasher.spentMs - hashing);
      expect(error.code).toBe('INVALID_CREDENTIALS');
      return elapsed;
    };
    // Warm both paths (JIT, pool connections) before measuring; the warm-up account is not measured.
    const warm = newAccount();
    await identity.grpc.createAccount(warm);
    for (let i = 0; i < 3; i += 1) {
      await time(warm.email);
      await time(`warm-up-${i}@example.com`);
    }
    const gap = await pairedTimingGap(
      SAMPLES,
      (i) => time(`nobody-${i}-${Date.now()}@example.com`),
      (i) => time(accounts[i % accounts.length]?.email ?? ''),
    );
    expect(
      Math.abs(gap.median),
      `besides the hash, a wrong password is ${gap.median.toFixed(2)} ms slower (bound ${gap.boundMs.toFixed(2)} ms)`,
    ).toBeLessThan(gap.boundMs);
  });
});
