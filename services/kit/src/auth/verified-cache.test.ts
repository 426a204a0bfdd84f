import { describe, expect, it } from 'vitest';
import { VerifiedCache } from './verified-cache.ts';

describe('VerifiedCache', () => {
  it('answers until the token expires or the maximum age passes, whichever is first', () => {
    const cache = new VerifiedCache<string>({ maxAgeMs: 1_000 });
    cache.set('long-lived', 'a', 60_000, 0);
    cache.set('short-lived', 'b', 500, 0);
    expect(cache.get('long-lived', 999)).toBe('a');
    expect(cache.get('long-lived', 1_000)).toBeUndefined();
    expect(cache.get('short-lived', 499)).toBe('b');
    expect(cache.get('short-lived', 500)).toBeUndefined();
  });

  it('keeps at most maxEntries, dropping the oldest, and nothing when the maximum age is 0', () => {
    const cache = new VerifiedCache<number>({ maxAgeMs: 1_000, maxEntries: 2 });
    cache.set('t1', 1, 10_000, 0);
    cache.set('t2', 2, 10_000, 0);
    cache.set('t3', 3, 10_000, 0);
    expect([cache.get('t1', 1), cache.get('t2', 1), cache.get('t3', 1)]).toEqual([undefined, 2, 3]);
    const off = new VerifiedCache<number>({ maxAgeMs: 0 });
    off.set('t', 1, 10_000, 0);
    expect(off.get('t', 1)).toBeUndefined();
  });
});
