import { describe, expect, it } from 'vitest';
import type { KeyValueStore } from './key-value-store.ts';
import { RateLimiter } from './rate-limiter.ts';

/** Counters in a Map: the limiter's arithmetic is pure; the Valkey round trip is tested on the real server. */
function counters(): KeyValueStore {
  const values = new Map<string, number>();
  return {
    increment: async (...entries) =>
      entries.map(({ key }) => {
        values.set(key, (values.get(key) ?? 0) + 1);
        return values.get(key) ?? 0;
      }),
  } as KeyValueStore;
}

describe('RateLimiter', () => {
  it('allows up to the limit in a window, then refuses with a retry-after within the window', async () => {
    const limiter = new RateLimiter(counters());
    const rule = { limit: 3, windowMs: 60_000 };
    for (let i = 0; i < 3; i += 1) expect((await limiter.consume([{ key: 'a', rule }])).allowed).toBe(true);
    const refused = await limiter.consume([{ key: 'a', rule }]);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it('refuses when any of several limits is exceeded, and reports the tightest remaining otherwise', async () => {
    const limiter = new RateLimiter(counters());
    const perIp = { limit: 5, windowMs: 60_000 };
    const perAccount = { limit: 2, windowMs: 60_000 };
    const first = await limiter.consume([
      { key: 'ip', rule: perIp },
      { key: 'acct', rule: perAccount },
    ]);
    expect(first).toMatchObject({ allowed: true, remaining: 1 });
    await limiter.consume([{ key: 'acct', rule: perAccount }]);
    const third = await limiter.consume([
      { key: 'ip', rule: perIp },
      { key: 'acct', rule: perAccount },
    ]);
    expect(third.allowed).toBe(false);
  });
});
